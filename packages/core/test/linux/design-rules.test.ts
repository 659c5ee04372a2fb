import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExperimentController, validateDocument, type ExperimentDocumentInput } from "../../src/node.js";

let ec: ExperimentController | undefined;
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
});

/** Two localhost nodes (1, 3), an application on each (2 on 1, 4 on 3), and some conditions. */
function twoHosts(conditions: ExperimentDocumentInput["conditions"]): ExperimentDocumentInput {
  return {
    format: "nepi-experiment@1",
    name: "two hosts",
    resources: [
      { guid: 1, type: "linux::Node", attributes: { hostname: "localhost" } },
      { guid: 2, type: "linux::Application", attributes: { command: "sleep 0.2" } },
      { guid: 3, type: "linux::Node", attributes: { hostname: "localhost" } },
      { guid: 4, type: "linux::Application", attributes: { command: "sleep 0.2" } },
    ],
    connections: [
      { source: 2, target: 1 },
      { source: 4, target: 3 },
    ],
    conditions,
  };
}

describe("validateDocument and deploy() apply the same rules", () => {
  it("DEPLOY node 3 after app 2 STARTED: validates, and runs to FINISHED in that order", async () => {
    const doc = twoHosts([{ group: [3], action: "DEPLOY", after: [2], state: "STARTED" }]);
    // App 4 deploys after node 3, which comes later: it is not held in the start-together group.
    expect(validateDocument(doc)).toEqual([]);
    ec = ExperimentController.fromDocument(doc, {
      expId: "test-deploy-after-started",
      rootDir: mkdtempSync(join(tmpdir(), "nepi-results-")),
    });
    ec.deploy();
    await ec.waitFinished([2, 4], { timeout: "30s" });
    const index = (guid: number, state: string) => ec!.timeline().findIndex((e) => e.guid === guid && e.state === state);
    expect(index(3, "DISCOVERED")).toBeGreaterThan(index(2, "STARTED"));
    expect(index(4, "DISCOVERED")).toBeGreaterThan(index(3, "READY"));
    expect([2, 4].map((g) => ec!.state(g))).toEqual(["FINISHED", "FINISHED"]);
  });

  it("a real cycle through the deploy order is refused by both, with the same message", () => {
    // 4 deploys after its node 3, 3 after 2 STARTED, and 2 starts after 4 STARTED.
    const doc = twoHosts([
      { group: [3], action: "DEPLOY", after: [2], state: "STARTED" },
      { group: [2], action: "START", after: [4], state: "STARTED" },
    ]);
    const problems = validateDocument(doc);
    expect(problems.map((p) => p.code)).toEqual(["CONDITION_CYCLE"]);
    ec = ExperimentController.fromDocument({ ...doc, conditions: [] });
    ec.registerCondition(3, "DEPLOY", 2, "STARTED");
    ec.registerCondition(2, "START", 4, "STARTED");
    expect(() => ec!.deploy()).toThrow(problems[0]!.message);
    expect(ec.guids().map((g) => ec!.state(g))).toEqual(["NEW", "NEW", "NEW", "NEW"]);
  });

  it("a wait for a node to end is refused by both: a node never ends by itself", () => {
    const doc = twoHosts([{ group: [4], action: "START", after: [1], state: "FINISHED" }]);
    const problems = validateDocument(doc);
    expect(problems).toEqual([expect.objectContaining({ path: "conditions[0]", code: "NEVER_ENDS", guid: 1 })]);
    expect(problems[0]!.message).toBe(
      "START guid 4 after guid 1 FINISHED can never happen: guid 1 (linux::Node) does not end by itself and no STOP condition stops it",
    );
    ec = ExperimentController.fromDocument({ ...doc, conditions: [] });
    ec.registerCondition(4, "START", 1, "FINISHED");
    expect(() => ec!.deploy()).toThrow(problems[0]!.message);
    // Once something stops the node, the wait can be met.
    ec.registerCondition(1, "STOP", 2, "FINISHED");
    expect(validateDocument(ec.toDocument())).toEqual([]);
  });
});
