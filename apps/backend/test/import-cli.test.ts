import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

// The `nepi` command as a user runs it (the global set-up built dist/ from the sources).
const BIN = fileURLToPath(new URL("../bin/nepi.js", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../../../packages/core/src/import/fixtures/${name}`, import.meta.url));

function nepi(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("nepi import", () => {
  it("prints the document converted from NEPI's XML, what was left out on stderr, exit 0", async () => {
    const out = await nepi("import", fixture("ping.xml"));
    expect(out.code).toBe(0);
    const doc = JSON.parse(out.stdout) as { format: string; resources: { type: string }[] };
    expect(doc.format).toBe("nepi-experiment@1");
    expect(doc.resources.map((r) => r.type)).toEqual(["linux::Node", "linux::Ping"]);
    expect(out.stderr).toContain('warning: experiment/@nthreads: no equivalent: nthreads="20" is not imported');
  });

  it("writes -o, and the file passes nepi validate", async () => {
    const file = join(tempDir(), "apps.json");
    const out = await nepi("import", fixture("unknown.xml"), "-o", file);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain("warning: experiment/rms/rm[guid=2]/@rtype: no equivalent for NEPI resource type");
    expect(out.stderr).toContain(`${file}: written, 7 warnings`);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ name: "nepi-unknown" });
    expect((await nepi("validate", file)).code).toBe(0);
  });

  it("exits 1 when the converted document still has problems, and says which", async () => {
    const xml = join(tempDir(), "ping.xml");
    writeFileSync(xml, '<experiment exp_id="x"><rms><rm guid="1" rtype="linux::Ping"/></rms></experiment>');
    const out = await nepi("import", xml);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ resources: [{ guid: 1, type: "linux::Ping" }] });
    expect(out.stderr).toMatch(/^error: resources\[0\]\S*: .*target/m);
  });

  it("exits 2 for a group that is code, naming the field, with nothing printed on stdout", async () => {
    const out = await nepi("import", fixture("malicious-group.xml"));
    expect(out.code).toBe(2);
    expect(out.stdout).toBe("");
    expect(out.stderr).toContain("experiment/rms/rm[guid=2]/conditions/condition[1]/@group: expected a list of guids");
  });

  it("exits 2 for a file that is missing or not XML", async () => {
    expect((await nepi("import", join(tempDir(), "missing.xml"))).code).toBe(2);
    const json = join(tempDir(), "doc.xml");
    writeFileSync(json, "{}");
    const out = await nepi("import", json);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain("not well-formed XML");
  });

  it("exits 2 when -o cannot be written, saying why", async () => {
    const out = await nepi("import", fixture("ping.xml"), "-o", join(tempDir(), "no", "such", "dir.json"));
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^error: \(output\): cannot write .*dir\.json: ENOENT/m);
  });
});
