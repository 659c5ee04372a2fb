// Browser-safe entry of @nepi/core: model, catalog, engine, sim::* resources, parsers.
// Never import Node built-ins from here (the web app bundles it); Node-only code is in ./node.ts.
export * from "./model/index.js";
export * from "./catalog/index.js";
export * from "./engine/index.js";
export * from "./parsers/index.js";
export { designHosts, selectHosts, type DesignHost } from "./hosts/select.js";
export { importNepiXml, type ImportWarning, type NepiImport } from "./import/nepi-xml.js";
import "./resources/sim/task.js";
export {
  diffRuns,
  type AttributeDifference,
  type FactDifference,
  type RunDifference,
  type RunRecord,
  type StateTiming,
} from "./run-diff.js";
export * from "./netns/label.js";
export * from "./netns/topologies.js";
export * from "./netns/index.js";
