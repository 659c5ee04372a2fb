import type { ConditionDoc, ExperimentDocument } from "../model/document.js";
import { findResourceType } from "../catalog/registry.js";
import { SIM_TASK } from "../catalog/types/sim-task.js";
import { appliesTo, deployAfterRules, endsByItself, valuesWithDefaults } from "../catalog/rules.js";
import type { ResourceState } from "../model/states.js";

/**
 * The same design with every resource replaced by a `sim::Task`, to check the order of events
 * without touching a host. Labels, positions, criticality, conditions and the implicit deploy
 * order (an application after its node) are kept; resources that end by themselves get a
 * short duration so the dry run finishes, infrastructure (nodes) runs until released.
 */
export function toDryRun(doc: ExperimentDocument, options: { taskDuration?: string } = {}): ExperimentDocument {
  const types = new Map(doc.resources.map((r) => [r.guid, findResourceType(r.type)]));
  const deployOrder: ConditionDoc[] = [];
  for (const c of doc.connections) {
    for (const [a, b] of [[c.source, c.target], [c.target, c.source]] as const) {
      const info = types.get(a);
      const other = types.get(b);
      const rule = info && other ? deployAfterRules(info).find((x) => appliesTo(x, other)) : undefined;
      if (rule) deployOrder.push({ group: [a], action: "DEPLOY", after: [b], state: rule.deployAfter as ResourceState });
    }
  }
  return {
    format: doc.format,
    name: `${doc.name} (dry run)`,
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    resources: doc.resources.map((r) => {
      const info = types.get(r.guid);
      const attributes: Record<string, string | number | boolean> = {};
      if (r.attributes.critical !== undefined) attributes.critical = r.attributes.critical;
      if (!info || endsByItself(info, valuesWithDefaults(info, r.attributes))) attributes.duration = options.taskDuration ?? "100ms";
      return {
        guid: r.guid,
        type: SIM_TASK.rtype,
        label: r.label ?? `${r.type} ${r.guid}`,
        attributes,
        traces: [],
        ...(r.position ? { position: r.position } : {}),
      };
    }),
    connections: doc.connections.map((c) => ({ ...c })),
    conditions: [...doc.conditions.map((c) => ({ ...c })), ...deployOrder],
  };
}
