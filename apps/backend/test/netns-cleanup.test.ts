import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { networkTag } from "@nepi/core/node";
import { collectEvents, connect, tempDir } from "./helpers.js";
import { spawnServer } from "./spawn.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(dataDir: string) {
  const s = await spawnServer(dataDir);
  const { client, close } = connect(s.url);
  cleanups.push(async () => {
    close();
    if (s.proc.exitCode === null && s.proc.signalCode === null) {
      s.proc.kill("SIGKILL");
      await s.exited;
    }
  });
  return { ...s, client };
}

/** The namespaces of a run still on this machine (its tag is in their names). */
function namespacesOf(runId: string): string[] {
  const prefix = `nepi-${networkTag(runId)}-`;
  return execFileSync("ip", ["netns", "list"])
    .toString()
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(prefix));
}

describe("an emulated network left by a crashed server", () => {
  it("is removed by runs.cleanup: every namespace of the run, and what ran in them", async () => {
    const dataDir = tempDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await serve(dataDir);
    const seconds = 7000 + Math.floor(Math.random() * 1000);
    const { id } = await first.client.experiments.save.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "network left behind",
        resources: [
          { guid: 1, type: "netns::Node", label: "h1" },
          { guid: 2, type: "netns::Node", label: "r", attributes: { forwarding: true } },
          { guid: 3, type: "netns::Switch", label: "sw" },
          { guid: 4, type: "netns::Link" },
          { guid: 5, type: "netns::Link", attributes: { rate: "50mbit" } },
          { guid: 6, type: "linux::Application", attributes: { command: `exec sleep ${seconds}` } },
        ],
        connections: [
          { source: 4, target: 1 },
          { source: 4, target: 2 },
          { source: 5, target: 2 },
          { source: 5, target: 3 },
          { source: 6, target: 1 },
        ],
      },
    });
    const { runId } = await first.client.runs.start.mutate({ experimentId: id });
    let started = 0;
    await collectEvents(
      first.client,
      { runId, lastEventId: "0" },
      (e) => e.type === "transition" && e.event.state === "STARTED" && ++started === 6,
    );
    expect(namespacesOf(runId)).toHaveLength(3);
    first.proc.kill("SIGKILL");
    await first.exited;
    // Nothing released them: the namespaces and the command in h1's are still there.
    expect(namespacesOf(runId)).toHaveLength(3);
    const sleeping = () =>
      execFileSync("sh", ["-c", `pgrep -fx 'sleep ${seconds}' || true`])
        .toString()
        .trim();
    cleanups.push(() => {
      const pid = sleeping();
      if (pid) process.kill(Number(pid), "SIGKILL");
    });
    expect(sleeping()).not.toBe("");

    const second = await serve(dataDir);
    expect((await second.client.runs.get.query({ runId })).status).toBe("INTERRUPTED");
    await second.client.runs.cleanup.mutate({ runId });
    expect(namespacesOf(runId)).toEqual([]);
    expect(sleeping()).toBe("");
    expect((await second.client.runs.get.query({ runId })).status).toBe("RELEASED");
  });
});
