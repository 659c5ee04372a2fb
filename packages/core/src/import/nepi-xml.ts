import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { AttributeDef, AttributeValue, ResourceTypeInfo } from "../model/catalog-schema.js";
import type { ConditionDoc, ConnectionDoc, ExperimentDocumentInput, ResourceDoc } from "../model/document.js";
import { DOCUMENT_FORMAT } from "../model/document.js";
import { NepiError, type Problem } from "../model/errors.js";
import { timeStringProblem } from "../model/time.js";
import { attributeValueProblem, findAttribute } from "../catalog/attributes.js";
import { findResourceType } from "../catalog/registry.js";
import { ruleToward } from "../catalog/rules.js";
import { validateDocument } from "../engine/validate.js";
import { NEPI_TYPES, nepiAction, nepiState, own } from "./nepi-mapping.js";
import { parseGuidList } from "./python-list.js";

/** Something of the NEPI file that has no equivalent here, and where it is in the XML. */
export interface ImportWarning {
  path: string;
  message: string;
}

export interface NepiImport {
  document: ExperimentDocumentInput;
  /** What was not imported (unknown types, attributes, conditions…), never dropped silently. */
  warnings: ImportWarning[];
  /** What `validateDocument` finds in the result (empty when it can be run as is). */
  problems: Problem[];
}

type XmlNode = Record<string, unknown>;
const LISTS = new Set(["rm", "attribute", "connection", "condition", "trace"]);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseAttributeValue: false,
  parseTagValue: false,
  isArray: (name) => LISTS.has(name),
});

/**
 * Converts NEPI's XML serialisation of an experiment (its `ExperimentParser`) into a
 * `nepi-experiment@1` document. Throws a NepiError only when the text cannot be read (not XML,
 * not an experiment, a group that is not a list of guids); everything else is a warning.
 * An rm's `state` and `*_time` are what a run reached, not the design: they are not read.
 */
export function importNepiXml(xml: string): NepiImport {
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new NepiError("INVALID_DOCUMENT", `not well-formed XML (line ${valid.err.line}): ${valid.err.msg}`, "(xml)");
  const root = parser.parse(xml) as XmlNode;
  // An empty <experiment/> is read as text: an experiment without resources.
  const experiment = root.experiment === "" ? {} : root.experiment;
  if (!isNode(experiment))
    throw new NepiError("INVALID_DOCUMENT", "expected a NEPI experiment: the root element must be <experiment>", "(xml)");

  const warnings: ImportWarning[] = [];
  const warn = (path: string, message: string) => warnings.push({ path, message });
  for (const name of ["nthreads", "local_dir"]) {
    const value = attr(experiment, name);
    if (value !== undefined) warn(`experiment/@${name}`, `no equivalent: ${name}="${value}" is not imported`);
  }

  const rms = children(child(experiment, "rms"), "rm");
  const types = new Map<number, ResourceTypeInfo>();
  const resources: ResourceDoc[] = [];
  for (const rm of rms) {
    const resource = importResource(rm, warn, types);
    if (resource) resources.push(resource);
  }
  const connections = importConnections(rms, types, warn);
  const conditions = importConditions(rms, types, warn);

  const expId = attr(experiment, "exp_id");
  const runId = attr(experiment, "run_id");
  const document: ExperimentDocumentInput = {
    format: DOCUMENT_FORMAT,
    name: expId || "imported NEPI experiment",
    description: `Imported from NEPI's XML${expId ? ` (experiment ${expId}${runId ? `, run ${runId}` : ""})` : ""}.`,
    resources,
    connections,
    conditions,
  };
  return { document, warnings, problems: validateDocument(document) };
}

type Warn = (path: string, message: string) => void;

function importResource(rm: XmlNode, warn: Warn, types: Map<number, ResourceTypeInfo>): ResourceDoc | undefined {
  const guidText = attr(rm, "guid") ?? "";
  const path = `experiment/rms/rm[guid=${guidText}]`;
  const guid = Number(guidText);
  if (!/^\d+$/.test(guidText) || guid < 1) {
    warn(path, `not imported: guid "${guidText}" is not a positive integer`);
    return undefined;
  }
  const rtype = attr(rm, "rtype") ?? "";
  const mapping = own(NEPI_TYPES, rtype);
  const info = mapping && findResourceType(mapping.rtype);
  if (!mapping || !info) {
    warn(`${path}/@rtype`, `no equivalent for NEPI resource type "${rtype}": the resource is not imported`);
    return undefined;
  }
  types.set(guid, info);

  const attributes: Record<string, AttributeValue> = {};
  for (const a of children(child(rm, "attributes"), "attribute")) {
    const name = attr(a, "name") ?? "";
    const where = `${path}/attributes/attribute[name=${name}]`;
    const ours = own(mapping.attributes, name);
    const def = ours === undefined ? undefined : findAttribute(info, ours);
    if (!def) {
      warn(where, `no equivalent for ${rtype}'s attribute "${name}" in ${info.rtype}: not imported`);
      continue;
    }
    const value = convertValue(def, attr(a, "value") ?? "");
    const problem = attributeValueProblem(def, value);
    if (problem) warn(where, `not imported: ${problem}`);
    else attributes[def.name] = value;
  }

  const traces: string[] = [];
  for (const t of children(child(rm, "traces"), "trace")) {
    const name = attr(t, "name") ?? "";
    if (info.traces.some((d) => d.name === name)) traces.push(name);
    else warn(`${path}/traces/trace[name=${name}]`, `no equivalent: ${info.rtype} has no trace "${name}"`);
  }
  const label = `${info.rtype.split("::")[1]!.toLowerCase()}${guid}`;
  return { guid, type: info.rtype, label, attributes, traces };
}

/** NEPI writes every value as text (booleans as True/False): read it as our attribute's type. */
function convertValue(def: AttributeDef, text: string): AttributeValue {
  const trimmed = text.trim();
  switch (def.type) {
    case "boolean":
      return /^true$/i.test(trimmed) ? true : /^false$/i.test(trimmed) ? false : text;
    case "integer":
    case "double":
      return trimmed !== "" && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
    case "time":
      // A bare number is seconds in NEPI.
      return /^\d+(\.\d+)?$/.test(trimmed) ? `${trimmed}s` : trimmed;
    default:
      return text;
  }
}

/** NEPI lists a connection on both ends: one link per pair, pointing from the side with the rule. */
function importConnections(rms: XmlNode[], types: Map<number, ResourceTypeInfo>, warn: Warn): ConnectionDoc[] {
  const seen = new Set<string>();
  const connections: ConnectionDoc[] = [];
  for (const rm of rms) {
    const from = Number(attr(rm, "guid"));
    if (!types.has(from)) continue;
    for (const c of children(child(rm, "connections"), "connection")) {
      const to = Number(attr(c, "guid"));
      const path = `experiment/rms/rm[guid=${from}]/connections/connection[guid=${attr(c, "guid")}]`;
      const key = [from, to].sort((a, b) => a - b).join("-");
      if (seen.has(key)) continue;
      seen.add(key);
      const toInfo = types.get(to);
      if (!toInfo) {
        warn(path, `not imported: guid ${attr(c, "guid")} is not an imported resource`);
        continue;
      }
      const reversed = !ruleToward(types.get(from)!, toInfo) && ruleToward(toInfo, types.get(from)!) !== undefined;
      connections.push(reversed ? { source: to, target: from } : { source: from, target: to });
    }
  }
  return connections;
}

/** Each NEPI condition belongs to one resource; identical ones of several resources become one. */
function importConditions(rms: XmlNode[], types: Map<number, ResourceTypeInfo>, warn: Warn): ConditionDoc[] {
  const byKey = new Map<string, ConditionDoc>();
  for (const rm of rms) {
    const guid = Number(attr(rm, "guid"));
    const conditions = children(child(rm, "conditions"), "condition");
    conditions.forEach((c, index) => {
      const path = `experiment/rms/rm[guid=${attr(rm, "guid")}]/conditions/condition[${index + 1}]`;
      // Parsed before anything else: a group that is not a list of guids refuses the whole file.
      const after = parseGuidList(attr(c, "group") ?? "", `${path}/@group`);
      if (!types.has(guid)) return;
      const action = nepiAction(attr(c, "action") ?? "");
      const state = nepiState(attr(c, "state") ?? "");
      const time = attr(c, "time")?.trim();
      const missing = after.filter((g) => !types.has(g));
      let problem: string | undefined;
      if (!action) problem = `action "${attr(c, "action")}" is not one of DEPLOY (0), START (1), STOP (2)`;
      else if (!state) problem = `state "${attr(c, "state")}" has no equivalent`;
      else if (missing.length) problem = `guid ${missing.join(", ")} of the group is not an imported resource`;
      else if (time && timeStringProblem(time)) problem = `time "${time}": ${timeStringProblem(time)}`;
      if (problem || !action || !state) {
        warn(path, `unsupported condition, not imported: ${problem}`);
        return;
      }
      const delay = time && !/^0+(\.0+)?[a-z]*$/.test(time) ? time : undefined;
      const key = JSON.stringify([action, after, state, delay]);
      const existing = byKey.get(key);
      if (existing) existing.group.push(guid);
      else byKey.set(key, { group: [guid], action, after, state, ...(delay ? { delay } : {}) });
    });
  }
  return [...byKey.values()];
}

function isNode(value: unknown): value is XmlNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function attr(node: XmlNode, name: string): string | undefined {
  const value = node[`@_${name}`];
  return typeof value === "string" ? value : undefined;
}
function child(node: XmlNode, name: string): XmlNode | undefined {
  const value = node[name];
  return isNode(value) ? value : undefined;
}
function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const value = node?.[name];
  return Array.isArray(value) ? value.filter(isNode) : [];
}
