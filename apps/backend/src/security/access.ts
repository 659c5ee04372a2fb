import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { decodeComponent, requestTarget } from "../server/request-target.js";

export const TOKEN_COOKIE = "nepi_token";

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || (isIP(h) === 4 && h.startsWith("127."));
}

/**
 * Who may talk to the server. Bound to loopback with no token, any local client may; otherwise
 * every HTTP and WebSocket request must carry the token: `Authorization: Bearer <token>`, the
 * `nepi_token` cookie (a browser gets it by opening `/?token=<token>` once) or `?token=<token>`.
 * A request from a browser page (`Origin`) must come from this server's own origin, and on
 * loopback the `Host` must be a loopback name (no DNS rebinding).
 */
export class AccessPolicy {
  constructor(
    private readonly token: string | undefined,
    private readonly loopbackOnly: boolean,
  ) {}

  get tokenRequired(): boolean {
    return this.token !== undefined;
  }

  /** Why the request is refused (status and message), or undefined when it may go on. */
  check(req: IncomingMessage): { status: number; message: string } | undefined {
    const host = req.headers.host ?? "";
    if (this.loopbackOnly && !isLoopback(hostName(host))) {
      return { status: 403, message: `Host "${host}" refused: this server only answers on loopback` };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== "null") {
      let originHost: string;
      try {
        originHost = new URL(origin).host;
      } catch {
        return { status: 403, message: `Origin "${origin}" refused` };
      }
      if (originHost !== host)
        return { status: 403, message: `Origin "${origin}" refused: only pages of ${host} may call this API` };
    } else if (origin === "null") {
      return { status: 403, message: `Origin "null" refused` };
    }
    if (this.token !== undefined && !this.matches(presentedToken(req))) {
      return { status: 401, message: "a valid token is required (Authorization: Bearer <token>, or open /?token=<token> once)" };
    }
    return undefined;
  }

  matches(candidate: string | undefined): boolean {
    if (this.token === undefined) return true;
    if (candidate === undefined) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function hostName(hostHeader: string): string {
  if (hostHeader.startsWith("[")) return hostHeader.slice(1, hostHeader.indexOf("]"));
  const colon = hostHeader.lastIndexOf(":");
  return colon >= 0 ? hostHeader.slice(0, colon) : hostHeader;
}

/**
 * The token a request presents, by header, cookie or query parameter. A malformed cookie or
 * query presents no token (the request is then refused like one without a token).
 */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(";")) {
      const [k, ...v] = part.trim().split("=");
      if (k === TOKEN_COOKIE) return decodeComponent(v.join("="));
    }
  }
  return requestTarget(req.url)?.searchParams.get("token") ?? undefined;
}
