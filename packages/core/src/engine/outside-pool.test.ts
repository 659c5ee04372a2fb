import { beforeAll, describe, expect, it } from "vitest";
import { ExperimentController, type ResourceContext, type ResourceManager } from "../index.js";
import { defineResourceType, registerResourceManager } from "../catalog/registry.js";

/**
 * Work shared by several resources' steps, done once all of them have joined it (as a
 * machine's batched build gathers the steps asked of it): it never gets done if each joiner
 * held a pool slot while waiting and there are fewer slots than joiners.
 */
class SharedWork {
  private joined = 0;
  private finish!: () => void;
  readonly done = new Promise<void>((resolve) => (this.finish = resolve));
  constructor(private readonly joiners: number) {}
  join(): Promise<void> {
    if (++this.joined === this.joiners) this.finish();
    return this.done;
  }
}
let shared: SharedWork;

class Joiner implements ResourceManager {
  constructor(readonly ctx: ResourceContext) {}
  provision(): Promise<void> {
    return this.ctx.outsidePool(shared.join());
  }
}

beforeAll(() => {
  defineResourceType({
    rtype: "test::Joiner",
    backend: "test",
    help: "Joins shared work when provisioned.",
    attributes: [],
    traces: [],
    roles: [],
    connections: [],
    finishes: "never",
    platform: "any",
    look: { abbreviation: "JO", group: "test", color: "#cccccc" },
    charts: [],
  });
  registerResourceManager("test::Joiner", (ctx) => new Joiner(ctx));
});

describe("ctx.outsidePool", () => {
  it("gives the step's pool slot back while it waits: 5 steps join one piece of work through 2 slots", async () => {
    shared = new SharedWork(5);
    const ec = new ExperimentController({ maxConcurrency: 2 });
    const guids = Array.from({ length: 5 }, () => ec.registerResource("test::Joiner", {}));
    ec.deploy();
    await ec.wait(guids, "READY", { timeout: "5s" });
    expect(ec.timeline().filter((e) => e.state === "READY")).toHaveLength(5);
    await ec.release();
    await ec.shutdown();
  });
});
