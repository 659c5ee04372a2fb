#!/usr/bin/env node
// The `nepi` command: runs the built CLI (apps/backend/dist/cli/main.js).
const entry = new URL("../dist/cli/main.js", import.meta.url);
let cli;
try {
  cli = await import(entry.href);
} catch (err) {
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli/main.js")) {
    process.stderr.write("nepi: the CLI is not built yet — run `npm run build` at the repository root first\n");
    process.exit(2);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
