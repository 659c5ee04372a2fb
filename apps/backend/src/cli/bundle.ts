import { basename, dirname, resolve } from "node:path";
import type { Command } from "commander";
import { missingRunFiles, writeRunBundle } from "../runs/bundle.js";

/** Exit code of a run directory (or output) the CLI cannot use. */
const USAGE_ERROR = 2;

export interface BundleOptions {
  runDir: string;
  output?: string;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** The archive's default name: `<expId>-<runId>.tar.gz`, from the run directory's path. */
export function defaultBundleName(runDir: string): string {
  const dir = resolve(runDir);
  return `${basename(dirname(dir))}-${basename(dir)}.tar.gz`;
}

/**
 * `nepi bundle`: one .tar.gz of a run directory (design, manifest, timeline and every trace)
 * under a top folder named after the run; exit 2 when the directory is not a whole run.
 */
export async function bundleCommand(o: BundleOptions): Promise<number> {
  const dir = resolve(o.runDir);
  const missing = await missingRunFiles(dir);
  if (missing.length > 0) {
    o.err.write(`nepi bundle: ${o.runDir} is not a run directory: ${missing.join(", ")} missing\n`);
    return USAGE_ERROR;
  }
  const file = resolve(o.output ?? defaultBundleName(dir));
  try {
    await writeRunBundle(dir, file);
  } catch (e) {
    o.err.write(`nepi bundle: cannot write ${file}: ${(e as Error).message}\n`);
    return USAGE_ERROR;
  }
  o.out.write(`${file}\n`);
  return 0;
}

/** Adds `nepi bundle` to the program. */
export function addBundleCommand(program: Command, exit: (code: number) => void): void {
  program
    .command("bundle")
    .description("pack a run directory (design, manifest, timeline, traces) into one .tar.gz")
    .argument("<run-dir>", "the run's results directory: <results>/<expId>/<runId>")
    .option("-o, --output <file>", "the archive to write (default: <expId>-<runId>.tar.gz here)")
    .addHelpText("after", "\nExit code: 0 when written (its path is printed), 2 when the directory is not a whole run.")
    .action(async (runDir: string, o: { output?: string }) => {
      exit(await bundleCommand({ runDir, ...(o.output ? { output: o.output } : {}), out: process.stdout, err: process.stderr }));
    });
}
