import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ExperimentDocumentSchema, importNepiXml } from "@nepi/core";
import { createEditor } from "../editor";
import { importFile, parseImportedFile } from "./persistence";

// Written by hand in NEPI's format; the same fixtures core's converter and `nepi import` are tested on.
const fixture = (name: string) =>
  readFileSync(new URL(`../../../../packages/core/src/import/fixtures/${name}`, import.meta.url), "utf8");

describe("Import of an experiment saved by NEPI (XML)", () => {
  it("goes through core's converter, its warnings kept", () => {
    const xml = fixture("unknown.xml");
    const r = parseImportedFile("experiment.xml", xml);
    if (!r.ok) throw new Error(r.errors.join("; "));
    const converted = importNepiXml(xml);
    expect(r.doc).toEqual(ExperimentDocumentSchema.parse(converted.document));
    expect(r.warnings).toEqual(converted.warnings.map((w) => `${w.path}: ${w.message}`));
    expect(r.warnings[1]).toMatch(
      /^experiment\/rms\/rm\[guid=2\]\/@rtype: no equivalent for NEPI resource type "planetlab::Node"/,
    );
  });

  it("puts the converted design on the canvas and says what was left out", async () => {
    const editor = createEditor();
    const ok = await importFile(editor, new File([fixture("ping.xml")], "ping.xml", { type: "text/xml" }));
    expect(ok).toBe(true);
    const design = editor.design.getState();
    expect(design.toDocument().resources.map((r) => [r.type, r.attributes])).toEqual([
      ["linux::Node", { hostname: "localhost", cleanProcesses: true }],
      ["linux::Ping", { target: "127.0.0.1", count: 3, interval: 0.2 }],
    ]);
    expect(design.toDocument().connections).toEqual([{ source: 2, target: 1 }]);
    expect(design.notice).toMatchObject({ kind: "info", text: expect.stringContaining("not imported: experiment/@nthreads") });
  });

  it("refuses a group that is code, naming the field, and leaves the canvas alone", async () => {
    const editor = createEditor();
    const before = editor.design.getState().toDocument();
    expect(await importFile(editor, new File([fixture("malicious-group.xml")], "evil.xml"))).toBe(false);
    expect(editor.design.getState().toDocument()).toEqual(before);
    expect(editor.design.getState().notice).toMatchObject({
      kind: "error",
      text: expect.stringContaining("@group: expected a list of guids"),
    });
    const r = parseImportedFile("evil.xml", fixture("malicious-group.xml"));
    expect(r).toEqual({
      ok: false,
      errors: [expect.stringContaining("conditions/condition[1]/@group: expected a list of guids")],
    });
  });

  it("still reads JSON documents as before", () => {
    const r = parseImportedFile("design.json", JSON.stringify({ format: "nepi-experiment@1", name: "j", resources: [] }));
    expect(r).toMatchObject({ ok: true, warnings: [], doc: { name: "j", resources: [] } });
  });
});
