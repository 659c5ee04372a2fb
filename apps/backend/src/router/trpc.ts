import { initTRPC, TRPCError } from "@trpc/server";
import { formatPath, NepiError, type NepiErrorCode, type Problem } from "@nepi/core";
import type { Context } from "./context.js";

/**
 * tRPC with plain JSON (no transformer), so curl and any language can call the API.
 *
 * Errors: every error's `data` holds `code` (tRPC's), `httpStatus`, `path` (the procedure),
 * `nepiCode` (core's machine-readable code, when the engine raised it) and `problems`: one
 * `{ path, message, code? }` per offending field, the path written like
 * `document.resources[2].attributes.count`. The message lists the same problems for people.
 */
const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const { problems, nepiCode } = describeCause(error.cause);
    const message =
      problems && isZodLike(error.cause) ? problems.map((p) => `${p.path || "input"}: ${p.message}`).join("; ") : shape.message;
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      message,
      data: { ...data, ...(nepiCode ? { nepiCode } : {}), ...(problems ? { problems } : {}) },
    };
  },
});

interface ZodLike {
  issues: Array<{ path: PropertyKey[]; message: string; code?: string }>;
}
function isZodLike(e: unknown): e is ZodLike {
  return typeof e === "object" && e !== null && Array.isArray((e as ZodLike).issues);
}
function isNepiError(e: unknown): e is NepiError {
  return e instanceof NepiError || (e instanceof Error && e.name === "NepiError" && "code" in e);
}

function describeCause(cause: unknown): { problems?: Problem[]; nepiCode?: NepiErrorCode } {
  if (isZodLike(cause)) {
    return {
      problems: cause.issues.map((i) => ({ path: formatPath(i.path), message: i.message, ...(i.code ? { code: i.code } : {}) })),
    };
  }
  if (isNepiError(cause)) {
    const problems =
      cause.problems ?? (cause.path ? [{ path: cause.path, message: cause.message, code: cause.code }] : undefined);
    return { nepiCode: cause.code, ...(problems ? { problems } : {}) };
  }
  return {};
}

/** What kind of tRPC error a core error is. */
function trpcCodeFor(code: NepiErrorCode): TRPCError["code"] {
  switch (code) {
    case "WRONG_STATE":
      return "CONFLICT";
    case "TIMEOUT":
      return "TIMEOUT";
    case "EXPERIMENT_FAILED":
    case "RESOURCE_FAILED":
      return "UNPROCESSABLE_CONTENT";
    case "NO_MANAGER":
      return "PRECONDITION_FAILED";
    default:
      return "BAD_REQUEST";
  }
}

/** A core error thrown by a procedure becomes a client error with its code and problems. */
const mapCoreErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === "INTERNAL_SERVER_ERROR" && isNepiError(result.error.cause)) {
    const cause = result.error.cause;
    throw new TRPCError({ code: trpcCodeFor(cause.code), message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const procedure = t.procedure.use(mapCoreErrors);

export function notFound(what: string, id: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `${what} "${id}" does not exist` });
}
