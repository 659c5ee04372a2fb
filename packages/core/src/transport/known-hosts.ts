import { createHash, createHmac } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";

/** OpenSSH's policy names. */
export type StrictHostKeyChecking = "yes" | "accept-new" | "no";

/** How OpenSSH names a host in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `SHA256:…` as `ssh-keygen -lf` prints it. */
export function fingerprint(key: Buffer): string {
  return "SHA256:" + createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
}

/** The key type written at the start of an SSH public key blob (`ssh-ed25519`, …). */
export function keyType(key: Buffer): string {
  if (key.length < 4) return "unknown";
  const n = key.readUInt32BE(0);
  return key.subarray(4, 4 + n).toString("latin1");
}

interface Entry {
  patterns: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  type: string;
  key: string;
  revoked: boolean;
}

function parse(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]!.startsWith("@")) {
      // @cert-authority lines are not host keys; @revoked marks a key refused everywhere.
      if (fields[0] !== "@revoked") continue;
      revoked = true;
      fields.shift();
    }
    if (fields.length < 3) continue;
    const [hosts, type, key] = fields as [string, string, string];
    if (hosts.startsWith("|1|")) {
      const [, , salt, hash] = hosts.split("|");
      entries.push({
        patterns: [],
        hashed: { salt: Buffer.from(salt ?? "", "base64"), hash: Buffer.from(hash ?? "", "base64") },
        type,
        key,
        revoked,
      });
    } else {
      entries.push({ patterns: hosts.split(","), type, key, revoked });
    }
  }
  return entries;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    "^" +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".") +
      "$",
    "i",
  );
  return re.test(name);
}

function matches(entry: Entry, name: string): boolean {
  if (entry.hashed) {
    const h = createHmac("sha1", entry.hashed.salt).update(name).digest();
    return h.equals(entry.hashed.hash);
  }
  let hit = false;
  for (const p of entry.patterns) {
    if (p.startsWith("!")) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) hit = true;
  }
  return hit;
}

export type HostKeyVerdict = { ok: true; learn?: string } | { ok: false; reason: string };

/**
 * Checks the key a server presented against a known_hosts file, as OpenSSH does.
 * Under `accept-new`, an unknown host's key is returned in `learn` (the line to append).
 */
export async function checkHostKey(opts: {
  file: string;
  host: string;
  port: number;
  key: Buffer;
  policy: StrictHostKeyChecking;
}): Promise<HostKeyVerdict> {
  const { file, host, port, key, policy } = opts;
  const name = knownHostsName(host, port);
  const type = keyType(key);
  const b64 = key.toString("base64");
  const fp = fingerprint(key);
  if (policy === "no") return { ok: true };
  let text = "";
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const mine = parse(text).filter((e) => matches(e, name));
  if (mine.some((e) => e.revoked && e.key === b64)) {
    return { ok: false, reason: `host key of ${name} (${type} ${fp}) is marked @revoked in ${file}` };
  }
  if (mine.some((e) => !e.revoked && e.type === type && e.key === b64)) return { ok: true };
  const sameType = mine.filter((e) => !e.revoked && e.type === type);
  if (sameType.length > 0) {
    return {
      ok: false,
      reason:
        `host key of ${name} has CHANGED: the server presented ${type} ${fp}, ` +
        `which does not match the key recorded in ${file} (possible man-in-the-middle; remove the old line if the change is expected)`,
    };
  }
  if (policy === "yes") {
    return {
      ok: false,
      reason: `unknown host key for ${name}: ${type} ${fp} is not in ${file} (strictHostKeyChecking=yes; add it to known_hosts, or use accept-new)`,
    };
  }
  return { ok: true, learn: `${name} ${type} ${b64}\n` };
}

/** Appends a learnt key (accept-new), creating the file and its directory when needed. */
export async function learnHostKey(file: string, line: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, line, { mode: 0o600 });
}

/** Key types recorded for a host, so the client asks the server for those first (as OpenSSH does). */
export async function knownKeyTypes(file: string, host: string, port: number): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return [];
  }
  const name = knownHostsName(host, port);
  return [
    ...new Set(
      parse(text)
        .filter((e) => !e.revoked && matches(e, name))
        .map((e) => e.type),
    ),
  ];
}
