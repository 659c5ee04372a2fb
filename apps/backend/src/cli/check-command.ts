import { InvalidArgumentError, type Command } from "commander";
import { checkCommand } from "./check.js";

function seconds(value: string): number {
  const s = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || s <= 0 || s > 600)
    throw new InvalidArgumentError("expected a number of seconds (0 < s ≤ 600).");
  return s * 1000;
}

/** `nepi check <experiment.json>`: its declaration (options, help); the work is in check.ts. */
export function registerCheckCommand(program: Command, exit: (code: number) => void): void {
  program
    .command("check")
    .description("check every host of an experiment before deploy: reachable, host key, login, shell, sudo, packages, disk")
    .argument("<experiment.json>", "the experiment document")
    .option("--json", "print the report as one JSON object")
    .option("--timeout <seconds>", "connect timeout per host (default 10)", seconds)
    .addHelpText(
      "after",
      "\nExit code: 0 when no check found a problem (warnings allowed), 1 when one did, 2 for a\ndocument that cannot be read.",
    )
    .action(async (file: string, o: { json?: boolean; timeout?: number }) => {
      exit(
        await checkCommand({
          file,
          json: o.json === true,
          ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
          out: process.stdout,
          err: process.stderr,
        }),
      );
    });
}
