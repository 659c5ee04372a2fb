import { readFileSync, rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { collectEvents, collectTrace, connect, simDoc, tempDir } from "./helpers.js";
import { spawnServer, type ServerProcess } from "./spawn.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(dataDir: string): Promise<ServerProcess & { client: ReturnType<typeof connect>["client"] }> {
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

/** Starts a run of endless tasks (they run until stopped) and waits until all are STARTED. */
async function startEndlessRun(client: Awaited<ReturnType<typeof serve>>["client"], n: number) {
  // An hour: they outlive the test, so the run stays RUNNING (tasks with no duration would be settled once STARTED).
  const resources = Array.from({ length: n }, (_, i) => ({ guid: i + 1, attributes: { duration: "1h" } }));
  const { id } = await client.experiments.save.mutate({ document: simDoc("endless", resources) });
  const { runId } = await client.runs.start.mutate({ experimentId: id });
  let started = 0;
  await collectEvents(
    client,
    { runId, lastEventId: "0" },
    (e) => e.type === "transition" && e.event.state === "STARTED" && ++started === n,
  );
  return { experimentId: id, runId };
}

describe("the server process", () => {
  it("on SIGTERM stops and releases every active run, then exits", async () => {
    const dataDir = tempDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await serve(dataDir);
    const runs = [await startEndlessRun(first.client, 3), await startEndlessRun(first.client, 2)];

    // A subscriber sees the release happen before the stream ends.
    let subscribed!: () => void;
    const ready = new Promise<void>((r) => (subscribed = r));
    const watching = collectEvents(first.client, { runId: runs[0]!.runId }, (e) => {
      if (e.type === "snapshot") subscribed();
      return false;
    });
    await ready;
    first.proc.kill("SIGTERM");
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const seen = await watching;
    expect(seen.filter((e) => e.data.type === "transition" && e.data.event.state === "RELEASED")).toHaveLength(3);
    expect(seen.at(-1)!.data).toMatchObject({ type: "status", status: "RELEASED", reason: "released when the server shut down" });
    // Released, never reported as FINISHED on the way.
    expect(seen.some((e) => e.data.type === "status" && e.data.status === "FINISHED")).toBe(false);
    expect(first.lines.join("\n")).toMatch(/SIGTERM: stopping and releasing every active run/);
    expect(first.lines.join("\n")).toMatch(/releasing 2 active run\(s\)/);

    // What the store says after a restart: released, not interrupted.
    const second = await serve(dataDir);
    for (const { runId } of runs) {
      const run = await second.client.runs.get.query({ runId });
      expect(run.status).toBe("RELEASED");
      expect(run.reason).toBe("released when the server shut down");
      expect(run.resources.every((r) => r.state === "RELEASED")).toBe(true);
      expect(run.leftovers).toEqual([]);
    }
    expect(second.lines.join("\n")).not.toMatch(/interrupted/);
  });

  it("after SIGKILL marks active runs INTERRUPTED with what they left, and cleanup ends them", async () => {
    const dataDir = tempDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await serve(dataDir);
    const { runId, experimentId } = await startEndlessRun(first.client, 4);
    first.proc.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    const second = await serve(dataDir);
    const run = await second.client.runs.get.query({ runId });
    expect(run.status).toBe("INTERRUPTED");
    expect(run.reason).toMatch(/the server stopped while the run was RUNNING; 4 resource\(s\) were left deployed/);
    expect(run.releasedAt).toBeUndefined();
    expect(run.leftovers.map((l) => [l.guid, l.type, l.state])).toEqual([1, 2, 3, 4].map((g) => [g, "sim::Task", "STARTED"]));
    expect(second.lines.join("\n")).toMatch(new RegExp(`run ${runId} was interrupted`));
    // Its event stream says so too (a status event after the transitions).
    const events = await collectEvents(second.client, { runId, lastEventId: "0" });
    expect(events.at(-1)!.data).toMatchObject({ type: "status", status: "INTERRUPTED" });

    const before = Date.now();
    const { released } = await second.client.runs.cleanup.mutate({ runId });
    const after = Date.now();
    expect(released.map((l) => l.guid)).toEqual([1, 2, 3, 4]);
    const cleaned = await second.client.runs.get.query({ runId });
    expect(cleaned.releasedAt).toBeGreaterThanOrEqual(before);
    expect(cleaned.releasedAt).toBeLessThanOrEqual(after);
    // Released, and the reason still says it was interrupted.
    expect(cleaned.status).toBe("RELEASED");
    expect(cleaned.reason).toMatch(
      /^the server stopped while the run was RUNNING; 4 resource\(s\) were left deployed.* — cleaned up: 4 resource\(s\) released/,
    );
    expect(cleaned.leftovers.map((l) => l.guid)).toEqual([1, 2, 3, 4]);
    // What cleanup ended is recorded as transitions: states, timeline, counts.
    expect(cleaned.resources.map((r) => [r.guid, r.state])).toEqual([1, 2, 3, 4].map((g) => [g, "RELEASED"]));
    const releases = cleaned.timeline.filter((e) => e.state === "RELEASED");
    expect(releases.map((e) => [e.guid, e.previous]).sort()).toEqual([1, 2, 3, 4].map((g) => [g, "STARTED"]));
    for (const e of releases) {
      expect(e.at).toBeGreaterThanOrEqual(before);
      expect(e.at).toBeLessThanOrEqual(after);
    }
    expect(Object.entries(cleaned.counts).filter(([, n]) => n > 0)).toEqual([["RELEASED", 4]]);
    const listed = (await second.client.runs.list.query({ experimentId })).find((r) => r.runId === runId)!;
    expect(listed).toMatchObject({ status: "RELEASED", counts: cleaned.counts, releasedAt: cleaned.releasedAt });
    // The event stream carries them after the INTERRUPTED status, in order, with no gap.
    const history = await collectEvents(second.client, { runId, lastEventId: "0" });
    expect(history.map((e) => Number(e.id))).toEqual(history.map((_, i) => i + 1));
    const tail = history.slice(-6).map((e) => e.data);
    expect(tail[0]).toMatchObject({ type: "status", status: "INTERRUPTED" });
    expect(tail.slice(1, 5).every((e) => e.type === "transition" && e.event.state === "RELEASED")).toBe(true);
    expect(tail[5]).toMatchObject({ type: "status", status: "RELEASED", reason: cleaned.reason, at: cleaned.releasedAt });
    await expect(second.client.runs.cleanup.mutate({ runId })).rejects.toThrow(/was interrupted and already cleaned up/);

    // The server works as usual: a new run of the same experiment runs.
    const again = await second.client.runs.start.mutate({ experimentId });
    await second.client.runs.stop.mutate({ runId: again.runId }).catch(() => undefined);
    await second.client.runs.release.mutate({ runId: again.runId });
    expect((await second.client.runs.get.query({ runId: again.runId })).status).toBe("RELEASED");

    // A clean stop now leaves nothing interrupted for the next start.
    second.proc.kill("SIGINT");
    expect((await second.exited).code).toBe(0);
  });
});

describe("the server process with processes on the host", () => {
  /** The command line of a process (read from /proc, no signal sent). */
  function commandOf(pid: number): string {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    } catch {
      return "";
    }
  }

  /** True once the process has exited (it is gone from /proc, or a zombie). */
  function gone(pid: number): boolean {
    try {
      return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
    } catch {
      return true;
    }
  }

  /** Runs `sleep` on localhost; resolves with its pid once the command has printed it. */
  async function startSleeper(
    client: Awaited<ReturnType<typeof serve>>["client"],
    seconds: number,
    command = `echo $$; exec sleep ${seconds}`,
  ) {
    const { id } = await client.experiments.save.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "sleeper",
        resources: [
          { guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } },
          { guid: 2, type: "linux::Application", attributes: { command }, traces: ["stdout"] },
        ],
        connections: [{ source: 2, target: 1 }],
      },
    });
    const { runId } = await client.runs.start.mutate({ experimentId: id });
    const { text } = await collectTrace(client, { runId, guid: 2, name: "stdout" }, (out) => out.includes("\n"));
    const pid = Number(text.trim());
    let started = 0;
    await collectEvents(
      client,
      { runId, lastEventId: "0" },
      (e) => e.type === "transition" && e.event.state === "STARTED" && ++started === 2,
    );
    return { runId, pid };
  }

  it("SIGTERM ends the commands a run started", async () => {
    const dataDir = tempDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const s = await serve(dataDir);
    const seconds = 4000 + Math.floor(Math.random() * 1000);
    const { runId, pid } = await startSleeper(s.client, seconds);
    expect(gone(pid)).toBe(false);
    s.proc.kill("SIGTERM");
    expect((await s.exited).code).toBe(0);
    expect(gone(pid)).toBe(true);
    const again = await serve(dataDir);
    expect((await again.client.runs.get.query({ runId })).status).toBe("RELEASED");
  });

  it("SIGTERM, and cleanup after SIGKILL, end what left the command's process group too (setsid)", async () => {
    const dataDir = tempDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    for (const how of ["SIGTERM", "SIGKILL"] as const) {
      const s = await serve(dataDir);
      const seconds = 6000 + Math.floor(Math.random() * 1000);
      // The pid printed is the escapee's: in a session and process group of its own.
      const { runId, pid } = await startSleeper(s.client, seconds, `setsid sleep ${seconds} & echo $!; exec sleep 1${seconds}`);
      cleanups.push(() => {
        if (!gone(pid) && commandOf(pid) === `sleep ${seconds}`) process.kill(pid, "SIGKILL");
      });
      // setsid execs sleep after the shell printed its pid: wait for the exec, it has no event.
      await expect.poll(() => commandOf(pid), { timeout: 10_000 }).toBe(`sleep ${seconds}`);
      s.proc.kill(how);
      await s.exited;
      if (how === "SIGKILL") {
        expect(gone(pid)).toBe(false);
        const again = await serve(dataDir);
        await again.client.runs.cleanup.mutate({ runId });
        again.proc.kill("SIGINT");
        await again.exited;
      }
      expect(gone(pid)).toBe(true);
    }
  });

  it("after SIGKILL, the command survives, the run is INTERRUPTED on its host, and cleanup ends it", async () => {
    const dataDir = tempDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await serve(dataDir);
    const seconds = 5000 + Math.floor(Math.random() * 1000);
    const { runId, pid } = await startSleeper(first.client, seconds);
    first.proc.kill("SIGKILL");
    await first.exited;
    expect(gone(pid)).toBe(false); // detached: it outlives the server
    expect(commandOf(pid)).toBe(`sleep ${seconds}`);
    cleanups.push(() => {
      // Never leave it behind, even if the test fails: only this exact process.
      if (!gone(pid) && commandOf(pid) === `sleep ${seconds}`) process.kill(pid, "SIGKILL");
    });

    const second = await serve(dataDir);
    const run = await second.client.runs.get.query({ runId });
    expect(run.status).toBe("INTERRUPTED");
    expect(run.reason).toMatch(/left deployed on localhost/);
    expect(run.leftovers).toEqual([
      { guid: 1, type: "linux::Node", state: "STARTED", host: "localhost" },
      { guid: 2, type: "linux::Application", state: "STARTED", host: "localhost" },
    ]);
    expect(gone(pid)).toBe(false);

    await second.client.runs.cleanup.mutate({ runId });
    expect(gone(pid)).toBe(true);
    const cleaned = await second.client.runs.get.query({ runId });
    expect(cleaned.releasedAt).toBeGreaterThan(0);
    expect(cleaned.status).toBe("RELEASED");
    expect(cleaned.reason).toMatch(/left deployed on localhost.* — cleaned up: 2 resource\(s\) released/);
    // The application is released before the node it runs on.
    const releases = cleaned.timeline.filter((e) => e.state === "RELEASED");
    expect(releases.map((e) => [e.guid, e.previous])).toEqual([
      [2, "STARTED"],
      [1, "STARTED"],
    ]);
    expect(releases[0]!.at).toBeLessThanOrEqual(releases[1]!.at);
    expect(Object.entries(cleaned.counts).filter(([, n]) => n > 0)).toEqual([["RELEASED", 2]]);
  });
});
