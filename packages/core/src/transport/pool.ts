import { LocalTransport } from "./local.js";
import { SshTransport, type SshOptions } from "./ssh.js";
import type { Transport } from "./types.js";

export interface HostSettings extends SshOptions {}

/** localhost with no SSH setting at all is the local machine (the embedded default, no set-up). */
export function isLocalHost(s: HostSettings): boolean {
  return (
    s.host === "localhost" &&
    !s.username &&
    !s.identity &&
    s.password === undefined &&
    (s.port === undefined || s.port === 22) &&
    !s.gateway
  );
}

interface Entry {
  transport: Transport;
  users: number;
}

const POOL = new Map<string, Entry>();

function keyOf(s: HostSettings): string {
  if (isLocalHost(s)) return "local";
  return JSON.stringify([
    s.host,
    s.port ?? 22,
    s.username ?? "",
    s.identity ?? "",
    s.gateway ?? "",
    s.gatewayUser ?? "",
    s.knownHosts ?? "",
    s.strictHostKeyChecking ?? "",
    s.password ?? "",
  ]);
}

/**
 * The transport of a host, shared by every resource on it: one SSH connection per host.
 * Each `acquireTransport` is matched by one `releaseTransport`; the last one closes it.
 */
export function acquireTransport(settings: HostSettings): Transport {
  const key = keyOf(settings);
  let e = POOL.get(key);
  if (!e) {
    e = { transport: isLocalHost(settings) ? new LocalTransport() : new SshTransport(settings), users: 0 };
    POOL.set(key, e);
  }
  e.users++;
  return e.transport;
}

export async function releaseTransport(transport: Transport): Promise<void> {
  for (const [key, e] of POOL) {
    if (e.transport !== transport) continue;
    if (--e.users <= 0) {
      POOL.delete(key);
      await transport.close();
    }
    return;
  }
}
