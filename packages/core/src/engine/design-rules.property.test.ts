import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ExperimentController, validateDocument, type ConditionDoc, type ExperimentDocument } from "../index.js";
import { defineResourceType, getResourceManagerFactory, registerResourceManager } from "../catalog/registry.js";
import { CRITICAL_ATTRIBUTE } from "../catalog/common.js";
import type { BlockedWait } from "./design-rules.js";

/**
 * Random designs of sim::Tasks (with and without a duration), plus a host type and an
 * application type that deploys after its host is READY (both run by the sim::Task manager),
 * under random DEPLOY/START/STOP conditions — some of them on FAILED, some on a sim::Task's
 * stdout matching its STARTED line (instead of the state, or as well as it). Three properties:
 *  - `validateDocument` finds no problem exactly when the engine, left to run without its own
 *    pre-flight check, runs the design to the end (nothing fails on purpose here; a STOP planned
 *    for a failure is dropped);
 *  - with non-critical tasks that fail on purpose (some of them retried), and conditions of any
 *    action on FAILED: when `validateDocument` finds no problem, nothing is left waiting and
 *    every failure is explained (designed, or a wait that could no longer be met);
 *  - a dry run of the design goes through the real run's events, in the same order, at the same
 *    times (the host and application types are simulated in it, the sim::Tasks run as they are).
 */

const WAITABLE = ["DISCOVERED", "PROVISIONED", "READY", "STARTED", "STOPPED", "FINISHED", "FAILED"] as const;
const FAIL_IN = ["none", "none", "deploy", "start", "run"] as const;
const TASK_DURATION = "10ms";
type Kind = "timed" | "endless" | "host" | "app";

beforeAll(() => {
  defineResourceType({
    rtype: "prop::Host",
    backend: "prop",
    help: "A host for the property test: runs until stopped.",
    roles: ["prop-host"],
    attributes: [CRITICAL_ATTRIBUTE],
    traces: [],
    connections: [],
    finishes: "never",
    platform: "any",
    look: { abbreviation: "PH", group: "prop", color: "#cccccc" },
    charts: [],
  });
  defineResourceType({
    rtype: "prop::App",
    backend: "prop",
    help: "An application for the property test: deploys after its host.",
    attributes: [
      { name: "duration", type: "time", help: "How long it runs.", default: TASK_DURATION, flags: {} },
      CRITICAL_ATTRIBUTE,
    ],
    traces: [],
    roles: [],
    connections: [{ role: "prop-host", min: 1, max: 1, deployAfter: "READY", help: "Where it runs." }],
    finishes: "always",
    platform: "any",
    look: { abbreviation: "PA", group: "prop", color: "#cccccc" },
    charts: [],
  });
  registerResourceManager("prop::Host", getResourceManagerFactory("sim::Task"));
  registerResourceManager("prop::App", getResourceManagerFactory("sim::Task"));
  vi.useFakeTimers();
});
afterAll(() => {
  vi.useRealTimers();
});

interface Design {
  doc: ExperimentDocument;
  kinds: Kind[];
}

/** Random designs; `failures`: tasks may fail on purpose (non-critical), with or without retries. */
const designsOf = (failures: boolean): fc.Arbitrary<Design> =>
  fc
    .record({
      resources: fc.array(
        fc.record({
          kind: fc.constantFrom<Kind>("timed", "endless", "host", "app"),
          critical: fc.boolean(),
          host: fc.nat(),
          failIn: fc.constantFrom(...(failures ? FAIL_IN : (["none"] as const))),
          retries: fc.constantFrom(0, 0, 1),
          failAttempts: fc.constantFrom(undefined, 1),
        }),
        { minLength: 1, maxLength: 7 },
      ),
      conditions: fc.array(
        fc.record({
          group: fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 2 }),
          after: fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 2 }),
          action: fc.constantFrom("DEPLOY", "START", "STOP") as fc.Arbitrary<ConditionDoc["action"]>,
          state: fc.constantFrom(...WAITABLE),
          delay: fc.constantFrom(undefined, "0ms", "5ms"),
          trace: fc.constantFrom("none", "instead", "as well"),
        }),
        { maxLength: 5 },
      ),
    })
    .map(({ resources, conditions }) => {
      // Without failures on purpose, only a STOP may wait on FAILED (a DEPLOY or START on a
      // failure that does not come fails its subject: the other property covers it).
      if (!failures) conditions = conditions.filter((c) => c.state !== "FAILED" || c.action === "STOP");
      const n = resources.length;
      const hosts = resources.flatMap((r, i) => (r.kind === "host" ? [i + 1] : []));
      // An application needs a host: without one it is a task.
      const kinds = resources.map((r): Kind => (r.kind === "app" && hosts.length === 0 ? "timed" : r.kind));
      const guid = (x: number) => (x % n) + 1;
      const isTask = (g: number) => kinds[g - 1] === "timed" || kinds[g - 1] === "endless";
      const doc: ExperimentDocument = {
        format: "nepi-experiment@1",
        name: "property",
        resources: resources.map((r, i) => ({
          guid: i + 1,
          type: kinds[i] === "host" ? "prop::Host" : kinds[i] === "app" ? "prop::App" : "sim::Task",
          attributes: {
            critical: r.critical,
            ...(kinds[i] === "timed" ? { duration: TASK_DURATION } : {}),
            // Only tasks fail on purpose, never critically.
            ...(failsOnPurpose(r, kinds[i]!)
              ? {
                  critical: false,
                  failIn: r.failIn,
                  retries: r.retries,
                  ...(r.failAttempts !== undefined ? { failAttempts: r.failAttempts } : {}),
                }
              : {}),
          },
          traces: isTask(i + 1) ? ["stdout"] : [],
        })),
        connections: resources.flatMap((r, i) =>
          kinds[i] === "app" ? [{ source: i + 1, target: hosts[r.host % hosts.length]! }] : [],
        ),
        conditions: conditions.flatMap((c) => {
          const group = [...new Set(c.group.map(guid))];
          const after = [...new Set(c.after.map(guid))].filter((g) => !group.includes(g));
          if (after.length === 0) return [];
          // sim::Task prints one line per state: matching its STARTED line is a trace-match condition.
          const onTrace = c.trace !== "none" && c.state !== "FAILED" && after.every(isTask);
          const state = onTrace && c.trace === "instead" ? "STARTED" : c.state;
          return [
            {
              group,
              action: c.action,
              after,
              state,
              ...(onTrace ? { trace: "stdout", matches: " STARTED$" } : {}),
              ...(c.delay !== undefined ? { delay: c.delay } : {}),
            },
          ];
        }),
      };
      return { doc, kinds };
    });

function failsOnPurpose(r: { failIn: string }, kind: Kind): boolean {
  return r.failIn !== "none" && (kind === "timed" || kind === "endless");
}

const designs = designsOf(false);
const designsWithFailures = designsOf(true);

/** The engine without its pre-flight check: a design that deadlocks then just waits forever. */
class UncheckedController extends ExperimentController {
  protected override blockedWait(): BlockedWait | undefined {
    return undefined;
  }
}

/** Builds the design through the controller's API (fromDocument would refuse an invalid one). */
function build(doc: ExperimentDocument, ec: ExperimentController): ExperimentController {
  for (const r of doc.resources) ec.registerResource(r.type, r.attributes, { guid: r.guid });
  for (const c of doc.connections) ec.registerConnection(c.source, c.target);
  for (const r of doc.resources) for (const t of r.traces) ec.registerTrace(r.guid, t);
  for (const c of doc.conditions) {
    const wait =
      c.trace !== undefined && c.matches !== undefined ? { trace: c.trace, matches: c.matches, state: c.state } : c.state;
    ec.registerCondition(c.group, c.action, c.after, wait, c.delay);
  }
  return ec;
}

/** Deploys and lets every timer run until nothing is left to happen (fake clock). */
async function runToQuiet(ec: ExperimentController): Promise<string[]> {
  const t0 = Date.now();
  ec.deploy();
  await vi.advanceTimersByTimeAsync(0);
  await vi.runAllTimersAsync();
  return ec.timeline().map((e) => `${e.at - t0}ms ${e.guid} ${e.state}`);
}

/**
 * Whether every resource got to its end: all started, and those that end (a duration, an
 * application, or a STOP condition on them) ended, with nothing failed. Written from the kinds,
 * not from the engine's rules.
 */
function ranToTheEnd(ec: ExperimentController, { doc, kinds }: Design): boolean {
  if (ec.ecState !== "RUNNING") return false;
  return doc.resources.every((r, i) => {
    // A STOP planned for a failure is dropped when nothing fails.
    const stopped = doc.conditions.some((c) => c.action === "STOP" && c.state !== "FAILED" && c.group.includes(r.guid));
    const ends = kinds[i] === "timed" || kinds[i] === "app" || stopped;
    return ends ? ec.state(r.guid) === "FINISHED" || ec.state(r.guid) === "STOPPED" : ec.state(r.guid) === "STARTED";
  });
}

/**
 * What is wrong with how a run with failures ended (nothing: empty). Nothing may be left
 * waiting: each resource ended, failed, or — when it does not end by itself and no STOP
 * condition but one planned for a failure holds it — runs. Each failure must be explained: the
 * resource was designed to fail, or a wait of it could no longer be met ("cannot …"); the
 * experiment fails only with a critical resource that failed.
 */
function leftWaiting(ec: ExperimentController, { doc, kinds }: Design): string[] {
  const wrong: string[] = [];
  const failed = ec.ecState === "FAILED";
  doc.resources.forEach((r, i) => {
    const state = ec.state(r.guid);
    const what = `guid ${r.guid} (${kinds[i]}) is ${state}${ec.failure(r.guid) ? `: ${ec.failure(r.guid)}` : ""}`;
    if (state === "FAILED") {
      const designed = r.attributes.failIn !== undefined && r.attributes.failIn !== "none";
      if (!designed && !/^cannot (DEPLOY|START|STOP)/.test(ec.failure(r.guid) ?? "")) wrong.push(`unexplained: ${what}`);
      return;
    }
    if (failed) {
      if (state !== "RELEASED") wrong.push(`not released after the experiment failed: ${what}`);
      return;
    }
    const stopped = doc.conditions.some((c) => c.action === "STOP" && c.state !== "FAILED" && c.group.includes(r.guid));
    const runs = (kinds[i] === "endless" || kinds[i] === "host") && !stopped;
    const ok = state === "FINISHED" || state === "STOPPED" || (state === "STARTED" && runs);
    if (!ok) wrong.push(`left waiting: ${what}`);
  });
  if (failed && !doc.resources.some((r) => r.attributes.critical !== false && ec.state(r.guid) === "FAILED")) {
    wrong.push(`the experiment failed with no critical failure: ${ec.experimentFailure}`);
  }
  return wrong;
}

describe("the engine's rules, on random designs", () => {
  it("validateDocument finds no problem exactly when the engine runs the design to the end", async () => {
    let valid = 0;
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(designs, async (design) => {
        const problems = validateDocument(design.doc);
        const ec = build(design.doc, new UncheckedController());
        try {
          await runToQuiet(ec);
          const ended = ranToTheEnd(ec, design);
          if (problems.length === 0) valid++;
          else invalid++;
          expect({ problems: problems.map((p) => `${p.path}: ${p.message}`), ended }).toEqual(
            problems.length === 0 ? { problems: [], ended: true } : { problems: expect.anything(), ended: false },
          );
        } finally {
          await ec.shutdown();
        }
      }),
      { numRuns: 300 },
    );
    // Both sides of "exactly when" were exercised.
    expect(valid).toBeGreaterThan(30);
    expect(invalid).toBeGreaterThan(30);
  });

  it("with failures on purpose and waits on FAILED, a valid design leaves nothing waiting and every failure explained", async () => {
    let withFailures = 0;
    await fc.assert(
      fc.asyncProperty(
        designsWithFailures.filter((d) => validateDocument(d.doc).length === 0),
        async (design) => {
          const ec = build(design.doc, new UncheckedController());
          try {
            await runToQuiet(ec);
            if (design.doc.resources.some((r) => ec.state(r.guid) === "FAILED")) withFailures++;
            expect(leftWaiting(ec, design)).toEqual([]);
          } finally {
            await ec.shutdown();
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(withFailures).toBeGreaterThan(50);
  });

  it("the dry run goes through the real run's events, in the same order, at the same times", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(designs, designsWithFailures).filter((d) => validateDocument(d.doc).length === 0),
        async ({ doc }) => {
          const real = ExperimentController.fromDocument(doc);
          const dry = ExperimentController.fromDocument(doc, { dryRun: { taskDuration: TASK_DURATION } });
          try {
            expect(await runToQuiet(dry)).toEqual(await runToQuiet(real));
          } finally {
            await real.shutdown();
            await dry.shutdown();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
