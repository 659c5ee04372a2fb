import type { AttributeValue } from "./model/catalog-schema.js";
import type { ExperimentDocument } from "./model/document.js";
import type { StateEvent } from "./model/events.js";
import type { MachineFacts, ManifestFact, RunManifest } from "./model/manifest.js";
import type { ResourceState } from "./model/states.js";

/** What a finished run left to compare: its manifest and its timeline. */
export interface RunRecord {
  manifest: RunManifest;
  timeline: readonly StateEvent[];
}

/** An attribute set to different values (`undefined`: absent on that side); `(type)` for a resource on one side only. */
export interface AttributeDifference {
  guid: number;
  resource: string;
  attribute: string;
  a?: AttributeValue;
  b?: AttributeValue;
}

/** A machine fact read differently (`(machine)` for a host on one side only). */
export interface FactDifference {
  machine: string;
  fact: string;
  a: string;
  b: string;
}

/** When a resource reached a state, ms after the run's first transition (`undefined`: never). */
export interface StateTiming {
  guid: number;
  resource: string;
  state: ResourceState;
  a?: number;
  b?: number;
}

export interface RunDifference {
  /** No attribute, fact or reached state differs (timings alone do not make runs different). */
  same: boolean;
  attributes: AttributeDifference[];
  facts: FactDifference[];
  /** Every state either run reached, with both times. */
  timing: StateTiming[];
}

const nameOf = (guid: number, label?: string) => (label ? `${label} (guid ${guid})` : `guid ${guid}`);

function attributeDifferences(a: ExperimentDocument, b: ExperimentDocument): AttributeDifference[] {
  const out: AttributeDifference[] = [];
  const inB = new Map(b.resources.map((r) => [r.guid, r]));
  const guids = [...new Set([...a.resources.map((r) => r.guid), ...b.resources.map((r) => r.guid)])].sort((x, y) => x - y);
  for (const guid of guids) {
    const ra = a.resources.find((r) => r.guid === guid);
    const rb = inB.get(guid);
    const resource = nameOf(guid, ra?.label ?? rb?.label);
    if (ra?.type !== rb?.type) {
      out.push({ guid, resource, attribute: "(type)", ...(ra ? { a: ra.type } : {}), ...(rb ? { b: rb.type } : {}) });
      continue;
    }
    const names = [...new Set([...Object.keys(ra!.attributes), ...Object.keys(rb!.attributes)])].sort();
    for (const attribute of names) {
      const va = ra!.attributes[attribute];
      const vb = rb!.attributes[attribute];
      if (JSON.stringify(va) !== JSON.stringify(vb))
        out.push({ guid, resource, attribute, ...(va !== undefined ? { a: va } : {}), ...(vb !== undefined ? { b: vb } : {}) });
    }
  }
  return out;
}

const factText = (f: ManifestFact | undefined): string =>
  f === undefined ? "(not recorded)" : "value" in f ? f.value : `unreadable: ${f.error}`;

function machineFacts(m: MachineFacts): Map<string, ManifestFact> {
  const facts = new Map<string, ManifestFact>([
    ["kernel", m.uname],
    ["os", m.os],
    ["cpus", m.cpus],
  ]);
  for (const [tool, f] of Object.entries(m.tools)) facts.set(`tool ${tool}`, f);
  return facts;
}

function factDifferences(a: RunManifest, b: RunManifest): FactDifference[] {
  const out: FactDifference[] = [];
  if (a.nepiStudio !== b.nepiStudio) out.push({ machine: "NEPI Studio", fact: "version", a: a.nepiStudio, b: b.nepiStudio });
  const guids = [...new Set([...a.machines, ...b.machines].map((m) => m.guid))].sort((x, y) => x - y);
  for (const guid of guids) {
    const ma = a.machines.find((m) => m.guid === guid);
    const mb = b.machines.find((m) => m.guid === guid);
    const machine = nameOf(guid, ma?.label ?? mb?.label);
    if (!ma || !mb) {
      out.push({ machine, fact: "(machine)", a: ma ? "present" : "absent", b: mb ? "present" : "absent" });
      continue;
    }
    const fa = machineFacts(ma);
    const fb = machineFacts(mb);
    for (const fact of new Set([...fa.keys(), ...fb.keys()])) {
      const ta = factText(fa.get(fact));
      const tb = factText(fb.get(fact));
      if (ta !== tb) out.push({ machine, fact, a: ta, b: tb });
    }
  }
  return out;
}

/** Each (resource, state)'s first time, ms after the run's first transition. */
function firstReached(timeline: readonly StateEvent[]): Map<string, { guid: number; state: ResourceState; ms: number }> {
  const t0 = Math.min(...timeline.map((e) => e.at));
  const out = new Map<string, { guid: number; state: ResourceState; ms: number }>();
  for (const e of timeline) {
    const key = `${e.guid} ${e.state}`;
    if (!out.has(key)) out.set(key, { guid: e.guid, state: e.state, ms: e.at - t0 });
  }
  return out;
}

function timings(a: RunRecord, b: RunRecord): StateTiming[] {
  const ta = firstReached(a.timeline);
  const tb = firstReached(b.timeline);
  const labels = new Map<number, string | undefined>();
  for (const r of [...b.manifest.document.resources, ...a.manifest.document.resources]) labels.set(r.guid, r.label);
  const keys = [...new Set([...ta.keys(), ...tb.keys()])];
  const rows = keys.map((k): StateTiming => {
    const { guid, state } = (ta.get(k) ?? tb.get(k))!;
    const at = (t: Map<string, { ms: number }>) => t.get(k)?.ms;
    const ms = { a: at(ta), b: at(tb) };
    return {
      guid,
      resource: nameOf(guid, labels.get(guid)),
      state,
      ...(ms.a !== undefined ? { a: ms.a } : {}),
      ...(ms.b !== undefined ? { b: ms.b } : {}),
    };
  });
  // By resource, each one's states in the order they were reached (the order of keys).
  return rows
    .map((r, i) => ({ r, i }))
    .sort((x, y) => x.r.guid - y.r.guid || x.i - y.i)
    .map(({ r }) => r);
}

/** What differs between two runs: attributes (per resource), machine facts, and when each state was reached. */
export function diffRuns(a: RunRecord, b: RunRecord): RunDifference {
  const attributes = attributeDifferences(a.manifest.document, b.manifest.document);
  const facts = factDifferences(a.manifest, b.manifest);
  const timing = timings(a, b);
  const same = attributes.length === 0 && facts.length === 0 && timing.every((t) => t.a !== undefined && t.b !== undefined);
  return { same, attributes, facts, timing };
}
