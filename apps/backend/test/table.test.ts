import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ExperimentController } from "@nepi/core/node";
import { LiveTable } from "../src/cli/table.js";

/** A terminal that keeps what was written, without colours or cursor moves. */
function terminal(): { out: NodeJS.WriteStream; screen: () => string[] } {
  let text = "";
  const w = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(w, { columns: 200, rows: 40, isTTY: true });
  // The last frame drawn, from its header line on, without colours or cursor moves.
  const screen = () => {
    // eslint-disable-next-line no-control-regex
    const lines = text.replace(/\x1b\[\d*[A-Za-z]/g, "").split("\n");
    return lines.slice(lines.findLastIndex((l) => l.startsWith("GUID")));
  };
  return { out: w, screen };
}

describe("the CLI's live table", () => {
  it("has a 'waiting on' column with what each resource waits for, from the controller", async () => {
    const ec = new ExperimentController();
    const a = ec.registerResource("sim::Task", { duration: "300ms" }, { label: "server" });
    const b = ec.registerResource("sim::Task", { duration: "10ms" }, { label: "client" });
    ec.registerCondition(b, "START", a, "FINISHED", "1s");
    const { out, screen } = terminal();
    const rows = ec
      .guids()
      .map((g) => ({ guid: g, label: ec.label(g) ?? "", rtype: ec.rtype(g), state: ec.state(g), since: Date.now() }));
    const table = new LiveTable(out, rows, Date.now(), (g) =>
      ec
        .waitingOn(g)
        .map((w) => w.text)
        .join("; "),
    );
    ec.on("state", (e) => table.update(e));
    ec.deploy();
    await ec.waitStarted(a);
    table.draw();
    const lines = screen();
    expect(lines[0]).toMatch(/^GUID\s+LABEL\s+TYPE\s+STATE\s+WAITING ON\s+DETAIL$/);
    const column = lines[0]!.indexOf("WAITING ON");
    const row = (label: string) => lines.find((l) => l.includes(label))!;
    expect(row("client").slice(column).trim()).toBe(`START after guid ${a} FINISHED + 1s: guid ${a} is STARTED`);
    expect(row("server").slice(column).trim()).toBe("running until it ends by itself");
    await ec.waitFinished(b);
    table.draw();
    expect(
      screen()
        .find((l) => l.includes("client"))!
        .slice(column)
        .trim(),
    ).toBe("");
    await ec.shutdown();
  });
});
