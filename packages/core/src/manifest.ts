import { readFileSync } from "node:fs";
import { redactCredentials } from "./catalog/credentials.js";
import { findResourceType } from "./catalog/registry.js";
import { hasRole, HOST_ROLE, NET_ENDPOINT_ROLE } from "./catalog/roles.js";
import type { ExperimentController } from "./engine/controller.js";
import { execOnHosts } from "./hosts/exec.js";
import type { ExperimentDocument } from "./model/document.js";
import type { HostExecResult } from "./model/hosts.js";
import type { MachineFacts, ManifestFact, RunManifest } from "./model/manifest.js";

/** NEPI Studio's version: core's package.json (one directory up from src/ and from dist/). */
export function nepiStudioVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}

/** The document with each resource's every attribute resolved (defaults filled) and credentials redacted. */
export function resolvedDocument(ec: ExperimentController): ExperimentDocument {
  const doc = ec.toDocument();
  const resources = doc.resources.map((r) => {
    const info = findResourceType(r.type);
    const attributes = { ...r.attributes };
    for (const a of info?.attributes ?? []) {
      const v = ec.get(r.guid, a.name);
      if (v !== undefined) attributes[a.name] = v;
    }
    return { ...r, attributes };
  });
  return redactCredentials({ ...doc, resources });
}

/** The Debian packages that the resources connected to host `guid` need. */
function packagesOn(doc: ExperimentDocument, guid: number): string[] {
  const near = new Set<number>();
  for (const c of doc.connections ?? []) {
    if (c.source === guid) near.add(c.target);
    if (c.target === guid) near.add(c.source);
  }
  const pkgs = doc.resources.filter((r) => near.has(r.guid)).flatMap((r) => findResourceType(r.type)?.packages ?? []);
  return [...new Set(pkgs)].sort();
}

const MARK = "@@nepi-fact ";
/** How long the facts command may run on a host; the release waits no longer for a host that hangs. */
const FACTS_TIMEOUT_MS = 15_000;

/** The promise's value, or undefined when it has not settled after `ms` (a hung connection). */
async function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** One short script: each fact on a line of its own after a marker; an empty value is "not readable". */
export function factsScript(packages: readonly string[]): string {
  const lines = [
    `printf '${MARK}uname %s\\n' "$(uname -a 2>/dev/null)"`,
    `printf '${MARK}os %s\\n' "$( (. /etc/os-release && printf %s "$PRETTY_NAME") 2>/dev/null)"`,
    `printf '${MARK}cpus %s\\n' "$(nproc 2>/dev/null)"`,
    ...packages.map((p) => `printf '${MARK}tool:${p} %s\\n' "$(dpkg-query -W -f='\${Version}' ${p} 2>/dev/null)"`),
  ];
  return lines.join("\n");
}

/** Reads the script's answer into facts; a fact with no value says why. */
export function parseFacts(r: HostExecResult, packages: readonly string[]): MachineFacts {
  const found = new Map<string, string>();
  for (const line of r.stdout.split("\n")) {
    if (!line.startsWith(MARK)) continue;
    const rest = line.slice(MARK.length);
    const space = rest.indexOf(" ");
    found.set(space < 0 ? rest : rest.slice(0, space), space < 0 ? "" : rest.slice(space + 1).trim());
  }
  const unreadable = r.error ?? (r.code !== 0 ? `exit ${r.code}: ${r.stderr.trim()}` : undefined);
  const fact = (key: string, missing: string): ManifestFact => {
    const v = found.get(key);
    if (v) return { value: v };
    return { error: unreadable ?? missing };
  };
  const tools: Record<string, ManifestFact> = {};
  for (const p of packages) tools[p] = fact(`tool:${p}`, "not installed");
  return {
    guid: r.guid,
    label: r.label,
    address: r.address,
    uname: fact("uname", "uname gave nothing"),
    os: fact("os", "no PRETTY_NAME in /etc/os-release"),
    cpus: fact("cpus", "nproc gave nothing"),
    tools,
  };
}

/**
 * The run's manifest. Each host's facts come from one short command over the host's transport
 * (the connection pool: while the run holds it, its connection is reused).
 */
export async function buildManifest(ec: ExperimentController): Promise<RunManifest> {
  const full = ec.toDocument();
  // An emulated host is a namespace of its machine: the machine's facts are its own.
  const hosts = full.resources.filter((r) => {
    const info = findResourceType(r.type);
    return hasRole(info, HOST_ROLE) && !hasRole(info, NET_ENDPOINT_ROLE);
  });
  const machines = await Promise.all(
    hosts.map(async (h): Promise<MachineFacts> => {
      const packages = packagesOn(full, h.guid);
      const unread = (error: string, address = "") =>
        parseFacts(
          {
            guid: h.guid,
            label: h.label || `guid ${h.guid}`,
            address,
            ok: false,
            code: null,
            stdout: "",
            stderr: "",
            error,
            durationMs: 0,
          },
          packages,
        );
      // Only a host the run reached and still holds: no new connection to a host known to be down.
      const reached = ec.timeline().some((e) => e.guid === h.guid && e.state === "DISCOVERED");
      if (!reached || ec.state(h.guid) === "FAILED")
        return unread(`not reached in this run (${ec.state(h.guid)}${ec.failure(h.guid) ? `: ${ec.failure(h.guid)}` : ""})`);
      try {
        const answer = execOnHosts(full, factsScript(packages), { hosts: [h.guid], timeoutMs: FACTS_TIMEOUT_MS });
        const r = await withDeadline(answer, FACTS_TIMEOUT_MS + 5000);
        return r ? parseFacts(r[0]!, packages) : unread(`no answer within ${(FACTS_TIMEOUT_MS + 5000) / 1000} s`);
      } catch (e) {
        // A host the document cannot reach (invalid settings): every fact says why.
        return unread((e as Error).message);
      }
    }),
  );
  return {
    format: "nepi-manifest@1",
    nepiStudio: nepiStudioVersion(),
    expId: ec.expId,
    runId: ec.runId,
    document: resolvedDocument(ec),
    machines,
  };
}
