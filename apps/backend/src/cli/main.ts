import { resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { addBundleCommand } from "./bundle.js";
import { registerCheckCommand } from "./check-command.js";
import { bashCompletion } from "./completion.js";
import { addDiffCommand } from "./diff.js";
import { formatProblem, loadDocument } from "./document.js";
import { addExecCommand } from "./exec.js";
import { registerImportCommand } from "./import-command.js";
import { runCommand } from "./run.js";
import { addWorkerCommand, databaseOption } from "./worker-command.js";

/** Exit code of a command line the CLI cannot make sense of (unknown option, missing file…). */
const USAGE_ERROR = 2;

interface ServerModule {
  startServer(o: {
    host?: string;
    port?: number;
    dataDir?: string;
    databaseUrl?: string;
    runsOnWorkers?: boolean;
  }): Promise<{ url: string; close(): Promise<void> }>;
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError("expected a port number (0-65535).");
  return port;
}

/** The `nepi` program: its commands, their options and help. Actions report their exit code to `exit`. */
export function nepiProgram(exit: (code: number) => void): Command {
  const program = new Command("nepi")
    .description("NEPI Studio on the command line: validate and run experiment documents, or start the server")
    .showHelpAfterError("(add --help to see what it accepts)")
    .exitOverride();

  program
    .command("run")
    .description(
      "validate, deploy and run an experiment: a live table on a terminal, one JSON event per line with --json; " +
        "Ctrl-C stops and releases everything",
    )
    .argument("<experiment.json>", "the experiment document")
    .option("--results <dir>", "where the traces and timeline.json are written", "results")
    .option("--json", "one JSON event per line instead of the table")
    .option("--resume <campaignDir>", "continue a campaign in this directory with the runs still missing")
    .addHelpText(
      "after",
      "\nExit code: 0 when every resource that ends by itself finished, 1 when one failed (each\n" +
        "named with its reason), 3 when only non-critical resources failed and the rest finished\n" +
        "(FINISHED_WITH_FAILURES), 2 for an invalid document, 130 when interrupted.\n" +
        "A document with a campaign runs every point's runs, one line (or JSON object) per run:\n" +
        "exit 0 when every run succeeded, 1 when some run failed, 130 when interrupted.",
    )
    .action(async (file: string, o: { results: string; json?: boolean; resume?: string }) => {
      exit(
        await runCommand({
          file,
          results: o.results,
          json: o.json === true,
          resume: o.resume,
          out: process.stdout,
          err: process.stderr,
        }),
      );
    });

  program
    .command("validate")
    .description("list every problem of an experiment document (exit 0 when there is none, 1 otherwise)")
    .argument("<experiment.json>", "the experiment document")
    .action(async (file: string) => {
      const { problems } = await loadDocument(file);
      for (const p of problems) process.stdout.write(formatProblem(p) + "\n");
      const errors = problems.filter((p) => p.severity !== "warning").length;
      process.stdout.write(errors === 0 ? `${file}: valid\n` : `${file}: ${errors} problem${errors === 1 ? "" : "s"}\n`);
      exit(errors === 0 ? 0 : 1);
    });

  registerCheckCommand(program, exit);

  program
    .command("serve")
    .description("start the NEPI Studio server (API and designer) until SIGINT or SIGTERM")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (0: any free port)", portNumber, 7070)
    .option("--data <dir>", "data directory (experiments, runs, traces)", "data")
    .option(
      "--database <url>",
      "keep the store in PostgreSQL (postgres://…, default $NEPI_DATABASE_URL); runs go to `nepi worker`s",
    )
    .action(async (o: { host: string; port: number; data: string; database?: string }) => {
      // A variable specifier: the server module is optional for the CLI to build and run.
      const specifier = "../server/start.js";
      let mod: ServerModule;
      try {
        mod = (await import(specifier)) as ServerModule;
      } catch (e) {
        throw new Error(`nepi serve: the server is not available in this build (${(e as Error).message})`, { cause: e });
      }
      const databaseUrl = databaseOption(o.database);
      const server = await mod.startServer({
        host: o.host,
        port: o.port,
        dataDir: resolve(o.data),
        ...(databaseUrl ? { databaseUrl, runsOnWorkers: true } : {}),
      });
      process.stdout.write(`NEPI Studio is listening on ${server.url}\n`);
      await new Promise<void>((done) => {
        const stop = () => {
          process.stdout.write("stopping and releasing every active run…\n");
          server.close().then(done, done);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      exit(0);
    });

  addWorkerCommand(program, exit);
  addExecCommand(program, exit);
  registerImportCommand(program, exit);
  addBundleCommand(program, exit);
  addDiffCommand(program, exit);

  program
    .command("completion")
    .description("print a bash completion script (source <(nepi completion))")
    .action(() => {
      process.stdout.write(bashCompletion(program));
      exit(0);
    });

  return program;
}

/**
 * Runs the CLI with these arguments; resolves to the exit code. Help asked for exits 0; a command
 * line that cannot be parsed (commander has said why on stderr) exits 2, as does no command at all.
 */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = nepiProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_ERROR;
    throw err;
  }
  return code;
}
