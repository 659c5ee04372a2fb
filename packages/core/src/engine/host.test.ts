import { describe, expect, it } from "vitest";
import { ExperimentController } from "../index.js";
import { defineResourceType, registerResourceManager } from "../catalog/registry.js";
import { HOST_ROLE } from "../catalog/roles.js";
import type { ResourceTypeInfo } from "../model/catalog-schema.js";
import type { Host } from "./host.js";

const LOOK = { abbreviation: "T", group: "test", color: "#ccc" };
const base = {
  backend: "test",
  help: "",
  attributes: [],
  traces: [],
  finishes: "never",
  charts: [],
  platform: "any",
  look: LOOK,
} satisfies Partial<ResourceTypeInfo>;

/** A host kind of its own (a namespace, say), one that lends nothing, and a guest that runs on any host. */
const TYPES: ResourceTypeInfo[] = [
  { ...base, rtype: "test::Box", roles: [HOST_ROLE], connections: [] },
  { ...base, rtype: "test::Mute", roles: [HOST_ROLE], connections: [] },
  { ...base, rtype: "test::Guest", roles: [], connections: [{ role: HOST_ROLE, min: 1, max: 1, deployAfter: "READY" }] },
];
for (const t of TYPES) defineResourceType(t);
registerResourceManager("test::Box", (ctx) => ({
  asHost: () => ({ address: `box-${ctx.guid}` }) as unknown as Host,
}));
registerResourceManager("test::Mute", () => ({}));
/** The guest logs the address of the host it reached through ctx.host(). */
registerResourceManager("test::Guest", (ctx) => ({
  provision: () => ctx.log(`on ${ctx.host().address}`),
}));

describe("ctx.host()", () => {
  it("reaches the host a resource runs on by its role, whatever the host's type", async () => {
    const ec = new ExperimentController();
    const box = ec.registerResource("test::Box");
    const guest = ec.registerResource("test::Guest");
    ec.registerConnection(guest, box);
    const logs: string[] = [];
    ec.on("log", (e) => logs.push(e.message));
    ec.deploy();
    await ec.waitDeployed(guest);
    expect(logs).toContain(`on box-${box}`);
    await ec.shutdown();
  });

  it("fails the resource, naming its host, when the host lends no host services", async () => {
    const ec = new ExperimentController();
    const mute = ec.registerResource("test::Mute");
    const guest = ec.registerResource("test::Guest");
    ec.registerConnection(guest, mute);
    ec.deploy();
    await expect(ec.waitDeployed(guest)).rejects.toThrow();
    expect(ec.failure(guest)).toMatch(new RegExp(`its host guid ${mute} \\(test::Mute\\) lends no host services`));
    await ec.shutdown();
  });
});
