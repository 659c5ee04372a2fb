import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { importNepiXml, NepiError } from "@nepi/core/node";
import { formatProblem } from "./document.js";

/** Exit codes of `nepi import`. */
const CONVERTED = 0;
const NOT_VALID = 1;
const UNREADABLE = 2;

export interface ImportCommandOptions {
  file: string;
  output?: string;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/**
 * Converts NEPI's XML into a document: printed (or written to `output`), what was not imported
 * and what validation finds on stderr. 0 when the document is valid (warnings allowed), 1 when
 * it is not (still written, to be fixed in the designer), 2 when the file cannot be read.
 */
export async function importCommand(o: ImportCommandOptions): Promise<number> {
  let xml: string;
  try {
    xml = await readFile(o.file, "utf8");
  } catch (e) {
    o.err.write(`error: (file): cannot read ${o.file}: ${(e as Error).message}\n`);
    return UNREADABLE;
  }
  let result: ReturnType<typeof importNepiXml>;
  try {
    result = importNepiXml(xml);
  } catch (e) {
    if (!(e instanceof NepiError)) throw e;
    o.err.write(`error: ${o.file}: ${e.message}\n`);
    return UNREADABLE;
  }
  const json = JSON.stringify(result.document, null, 2) + "\n";
  if (o.output) {
    try {
      await writeFile(o.output, json);
    } catch (e) {
      o.err.write(`error: (output): cannot write ${o.output}: ${(e as Error).message}\n`);
      return UNREADABLE;
    }
  } else o.out.write(json);
  for (const w of result.warnings) o.err.write(`warning: ${w.path}: ${w.message}\n`);
  for (const p of result.problems) o.err.write(formatProblem(p) + "\n");
  const errors = result.problems.filter((p) => p.severity !== "warning").length;
  if (o.output)
    o.err.write(
      `${o.output}: written, ${result.warnings.length} warning${result.warnings.length === 1 ? "" : "s"}` +
        (errors ? `, ${errors} problem${errors === 1 ? "" : "s"} to fix before running` : "") +
        "\n",
    );
  return errors === 0 ? CONVERTED : NOT_VALID;
}

/** `nepi import <experiment.xml>`: its declaration (options, help); the work is in importCommand. */
export function registerImportCommand(program: Command, exit: (code: number) => void): void {
  program
    .command("import")
    .description("convert an experiment saved by NEPI (its XML serialisation) into an experiment document")
    .argument("<experiment.xml>", "the NEPI experiment")
    .option("-o, --output <file>", "write the document there instead of printing it")
    .addHelpText(
      "after",
      "\nWhat has no equivalent here (resource types, attributes, conditions) is listed on stderr.\n" +
        "Exit code: 0 when the document is valid (warnings allowed), 1 when it still has problems\n" +
        "(written anyway), 2 for a file that cannot be read or is not a NEPI experiment, or an -o\n" +
        "file that cannot be written.",
    )
    .action(async (file: string, opts: { output?: string }) => {
      exit(
        await importCommand({ file, ...(opts.output ? { output: opts.output } : {}), out: process.stdout, err: process.stderr }),
      );
    });
}
