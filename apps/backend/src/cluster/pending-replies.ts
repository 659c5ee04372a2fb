import { TRPCError } from "@trpc/server";
import type { ControlReply } from "./protocol.js";

const CODES = new Set(["BAD_REQUEST", "NOT_FOUND", "CONFLICT", "PRECONDITION_FAILED", "BAD_GATEWAY", "SERVICE_UNAVAILABLE"]);
function trpcCode(code: string | undefined): TRPCError["code"] {
  return code && CODES.has(code) ? (code as TRPCError["code"]) : "INTERNAL_SERVER_ERROR";
}

/**
 * The control requests an API server sent a worker (NOTIFY) and waits to hear answered (NOTIFY
 * on the reply channel): each settles on its reply, or is refused when no worker answers in time.
 */
export class PendingReplies {
  private readonly waiting = new Map<string, { resolve: (answer: unknown) => void; reject: (err: Error) => void }>();

  /** The answer to request `id`; SERVICE_UNAVAILABLE with `unanswered` after `timeoutMs`. */
  wait(id: string, timeoutMs: number, unanswered: string): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new TRPCError({ code: "SERVICE_UNAVAILABLE", message: unanswered }));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Settles the request `reply` answers (a refusal with the worker's code and message); replies to others' requests are ignored. */
  settle(reply: ControlReply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.answer);
    else waiter.reject(new TRPCError({ code: trpcCode(reply.code), message: reply.message ?? "refused by the worker" }));
  }

  /** Refuses what still waits for an answer (the server is closing). */
  rejectAll(): void {
    for (const [id, waiter] of this.waiting) {
      this.waiting.delete(id);
      waiter.reject(new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "the server is shutting down" }));
    }
  }
}
