import type { ConditionDoc, ExperimentDocument } from "../model/document.js";
import { deployDependencies, mayEndByItself } from "./design-rules.js";
import { documentView } from "./design-view.js";

/**
 * The same design with every resource replaced by a `sim::Task`, to check the order of events
 * without touching a host. Labels, positions, criticality, conditions and the implicit deploy
 * order (an application after its node) are kept; resources that end by themselves get a
 * short duration so the dry run finishes, infrastructure (nodes) runs until released.
 */
export function toDryRun(doc: ExperimentDocument, options: { taskDuration?: string } = {}): ExperimentDocument {
  const view = documentView(doc);
  // sim::Tasks have no deploy order of their own: the design's becomes explicit conditions.
  const deployOrder: ConditionDoc[] = doc.resources.flatMap((r) =>
    deployDependencies(view, r.guid).map((d): ConditionDoc => ({ group: [r.guid], action: "DEPLOY", after: [d.guid], state: d.state })),
  );
  return {
    format: doc.format,
    name: `${doc.name} (dry run)`,
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    resources: doc.resources.map((r) => {
      const attributes: Record<string, string | number | boolean> = {};
      if (r.attributes.critical !== undefined) attributes.critical = r.attributes.critical;
      if (mayEndByItself(view, r.guid)) attributes.duration = options.taskDuration ?? "100ms";
      return {
        guid: r.guid,
        type: "sim::Task",
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
