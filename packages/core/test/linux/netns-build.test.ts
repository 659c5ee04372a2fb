import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  addressOf,
  buildNetworkScript,
  listNetworkScript,
  planTopology,
  removeNetworkScript,
  type TopologyEndpoint,
  type TopologyPlan,
} from "../../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "nepi-netns-build-"));
const tags: string[] = [];
let scripts = 0;

/** Runs a script with sh as a manager does: from a file (a big network's script is too long for `sh -c`). */
function run(script: string): string {
  const file = join(dir, `s${++scripts}.sh`);
  writeFileSync(file, script);
  return execFileSync("sh", [file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
const rootDevices = () => execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).split("\n").length;
const pingOnce = (plan: TopologyPlan, from: number, to: number) =>
  spawnSync(
    "ip",
    ["netns", "exec", plan.hosts[from]!.namespace, "ping", "-n", "-c", "1", "-w", "10", addressOf(plan, to, from)!],
    {
      encoding: "utf8",
    },
  );
const host = (guid: number, forwarding = false): TopologyEndpoint => ({
  guid,
  kind: "host",
  machine: "local",
  forwarding,
  label: `h${guid}`,
});

const root = process.getuid?.() === 0;

describe("building a planned network in few processes, and removing it by its tag", () => {
  if (!root) {
    it("needs root: network namespaces (npm test runs as root, as CI does)", () => expect.fail("not root"));
    return;
  }
  afterAll(() => {
    for (const t of tags) spawnSync("sh", ["-c", removeNetworkScript(t)]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("100 hosts on a switch: built, reachable, removed with what ran in them, nothing left", async () => {
    const tag = `b${process.pid}`;
    tags.push(tag);
    const n = 100;
    const plan = planTopology({
      tag,
      endpoints: [
        { guid: 1, kind: "switch", machine: "local", forwarding: false },
        ...Array.from({ length: n }, (_, i) => host(2 + i)),
      ],
      links: Array.from({ length: n }, (_, i) => ({ guid: 1000 + i, ends: [1, 2 + i] as [number, number] })),
    });
    const before = rootDevices();
    run(buildNetworkScript(plan, "local"));
    expect(run(listNetworkScript(tag)).trim().split("\n")).toHaveLength(n + 1);
    // Nothing of the run in the machine's own namespace.
    expect(rootDevices()).toBe(before);
    expect(
      execFileSync("ip", ["-n", plan.switches[1]!.namespace, "-o", "link", "show", "master", "br0"], { encoding: "utf8" })
        .trim()
        .split("\n"),
    ).toHaveLength(n);
    expect(pingOnce(plan, 101, 2).status).toBe(0);
    expect(pingOnce(plan, 2, 57).status).toBe(0);

    // A process left running in a host (an application not stopped) goes with the network.
    const leftover = spawn("ip", ["netns", "exec", plan.hosts[50]!.namespace, "sh", "-c", "echo inside; exec sleep 600"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => leftover.once("exit", (_code, signal) => resolve(signal)));
    // It says so once it runs in the namespace.
    await new Promise((resolve) => leftover.stdout.once("data", resolve));
    run(removeNetworkScript(tag));
    expect(await exited).toBe("SIGKILL");
    expect(run(listNetworkScript(tag))).toBe("");
    expect(rootDevices()).toBe(before);
    // Removing again finds nothing and fails nothing.
    expect(() => run(removeNetworkScript(tag))).not.toThrow();
  });

  it("a 3-hop chain with two routers pings end to end over the planned routes", () => {
    const tag = `c${process.pid}`;
    tags.push(tag);
    const plan = planTopology({
      tag,
      endpoints: [host(1), host(2, true), host(3, true), host(4)],
      links: [
        { guid: 10, ends: [1, 2] },
        { guid: 11, ends: [2, 3] },
        { guid: 12, ends: [3, 4] },
      ],
    });
    run(buildNetworkScript(plan, "local"));
    const r = pingOnce(plan, 1, 4);
    expect(r.stdout).toMatch(/1 received/);
    // Three hops: the reply's TTL is 64 less the two routers.
    expect(r.stdout).toMatch(/ttl=62/);
    run(removeNetworkScript(tag));
    expect(run(listNetworkScript(tag))).toBe("");
  });

  it("a failing build stops at the failing command with iproute2's message", () => {
    const tag = `f${process.pid}`;
    tags.push(tag);
    const plan = planTopology({ tag, endpoints: [host(1), host(2)], links: [{ guid: 5, ends: [1, 2] }] });
    run(buildNetworkScript(plan, "local"));
    // Building the same again: the namespaces exist already.
    expect(() => run(buildNetworkScript(plan, "local"))).toThrow(/File exists|already exists/);
    run(removeNetworkScript(tag));
    expect(run(listNetworkScript(tag))).toBe("");
  });
});
