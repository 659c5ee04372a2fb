import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { ExperimentController } from "../../src/node.js";
import { newController, nodeAttributes, type HostKind } from "../support/linux.js";

let ec: ExperimentController | undefined;
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

/** A process runs (a zombie waiting for init to reap it has ended). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Resolves with the stdout of `guid` once it matches `pattern` (followed live, pushed by the host). */
function stdoutMatching(c: ExperimentController, guid: number, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve) => {
    let text = "";
    let stop: (() => void) | undefined;
    let found: RegExpExecArray | undefined;
    stop = c.followTrace(guid, "stdout", {}, (chunk) => {
      text += chunk;
      const m = found ? undefined : pattern.exec(text);
      if (!m) return;
      found = m;
      stop?.();
      stop = undefined;
      resolve(m);
    });
    if (found) stop();
  });
}

const states = (c: ExperimentController, guid: number) =>
  c
    .timeline()
    .filter((e) => e.guid === guid)
    .map((e) => e.state);
const BACK = ["RELEASED", "NEW", "DISCOVERED", "PROVISIONED", "READY", "STARTED"];

for (const kind of ["local", "ssh"] as HostKind[]) {
  describe(`redeploy on ${kind}`, () => {
    it("releases and redeploys an application while its node keeps running", async () => {
      ec = newController("redeploy-app");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const app = ec.registerResource("linux::Application", { command: "echo pid=$$; exec sleep 600" }, { label: "sleeper" });
      ec.registerConnection(app, node);
      ec.registerTrace(app, "stdout");
      ec.deploy();
      await ec.waitStarted(app, { timeout: "30s" });
      const first = Number((await stdoutMatching(ec, app, /pid=(\d+)\n/))[1]);
      expect(alive(first)).toBe(true);

      await ec.redeploy(app);
      await ec.waitStarted(app, { timeout: "30s" });
      const second = Number((await stdoutMatching(ec, app, /pid=(\d+)\n/))[1]);
      expect(second).not.toBe(first);
      expect(alive(first)).toBe(false);
      expect(alive(second)).toBe(true);
      expect(states(ec, app)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED", ...BACK]);
      // The node was never released: the same connection, the same run directory.
      expect(states(ec, node)).toEqual(["DISCOVERED", "PROVISIONED", "READY", "STARTED"]);

      await ec.release();
      expect(alive(second)).toBe(false);
    });

    it("redeploys a node: its applications are released first and come back after it", async () => {
      ec = newController("redeploy-node");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      const sleeper = ec.registerResource("linux::Application", { command: "echo pid=$$; exec sleep 600" }, { label: "sleeper" });
      const once = ec.registerResource("linux::Application", { command: "echo once" }, { label: "once" });
      ec.registerConnection(sleeper, node);
      ec.registerConnection(once, node);
      ec.registerTrace(sleeper, "stdout");
      ec.deploy();
      await ec.waitFinished(once, { timeout: "30s" });
      const first = Number((await stdoutMatching(ec, sleeper, /pid=(\d+)\n/))[1]);

      const from = ec.timeline().length;
      await ec.redeploy(node);
      await ec.waitStarted([node, sleeper], { timeout: "30s" });
      await ec.waitFinished(once, { timeout: "30s" });
      const second = Number((await stdoutMatching(ec, sleeper, /pid=(\d+)\n/))[1]);
      expect(alive(first)).toBe(false);
      expect(alive(second)).toBe(true);

      const after = ec.timeline().slice(from);
      const when = (guid: number, state: string) => after.findIndex((e) => e.guid === guid && e.state === state);
      // Applications released before their node; deployed again only once it is READY again.
      expect(when(sleeper, "RELEASED")).toBeLessThan(when(node, "RELEASED"));
      expect(when(once, "RELEASED")).toBeLessThan(when(node, "RELEASED"));
      expect(when(node, "READY")).toBeLessThan(when(sleeper, "DISCOVERED"));
      expect(when(node, "READY")).toBeLessThan(when(once, "DISCOVERED"));
      expect(states(ec, node).slice(4)).toEqual(BACK);
      expect(states(ec, once).slice(5)).toEqual([...BACK, "FINISHED"]);
      expect(ec.state(sleeper)).toBe("STARTED");

      await ec.release();
      expect(alive(second)).toBe(false);
    });

    it("deploys a new application onto a node that is already running", async () => {
      ec = newController("join");
      const node = ec.registerResource("linux::Node", nodeAttributes(kind));
      ec.deploy();
      await ec.waitStarted(node, { timeout: "30s" });
      const app = ec.registerResource("linux::Application", { command: "echo joined $NEPI_APP" });
      ec.registerConnection(app, node);
      ec.registerTrace(app, "stdout");
      ec.deploy([app]);
      await ec.waitFinished(app, { timeout: "30s" });
      expect(await ec.trace(app, "stdout")).toBe(`joined ${ec.runId}/${app}\n`);
    });
  });
}
