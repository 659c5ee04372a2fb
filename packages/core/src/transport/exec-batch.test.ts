import { describe, expect, it } from "vitest";
import { ExecBatcher, batchScript, parseBatch } from "./exec-batch.js";
import { LocalTransport } from "./local.js";

describe("scripts batched into one", () => {
  it("keep their own stdout, stderr and exit code, each in its own subshell", async () => {
    const t = new LocalTransport();
    let execs = 0;
    const b = new ExecBatcher({ exec: (s) => (execs++, t.exec(s)) });
    const results = await Promise.all([
      b.exec("echo one"),
      b.exec("printf 'no newline'"),
      b.exec("echo to-stderr >&2; exit 3"),
      b.exec("cd /; exit 0"),
      b.exec("pwd"),
      b.exec("cat <<'EOF'\nline 1\n\nline 3\nEOF"),
      b.exec("printf ''"),
    ]);
    expect(execs).toBe(1);
    expect(results).toEqual([
      { stdout: "one\n", stderr: "", code: 0 },
      { stdout: "no newline", stderr: "", code: 0 },
      { stdout: "", stderr: "to-stderr\n", code: 3 },
      { stdout: "", stderr: "", code: 0 },
      // The cd of the script before did not leak into this one.
      { stdout: `${process.cwd()}\n`, stderr: "", code: 0 },
      { stdout: "line 1\n\nline 3\n", stderr: "", code: 0 },
      { stdout: "", stderr: "", code: 0 },
    ]);
  });

  it("a script alone runs as it is; scripts of later turns make another batch", async () => {
    const seen: string[] = [];
    const b = new ExecBatcher({ exec: (s) => (seen.push(s), Promise.resolve({ stdout: "x", stderr: "", code: 0 })) });
    expect(await b.exec("echo alone")).toEqual({ stdout: "x", stderr: "", code: 0 });
    await b.exec("echo again");
    expect(seen).toEqual(["echo alone", "echo again"]);
  });

  it("a batch that breaks off fails every script it did not report, never a success without output", async () => {
    const t = new LocalTransport();
    const b = new ExecBatcher(t);
    const results = await Promise.all([b.exec("echo fine"), b.exec("kill -9 $$")]);
    for (const r of results) {
      expect(r.code).toBe(137);
      expect(r.stderr).toMatch(/the batch ended before this script/);
    }
  });

  it("parses what the batch printed, markers and all", () => {
    const mark = "NEPI-test";
    expect(batchScript(["a", "b"], mark)).toContain(`{ (\nb\n) </dev/null >"$t/o1" 2>"$t/e1"; echo $? >"$t/c1"; } &`);
    const out = `${mark}-out 0 0\nA\n\n${mark}-err\n\n${mark}-end\n${mark}-out 1 2\n\n${mark}-err\noops\n${mark}-end\n`;
    expect(parseBatch(out, 3, mark)).toEqual([
      { stdout: "A\n", stderr: "", code: 0 },
      { stdout: "", stderr: "oops", code: 2 },
      // Never reported.
      { stdout: "", stderr: "", code: -1 },
    ]);
  });
});
