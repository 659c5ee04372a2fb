import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import {
  diffRuns,
  RunManifestSchema,
  StateEventSchema,
  type AttributeValue,
  type RunDifference,
  type RunRecord,
} from "@nepi/core/node";

/** Exit code of a run directory the CLI cannot read. */
const USAGE_ERROR = 2;

export interface DiffOptions {
  a: string;
  b: string;
  json: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Reads one JSON file of a run, checked by its schema; an error names the file and the field. */
async function readChecked<T>(dir: string, name: string, schema: z.ZodType<T>): Promise<T> {
  const file = join(dir, name);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return parsed.data;
}

/** A run directory's manifest and timeline. */
export async function loadRunRecord(dir: string): Promise<RunRecord> {
  // One after the other: the error of a directory that is no run always names its manifest.
  const manifest = await readChecked(dir, "manifest.json", RunManifestSchema);
  const timeline = await readChecked(dir, "timeline.json", z.array(StateEventSchema));
  return { manifest, timeline };
}

const show = (v: AttributeValue | undefined) => (v === undefined ? "(unset)" : JSON.stringify(v));
const ms = (v: number | undefined) => (v === undefined ? "never" : `+${v} ms`);

/** The differences as text: attributes, facts, then each state's timing. */
export function formatDifference(d: RunDifference, a: string, b: string): string {
  const lines = [`A: ${a}`, `B: ${b}`];
  lines.push(d.attributes.length ? "attributes:" : "attributes: the same");
  for (const x of d.attributes) lines.push(`  ${x.resource} ${x.attribute}: ${show(x.a)} → ${show(x.b)}`);
  lines.push(d.facts.length ? "machine facts:" : "machine facts: the same");
  for (const f of d.facts) lines.push(`  ${f.machine} ${f.fact}: ${f.a} → ${f.b}`);
  lines.push("timing (state reached, after the run's first transition):");
  for (const t of d.timing) {
    const delta =
      t.a !== undefined && t.b !== undefined ? ` (${t.b - t.a >= 0 ? "+" : ""}${t.b - t.a} ms)` : " (reached in one run only)";
    lines.push(`  ${t.resource} ${t.state}: ${ms(t.a)} vs ${ms(t.b)}${delta}`);
  }
  lines.push(d.same ? "same: no attribute, fact or reached state differs" : "different");
  return lines.join("\n") + "\n";
}

/**
 * `nepi diff`: what differs between two runs. Exit 0 when their attributes, machine facts and
 * the states reached are the same (times always differ a little: they are shown, not counted),
 * 1 when something differs, 2 when a run directory cannot be read.
 */
export async function diffCommand(o: DiffOptions): Promise<number> {
  let ra: RunRecord, rb: RunRecord;
  try {
    ra = await loadRunRecord(o.a);
    rb = await loadRunRecord(o.b);
  } catch (e) {
    o.err.write(`nepi diff: ${(e as Error).message}\n`);
    return USAGE_ERROR;
  }
  const d = diffRuns(ra, rb);
  o.out.write(o.json ? JSON.stringify(d) + "\n" : formatDifference(d, o.a, o.b));
  return d.same ? 0 : 1;
}

/** Adds `nepi diff` to the program. */
export function addDiffCommand(program: Command, exit: (code: number) => void): void {
  program
    .command("diff")
    .description("show what differs between two runs: attributes, machine facts, and when each state was reached")
    .argument("<run-a>", "a run's results directory")
    .argument("<run-b>", "another run's results directory")
    .option("--json", "the differences as one JSON object")
    .addHelpText(
      "after",
      "\nExit code: 0 when attributes, machine facts and the states reached are the same (times are\n" +
        "shown, not counted), 1 when they differ, 2 when a run directory cannot be read.",
    )
    .action(async (a: string, b: string, o: { json?: boolean }) => {
      exit(await diffCommand({ a, b, json: o.json === true, out: process.stdout, err: process.stderr }));
    });
}
