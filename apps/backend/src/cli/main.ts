import { resolve } from "node:path";
import { checkOptions, parseArgs } from "./args.js";
import { formatProblem, loadDocument } from "./document.js";
import { runCommand } from "./run.js";

const USAGE = `nepi — NEPI Studio on the command line

  nepi run <experiment.json> [--results DIR] [--json]
        validate, deploy and run an experiment; a live table on a terminal, one JSON event
        per line with --json; Ctrl-C stops and releases everything. Exit 0 only when every
        resource that finishes by itself finished.
  nepi validate <experiment.json>
        list every problem of a document (exit 0 when there is none)
  nepi serve [--host 127.0.0.1] [--port 7070] [--data DIR]
        start the NEPI Studio server (API and designer)
`;

/** Runs the CLI with these arguments; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const args = parseArgs(rest, new Set(["results", "host", "port", "data"]));
  if (!command || command === "help" || command === "--help" || command === "-h" || args.options.has("help")) {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  switch (command) {
    case "run": {
      checkOptions(args, ["results", "json"], "run");
      const file = args.positionals[0];
      if (!file || args.positionals.length > 1) throw new Error("nepi run: expected one experiment file (nepi run <experiment.json>)");
      const results = args.options.get("results");
      return runCommand({
        file,
        results: typeof results === "string" ? results : "results",
        json: args.options.get("json") === true,
        out: process.stdout,
        err: process.stderr,
      });
    }
    case "validate": {
      checkOptions(args, [], "validate");
      const file = args.positionals[0];
      if (!file || args.positionals.length > 1) throw new Error("nepi validate: expected one experiment file");
      const { problems } = await loadDocument(file);
      for (const p of problems) process.stdout.write(formatProblem(p) + "\n");
      const errors = problems.filter((p) => p.severity !== "warning").length;
      process.stdout.write(errors === 0 ? `${file}: valid\n` : `${file}: ${errors} problem${errors === 1 ? "" : "s"}\n`);
      return errors === 0 ? 0 : 1;
    }
    case "serve": {
      checkOptions(args, ["host", "port", "data"], "serve");
      const port = Number(args.options.get("port") ?? 7070);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected a port number (0-65535), got ${args.options.get("port")}`);
      // A variable specifier: the server module is optional for the CLI to build and run.
      const specifier = "../server/start.js";
      let mod: { startServer(o: { host?: string; port?: number; dataDir?: string }): Promise<{ url: string; close(): Promise<void> }> };
      try {
        mod = await import(specifier);
      } catch (e) {
        throw new Error(`nepi serve: the server is not available in this build (${(e as Error).message})`);
      }
      const host = args.options.get("host");
      const data = args.options.get("data");
      const server = await mod.startServer({
        host: typeof host === "string" ? host : "127.0.0.1",
        port,
        dataDir: resolve(typeof data === "string" ? data : "data"),
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
      return 0;
    }
    default:
      throw new Error(`nepi: unknown command "${command}" (run, validate, serve; nepi help)`);
  }
}
