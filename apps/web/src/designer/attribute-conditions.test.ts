import { beforeEach, describe, expect, it } from "vitest";
import { listResourceTypes, type ExperimentDocument, type ResourceTypeInfo } from "@nepi/core";
import { createDesignerStore, type DesignStore } from "./store";
import { attributeConditionSentence } from "./model";
import { settableAttributes } from "./settable";

let design: DesignStore;
const store = () => design.getState();

const EMPTY_DOC: ExperimentDocument = {
  format: "nepi-experiment@1",
  name: "untitled",
  resources: [],
  connections: [],
  conditions: [],
};

/** Two tasks; the second gets its duration set once the first started (NEPI's setWithConditions). */
const TASKS: ExperimentDocument = {
  format: "nepi-experiment@1",
  name: "set-demo",
  resources: [
    { guid: 1, type: "sim::Task", label: "first", attributes: { duration: "1s" }, traces: [], position: { x: 0, y: 0 } },
    { guid: 2, type: "sim::Task", label: "second", attributes: {}, traces: [], position: { x: 300, y: 0 } },
  ],
  connections: [],
  conditions: [],
  attributeConditions: [{ group: [2], attribute: "duration", value: "2s", after: [1], state: "STARTED", delay: "500ms" }],
};

function twoTasks(): [number, number] {
  const a = store().addResource("sim::Task", { x: 0, y: 0 })!;
  const b = store().addResource("sim::Task", { x: 300, y: 0 })!;
  return [a, b];
}

beforeEach(() => {
  design = createDesignerStore();
  store().setCatalog(listResourceTypes());
  store().loadDocument(EMPTY_DOC);
});

describe("settable attributes", () => {
  it("leaves out design-only, execReadOnly and credential attributes", () => {
    const task = listResourceTypes().find((t) => t.rtype === "sim::Task")!;
    // deployTime, failIn and critical are design attributes: only duration can change during the run.
    expect(settableAttributes(task).map((a) => a.name)).toEqual(["duration"]);
    const node = listResourceTypes().find((t) => t.rtype === "linux::Node")!;
    expect(settableAttributes(node).some((a) => a.flags.credential || a.flags.design || a.flags.execReadOnly)).toBe(false);
  });
});

describe("attribute conditions in the store", () => {
  it("adds one on a resource, waiting for another one to be STARTED, with a valid starting value", () => {
    const [a, b] = twoTasks();
    const id = store().addAttributeCondition(b);
    expect(id).not.toBeNull();
    expect(store().toDocument().attributeConditions).toEqual([
      { group: [b], attribute: "duration", value: "", after: [a], state: "STARTED" },
    ]);
    expect(store().problems.filter((p) => p.path.startsWith("attributeConditions"))).toEqual([]);
    expect(store().dirty).toBe(true);
  });

  it("refuses to add one when there is no other resource to wait for, with a notice", () => {
    const a = store().addResource("sim::Task", { x: 0, y: 0 })!;
    expect(store().addAttributeCondition(a)).toBeNull();
    expect(store().notice?.text).toMatch(/another resource/);
    expect(store().toDocument().attributeConditions).toBeUndefined();
  });

  it("refuses to add one on a type with nothing settable during the run", () => {
    store().addResource("linux::Node", { x: 0, y: 0 });
    const host = store().addResource("linux::Node", { x: 300, y: 0 })!;
    expect(store().addAttributeCondition(host)).toBeNull();
    expect(store().notice?.text).toMatch(/linux::Node has no attribute that can be set during the run/);
  });

  it("edits value, awaited resources, state and delay", () => {
    const [a, b] = twoTasks();
    const c = store().addResource("sim::Task", { x: 600, y: 0 })!;
    const id = store().addAttributeCondition(c)!;
    store().updateAttributeCondition(id, { value: "300ms" });
    store().updateAttributeCondition(id, { after: [a, b] });
    store().updateAttributeCondition(id, { state: "FINISHED" });
    store().updateAttributeCondition(id, { delay: "1.5s" });
    expect(store().toDocument().attributeConditions).toEqual([
      { group: [c], attribute: "duration", value: "300ms", after: [a, b], state: "FINISHED", delay: "1.5s" },
    ]);
    // An emptied delay is no delay at all, not an empty string in the document.
    store().updateAttributeCondition(id, { delay: "" });
    expect(store().toDocument().attributeConditions![0]).not.toHaveProperty("delay");
  });

  it("refuses to wait on nobody", () => {
    const [, b] = twoTasks();
    const id = store().addAttributeCondition(b)!;
    const before = store().toDocument();
    store().updateAttributeCondition(id, { after: [] });
    expect(store().toDocument()).toEqual(before);
    expect(store().notice?.text).toMatch(/at least one resource/);
  });

  it("resets the value to the new attribute's default when the attribute changes", () => {
    const custom: ResourceTypeInfo = {
      rtype: "sim::Dial",
      backend: "sim",
      help: "test type with two run-time attributes",
      attributes: [
        { name: "level", type: "integer", help: "", default: 3, flags: {} },
        { name: "mode", type: "enum", help: "", allowed: ["low", "high"], flags: {} },
      ],
      traces: [],
      roles: [],
      connections: [],
      finishes: "always",
      look: { abbreviation: "DL", group: "sim", color: "#c4b5fd" },
      charts: [],
      platform: "any",
    };
    store().setCatalog([...listResourceTypes(), custom]);
    store().addResource("sim::Task", { x: 0, y: 0 });
    const dial = store().addResource("sim::Dial", { x: 300, y: 0 })!;
    const id = store().addAttributeCondition(dial)!;
    expect(store().attributeConditions[0]).toMatchObject({ attribute: "level", value: 3 });
    store().updateAttributeCondition(id, { value: 7 });
    store().updateAttributeCondition(id, { attribute: "mode" });
    expect(store().attributeConditions[0]).toMatchObject({ attribute: "mode", value: "low" });
  });

  it("removes one", () => {
    const [, b] = twoTasks();
    const id = store().addAttributeCondition(b)!;
    store().removeAttributeCondition(id);
    expect(store().attributeConditions).toEqual([]);
    expect(store().toDocument().attributeConditions).toBeUndefined();
  });

  it("makes every edit one undo step, and redo replays them", () => {
    const [a, b] = twoTasks();
    const id = store().addAttributeCondition(b)!;
    // Typing "300ms" key by key is one change of the value.
    for (const typed of ["3", "30", "300", "300m", "300ms"]) store().updateAttributeCondition(id, { value: typed });
    store().updateAttributeCondition(id, { state: "READY" });
    store().removeAttributeCondition(id);
    const doc = () => store().toDocument().attributeConditions;

    store().undo();
    expect(doc()).toEqual([{ group: [b], attribute: "duration", value: "300ms", after: [a], state: "READY" }]);
    store().undo();
    expect(doc()).toEqual([{ group: [b], attribute: "duration", value: "300ms", after: [a], state: "STARTED" }]);
    store().undo();
    expect(doc()).toEqual([{ group: [b], attribute: "duration", value: "", after: [a], state: "STARTED" }]);
    store().undo();
    expect(doc()).toBeUndefined();
    expect(store().nodes).toHaveLength(2);

    store().redo();
    store().redo();
    expect(doc()).toEqual([{ group: [b], attribute: "duration", value: "300ms", after: [a], state: "STARTED" }]);
    store().redo();
    store().redo();
    expect(doc()).toBeUndefined();
  });

  it("goes with the resources it names when they are deleted, and comes back with undo", () => {
    const [a, b] = twoTasks();
    store().addAttributeCondition(b);
    store().select([a]);
    store().deleteSelection();
    expect(store().attributeConditions).toEqual([]);
    store().undo();
    expect(store().toDocument().attributeConditions).toEqual([
      { group: [b], attribute: "duration", value: "", after: [a], state: "STARTED" },
    ]);
  });

  it("is copied and pasted with the resources it names", () => {
    const [a, b] = twoTasks();
    const id = store().addAttributeCondition(b)!;
    store().updateAttributeCondition(id, { value: "2s" });
    store().select([a, b]);
    expect(store().copySelection()).toBe(2);
    const [a2, b2] = store().paste();
    expect(store().toDocument().attributeConditions).toEqual([
      { group: [b], attribute: "duration", value: "2s", after: [a], state: "STARTED" },
      { group: [b2], attribute: "duration", value: "2s", after: [a2], state: "STARTED" },
    ]);
  });

  it("cannot be edited in a past run opened read-only", () => {
    store().loadDocument(TASKS, { readOnly: true });
    const id = store().attributeConditions[0]!.id;
    expect(store().addAttributeCondition(2)).toBeNull();
    store().updateAttributeCondition(id, { value: "9s" });
    store().removeAttributeCondition(id);
    expect(store().toDocument()).toEqual(TASKS);
  });
});

describe("documents and problems", () => {
  it("round-trips through loadDocument and toDocument", () => {
    store().loadDocument(TASKS);
    expect(store().toDocument()).toEqual(TASKS);
    // Edited then exported, it is still a document core accepts.
    store().updateAttributeCondition(store().attributeConditions[0]!.id, { value: "4s" });
    store().loadDocument(store().toDocument());
    expect(store().toDocument().attributeConditions).toEqual([{ ...TASKS.attributeConditions![0], value: "4s" }]);
    expect(store().problems).toEqual([]);
  });

  it("lists a bad value for the attribute's type in the problems, on the resource it is about", () => {
    store().loadDocument(TASKS);
    expect(store().problems).toEqual([]);
    store().updateAttributeCondition(store().attributeConditions[0]!.id, { value: "soon" });
    const bad = store().problems.find((p) => p.path === "attributeConditions[0].value");
    expect(bad).toMatchObject({ guid: 2 });
    expect(bad!.message).toMatch(/time string.*"soon"/);
    store().undo();
    expect(store().problems).toEqual([]);
  });

  it("lists an attribute the type does not have in the problems", () => {
    store().loadDocument({ ...TASKS, attributeConditions: [{ ...TASKS.attributeConditions![0]!, attribute: "speed" }] });
    expect(store().problems.find((p) => p.path === "attributeConditions[0].attribute")?.message).toMatch(/no attribute "speed"/);
  });
});

describe("the sentence", () => {
  const names: Record<number, string> = { 1: "task1 #1", 2: "task2 #2", 3: "task3 #3" };
  const nameOf = (g: number) => names[g]!;
  it("reads like the researcher would say it", () => {
    expect(
      attributeConditionSentence(
        { group: [2], attribute: "duration", value: "2s", after: [1], state: "STARTED", delay: "500ms" },
        nameOf,
        { subject: 2 },
      ),
    ).toBe("set duration to 2s once task1 #1 reaches STARTED, plus 500ms");
    expect(
      attributeConditionSentence({ group: [2, 3], attribute: "duration", value: "", after: [1, 3], state: "FINISHED" }, nameOf, {
        subject: 2,
      }),
    ).toBe("set duration of task2 #2, task3 #3 to (empty) once task1 #1, task3 #3 reach FINISHED");
  });
});
