import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NepiError } from "../model/errors.js";
import { importNepiXml } from "./nepi-xml.js";
import { parseGuidList } from "./python-list.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("importNepiXml", () => {
  it("converts a ping experiment into a valid document", () => {
    const { document, warnings, problems } = importNepiXml(fixture("ping.xml"));
    expect(problems).toEqual([]);
    expect(document.name).toBe("nepi-ping");
    expect(document.resources).toEqual([
      { guid: 1, type: "linux::Node", label: "node1", attributes: { hostname: "localhost", cleanProcesses: true }, traces: [] },
      {
        guid: 2,
        type: "linux::Ping",
        label: "ping2",
        attributes: { target: "127.0.0.1", count: 3, interval: 0.2 },
        traces: ["stdout"],
      },
    ]);
    // Listed on both ends in NEPI's file: one link, from the ping to its host.
    expect(document.connections).toEqual([{ source: 2, target: 1 }]);
    expect(warnings.map((w) => w.path)).toEqual(["experiment/@nthreads", "experiment/@local_dir"]);
  });

  it("reads conditions: group lists, numeric actions and states, times", () => {
    const { document, warnings, problems } = importNepiXml(fixture("apps.xml"));
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(document.resources.map((r) => r.type)).toEqual([
      "linux::Node",
      "linux::Application",
      "linux::Application",
      "linux::Application",
    ]);
    expect(document.resources[1]!.attributes).toEqual({
      command: "echo server && sleep 1",
      depends: "netcat-openbsd",
      sudo: false,
    });
    expect(document.resources[1]!.traces).toEqual(["stdout", "stderr"]);
    expect(document.connections).toEqual([
      { source: 2, target: 1 },
      { source: 3, target: 1 },
      { source: 4, target: 1 },
    ]);
    expect(document.conditions).toEqual([
      { group: [3], action: "START", after: [2], state: "STARTED", delay: "5s" },
      { group: [4], action: "START", after: [2, 3], state: "STOPPED" },
      { group: [4], action: "STOP", after: [2, 3], state: "STOPPED", delay: "1.5m" },
    ]);
  });

  it("merges the same condition of several resources into one", () => {
    const xml = `<experiment exp_id="x"><rms>
      <rm guid="1" rtype="linux::Node"><attributes><attribute name="hostname" value="localhost" type="STRING"/></attributes></rm>
      <rm guid="2" rtype="linux::Application"><connections><connection guid="1"/></connections>
        <attributes><attribute name="command" value="a" type="STRING"/></attributes></rm>
      <rm guid="3" rtype="linux::Application"><connections><connection guid="1"/></connections>
        <attributes><attribute name="command" value="b" type="STRING"/></attributes>
        <conditions><condition action="1" group="[2]" state="5" time="2s"/></conditions></rm>
      <rm guid="4" rtype="linux::Application"><connections><connection guid="1"/></connections>
        <attributes><attribute name="command" value="c" type="STRING"/></attributes>
        <conditions><condition action="START" group="(2,)" state="STARTED" time="2s"/></conditions></rm>
    </rms></experiment>`;
    const { document, problems } = importNepiXml(xml);
    expect(problems).toEqual([]);
    expect(document.conditions).toEqual([{ group: [3, 4], action: "START", after: [2], state: "STARTED", delay: "2s" }]);
  });

  it("reports what has no equivalent, with its XML path", () => {
    const { document, warnings, problems } = importNepiXml(fixture("unknown.xml"));
    expect(document.resources.map((r) => r.guid)).toEqual([1, 3]);
    expect(warnings).toEqual([
      {
        path: "experiment/rms/rm[guid=1]/attributes/attribute[name=server_key]",
        message: expect.stringContaining('attribute "server_key"'),
      },
      { path: "experiment/rms/rm[guid=2]/@rtype", message: expect.stringContaining('"planetlab::Node"') },
      {
        path: "experiment/rms/rm[guid=3]/attributes/attribute[name=forwardX11]",
        message: expect.stringContaining('attribute "forwardX11"'),
      },
      { path: "experiment/rms/rm[guid=3]/traces/trace[name=buildlog]", message: expect.stringContaining('no trace "buildlog"') },
      {
        path: "experiment/rms/rm[guid=1]/connections/connection[guid=2]",
        message: expect.stringContaining("not an imported resource"),
      },
      { path: "experiment/rms/rm[guid=3]/conditions/condition[1]", message: expect.stringContaining("guid 2 of the group") },
      {
        path: "experiment/rms/rm[guid=3]/conditions/condition[2]",
        message: expect.stringContaining('state "2" has no equivalent'),
      },
    ]);
    expect(document.connections).toEqual([{ source: 3, target: 1 }]);
    expect(document.conditions).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("reports values that do not fit our attribute, and validation problems of the result", () => {
    const xml = `<experiment exp_id="x"><rms>
      <rm guid="1" rtype="linux::Node"><attributes>
        <attribute name="hostname" value="localhost" type="STRING"/><attribute name="port" value="ssh" type="STRING"/>
      </attributes></rm>
      <rm guid="2" rtype="linux::Ping"><attributes><attribute name="count" value="3" type="INTEGER"/></attributes></rm>
    </rms></experiment>`;
    const { document, warnings, problems } = importNepiXml(xml);
    expect(document.resources[0]!.attributes).toEqual({ hostname: "localhost" });
    expect(warnings).toEqual([
      { path: "experiment/rms/rm[guid=1]/attributes/attribute[name=port]", message: expect.stringContaining("not imported") },
    ]);
    // The ping has no target and no host: the document is returned, with what validation says.
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.message).join("\n")).toMatch(/target/);
  });

  it("refuses a group that is code, naming the field, and never runs it", () => {
    const run = () => importNepiXml(fixture("malicious-group.xml"));
    expect(run).toThrow(NepiError);
    expect(run).toThrow(/experiment\/rms\/rm\[guid=2\]\/conditions\/condition\[1\]\/@group: expected a list of guids/);
  });

  it("refuses text that is not XML, or not a NEPI experiment", () => {
    expect(() => importNepiXml("<experiment><rms></experiment>")).toThrow(/not well-formed XML/);
    expect(() => importNepiXml('{"format":"nepi-experiment@1"}')).toThrow(/not well-formed XML/);
    expect(() => importNepiXml("<scenario/>")).toThrow(/root element must be <experiment>/);
    expect(importNepiXml("<experiment/>").document).toMatchObject({ name: "imported NEPI experiment", resources: [] });
  });

  it("does not let a rtype or attribute name reach the prototype", () => {
    const xml = `<experiment exp_id="x"><rms><rm guid="1" rtype="constructor"/>
      <rm guid="2" rtype="linux::Node"><attributes><attribute name="toString" value="1"/></attributes></rm></rms></experiment>`;
    const { document, warnings } = importNepiXml(xml);
    expect(document.resources.map((r) => r.guid)).toEqual([2]);
    expect(warnings.map((w) => w.path)).toEqual([
      "experiment/rms/rm[guid=1]/@rtype",
      "experiment/rms/rm[guid=2]/attributes/attribute[name=toString]",
    ]);
  });
});

describe("parseGuidList", () => {
  it("reads Python lists, tuples and a bare guid", () => {
    expect(parseGuidList("[1, 2]", "g")).toEqual([1, 2]);
    expect(parseGuidList("[ 7 ]", "g")).toEqual([7]);
    expect(parseGuidList("(3, 4,)", "g")).toEqual([3, 4]);
    expect(parseGuidList("5", "g")).toEqual([5]);
    expect(parseGuidList("[2L]", "g")).toEqual([2]);
  });

  it.each(["__import__('os')", "[1, 2", "[1, 2)", "[1; 2]", "[0]", "[]", "[1, [2]]", "[1 2]", "", "[-1]", "[1.5]"])(
    "refuses %j",
    (text) => {
      expect(() => parseGuidList(text, "rm/@group")).toThrow(/^rm\/@group: /);
    },
  );
});
