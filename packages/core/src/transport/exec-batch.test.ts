import { describe, expect, it } from "vitest";
import { ExecBatcher, batchScript, parseBatch, type Enter } from "./exec-batch.js";
import { LocalTransport } from "./local.js";
import { shq } from "./quote.js";

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

  it("scripts that enter the same place share one shell there, in the same batch as the others", async () => {
    const t = new LocalTransport();
    const sent: string[] = [];
    const b = new ExecBatcher({ exec: (s) => (sent.push(s), t.exec(s)) });
    // A stand-in for a namespace: an environment the scripts can tell apart.
    const place = (name: string): Enter => ({
      key: name,
      wrap: (script, arg0) => `PLACE=${name} sh -c ${shq(script)} ${arg0}`,
    });
    const [a, b1, b2, none] = [place("a"), place("b"), place("b"), undefined];
    const results = await Promise.all([
      b.exec('echo "in $PLACE"', a),
      b.exec('echo "in $PLACE"; exit 4', b1),
      b.exec('echo "in $PLACE" >&2', b2),
      b.exec('echo "in ${PLACE:-the batch}"', none),
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.match(/PLACE=b /g)).toHaveLength(1);
    expect(results).toEqual([
      { stdout: "in a\n", stderr: "", code: 0 },
      { stdout: "in b\n", stderr: "", code: 4 },
      { stdout: "", stderr: "in b\n", code: 0 },
      { stdout: "in the batch\n", stderr: "", code: 0 },
    ]);
    // Alone, a script still enters its place.
    expect(await b.exec('echo "$PLACE"', place("c"))).toEqual({ stdout: "c\n", stderr: "", code: 0 });
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
