import { NepiError } from "../model/errors.js";

/**
 * Reads a condition group as NEPI writes it, a Python list of guids (`[1, 2]`, also a tuple
 * `(1, 2)` or a bare `3`). NEPI's own reader `eval`s this text; here only digits, commas,
 * brackets and spaces are accepted, so nothing in a file can ever run.
 */
export function parseGuidList(text: string, path: string): number[] {
  const source = text.trim();
  if (/^\d+L?$/.test(source)) return [guid(source, path)];
  const match = /^(\[|\()\s*((?:\d+L?\s*,\s*)*\d+L?)?\s*,?\s*(\]|\))$/.exec(source);
  if (!match || (match[1] === "[") !== (match[3] === "]"))
    throw new NepiError(
      "INVALID_DOCUMENT",
      `${path}: expected a list of guids such as [1, 2], got ${JSON.stringify(truncate(source))} (only integers are read, never code)`,
      path,
    );
  if (!match[2]) throw new NepiError("INVALID_DOCUMENT", `${path}: the group is empty (expected at least one guid)`, path);
  return match[2].split(",").map((item) => guid(item.trim(), path));
}

function guid(token: string, path: string): number {
  const value = Number(token.replace(/L$/, ""));
  if (!Number.isSafeInteger(value) || value < 1)
    throw new NepiError("INVALID_DOCUMENT", `${path}: ${token} is not a guid (expected a positive integer)`, path);
  return value;
}

function truncate(text: string): string {
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}
