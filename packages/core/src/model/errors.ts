/** Machine-readable error codes, so callers (backend, web, CLI) can react without parsing text. */
export type NepiErrorCode =
  | "UNKNOWN_RTYPE"
  | "UNKNOWN_GUID"
  | "DUPLICATE_GUID"
  | "UNKNOWN_ATTRIBUTE"
  | "BAD_VALUE"
  | "BAD_TIME"
  | "READ_ONLY"
  | "UNKNOWN_TRACE"
  | "BAD_CONNECTION"
  | "BAD_CONDITION"
  | "CONDITION_CYCLE"
  | "NEVER_ENDS"
  | "WRONG_STATE"
  | "INVALID_DOCUMENT"
  | "EXPERIMENT_FAILED"
  | "RESOURCE_FAILED"
  | "TIMEOUT"
  | "NO_MANAGER";

/** One problem in a document or a request, with the JSON path of the offending field. */
export interface Problem {
  path: string;
  message: string;
  code?: NepiErrorCode | string;
  /** The resource the problem is about, when there is one (the designer selects it). */
  guid?: number;
  severity?: "error" | "warning";
}

/** Errors are values with a code, a message for people and the path of the offending field. */
export class NepiError extends Error {
  readonly code: NepiErrorCode;
  readonly path?: string;
  readonly problems?: Problem[];
  constructor(code: NepiErrorCode, message: string, path?: string, problems?: Problem[]) {
    super(message);
    this.name = "NepiError";
    this.code = code;
    this.path = path;
    this.problems = problems;
  }
}

/** Renders a path from zod-style segments: `resources[2].attributes.count`. */
export function formatPath(segments: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out ? `.${String(s)}` : String(s);
  }
  return out;
}
