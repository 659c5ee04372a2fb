import { resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";

interface WorkerModule {
  startWorker(o: {
    databaseUrl: string;
    dataDir: string;
    maxRuns?: number;
    log: (message: string, fields?: Record<string, unknown>) => void;
  }): Promise<{ id: string; close(): Promise<void> }>;
}
interface LogModule {
  stdoutLogger(): (message: string, fields?: Record<string, unknown>) => void;
}

function positiveInteger(value: string): number {
  if (!/^[1-9]\d{0,5}$/.test(value)) throw new InvalidArgumentError("expected a positive integer.");
  return Number(value);
}

/** `--database`, or NEPI_DATABASE_URL: where the store, the queue and the notifications are. */
export function databaseOption(value: string | undefined): string | undefined {
  return value ?? (process.env.NEPI_DATABASE_URL || undefined);
}

/**
 * `nepi worker`: runs the controllers of the runs `nepi serve` queues in PostgreSQL, until
 * SIGINT or SIGTERM (then it takes no more and releases what it holds).
 */
export function addWorkerCommand(program: Command, exit: (code: number) => void): void {
  program
    .command("worker")
    .description("run the experiments that `nepi serve --database` queues, until SIGINT or SIGTERM")
    .option("--database <url>", "PostgreSQL database: postgres://… (default $NEPI_DATABASE_URL)")
    .option("--data <dir>", "data directory (the runs' files, traces)", "data")
    .option("--max-runs <n>", "runs held at once (the others wait in the queue)", positiveInteger, 16)
    .action(async (o: { database?: string; data: string; maxRuns: number }) => {
      const databaseUrl = databaseOption(o.database);
      if (!databaseUrl) {
        process.stderr.write("nepi worker: --database <postgres://…> (or NEPI_DATABASE_URL) is required\n");
        return exit(2);
      }
      // Variable specifiers: the server's modules are optional for the CLI to build and run.
      const workerSpecifier = "../cluster/worker.js";
      const logSpecifier = "../server/log.js";
      const { startWorker } = (await import(workerSpecifier)) as WorkerModule;
      const { stdoutLogger } = (await import(logSpecifier)) as LogModule;
      const log = stdoutLogger();
      const worker = await startWorker({ databaseUrl, dataDir: resolve(o.data), maxRuns: o.maxRuns, log });
      await new Promise<void>((done) => {
        const stop = (sig: string) => {
          log(`${sig}: taking no more runs, releasing those held…`);
          worker.close().then(done, (err: Error) => {
            log(`shutdown failed: ${err.message}`, { level: "error" });
            done();
          });
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
      exit(0);
    });
}
