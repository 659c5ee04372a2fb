import type { ExecResult } from "../../transport/types.js";

/** One resource's share of a build on a machine: what it needs made (or removed), in three kinds. */
export interface BuildStep {
  /** `ip -batch` lines run in the machine's own namespace (netns add, veth pairs). */
  root?: string[];
  /** `ip -batch` lines run inside a namespace, per namespace (addresses, bridge ports, routes). */
  inNamespace?: Array<[ns: string, lines: string[]]>;
  /** Shell commands, run after the ip batches (tc, nft, sysctl). */
  commands?: string[];
}

interface Pending {
  step: BuildStep;
  done(error?: Error): void;
}

/** A script passed as one argument must stay below the kernel's 128 KiB limit (MAX_ARG_STRLEN). */
const MAX_SCRIPT_BYTES = 96 * 1024;
const EOF_MARK = "NEPI_NETNS_EOF";

/**
 * Builds what many resources ask of one machine in few processes: the steps that arrive while a
 * batch runs make the next batch (nothing waits for a timer), and each batch is one script — one
 * `ip -batch` in the machine's namespace, one per namespace touched, then the shell commands.
 * A failed line fails only the step it came from, with ip's or the command's own words.
 */
export class Batcher {
  private queue: Pending[] = [];
  private running = false;

  constructor(private readonly run: (script: string) => Promise<ExecResult>) {}

  submit(step: BuildStep): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ step, done: (e) => (e ? reject(e) : resolve()) });
      if (!this.running) {
        this.running = true;
        // Steps submitted in the same turn (a wave of deploys) join this batch.
        queueMicrotask(() => void this.next());
      }
    });
  }

  private async next(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = takeBatch(this.queue);
      const script = batchScript(batch.map((p) => p.step));
      let result: ExecResult;
      try {
        result = await this.run(script.text);
      } catch (e) {
        for (const p of batch) p.done(e as Error);
        continue;
      }
      const failures = parseFailures(result.stderr, script);
      batch.forEach((p, i) => {
        const failed = failures.get(i);
        p.done(failed ? new Error(failed) : undefined);
      });
    }
    this.running = false;
  }
}

function stepBytes(s: BuildStep): number {
  let n = 0;
  for (const l of s.root ?? []) n += l.length + 1;
  for (const [ns, lines] of s.inNamespace ?? []) for (const l of lines) n += l.length + ns.length + 40;
  for (const c of s.commands ?? []) n += c.length + 40;
  return n;
}

/** The queued steps that fit in one script (at least one). */
function takeBatch(queue: Pending[]): Pending[] {
  let bytes = 0;
  let k = 0;
  while (k < queue.length && (k === 0 || bytes + stepBytes(queue[k]!.step) < MAX_SCRIPT_BYTES))
    bytes += stepBytes(queue[k++]!.step);
  return queue.splice(0, k);
}

/** Which step each `ip -batch` line or command belongs to. */
interface BatchScript {
  text: string;
  /** Per section marker (`root`, `ns <name>`): the step of each of its lines. */
  lines: Map<string, number[]>;
  /** Per command number: its step. */
  commands: number[];
}

/** A section's lines into `ip -force -batch` (it goes on after a failed line and names it). */
function ipBatch(section: string, ip: string, lines: string[]): string {
  return `echo '@@ ${section}' >&2\n${ip} -force -batch - <<'${EOF_MARK}' || echo '@@ exit' >&2\n${lines.join("\n")}\n${EOF_MARK}`;
}

export function batchScript(steps: BuildStep[]): BatchScript {
  const parts: string[] = [];
  const lines = new Map<string, number[]>();
  const root: string[] = [];
  const rootOwners: number[] = [];
  const perNs = new Map<string, { lines: string[]; owners: number[] }>();
  const commands: string[] = [];
  const commandOwners: number[] = [];
  steps.forEach((s, i) => {
    for (const l of s.root ?? []) {
      root.push(l);
      rootOwners.push(i);
    }
    for (const [ns, ls] of s.inNamespace ?? []) {
      let e = perNs.get(ns);
      if (!e) perNs.set(ns, (e = { lines: [], owners: [] }));
      for (const l of ls) {
        e.lines.push(l);
        e.owners.push(i);
      }
    }
    for (const c of s.commands ?? []) {
      commands.push(c);
      commandOwners.push(i);
    }
  });
  if (root.length) {
    parts.push(ipBatch("root", "ip", root));
    lines.set("root", rootOwners);
  }
  for (const [ns, e] of perNs) {
    parts.push(ipBatch(`ns ${ns}`, `ip -n ${ns}`, e.lines));
    lines.set(`ns ${ns}`, e.owners);
  }
  commands.forEach((c, k) => parts.push(`echo '@@ cmd ${k}' >&2\n${c} || echo "@@ failed ${k} $?" >&2`));
  parts.push("true");
  return { text: parts.join("\n"), lines, commands: commandOwners };
}

/** The steps that failed, each with what went wrong (ip's messages, or a command's stderr). */
export function parseFailures(stderr: string, script: BatchScript): Map<number, string> {
  const failures = new Map<number, string>();
  const fail = (step: number | undefined, message: string) => {
    if (step === undefined) return;
    const m = message.trim() || "failed";
    failures.set(step, failures.has(step) ? `${failures.get(step)}; ${m}` : m);
  };
  let section = "";
  let said: string[] = [];
  let reported = false;
  for (const line of stderr.split("\n")) {
    const marker = /^@@ (.*)$/.exec(line);
    if (marker) {
      const m = marker[1]!;
      const failed = /^failed (\d+) (\d+)$/.exec(m);
      if (failed) {
        const k = Number(failed[1]);
        fail(script.commands[k], `${said.join(" ").trim() || `exit code ${failed[2]}`}`);
      } else if (m === "exit") {
        // ip gave up before its lines (no such namespace): every line of the section failed.
        if (!reported) for (const step of new Set(script.lines.get(section))) fail(step, said.join(" "));
      } else {
        section = m;
        reported = false;
      }
      said = [];
      continue;
    }
    const ipFailed = /^Command failed -:(\d+)$/.exec(line);
    if (ipFailed) {
      fail(script.lines.get(section)?.[Number(ipFailed[1]) - 1], said.join(" "));
      reported = true;
      said = [];
      continue;
    }
    if (line.trim()) said.push(line.trim());
  }
  return failures;
}
