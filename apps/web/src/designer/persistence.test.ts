import { describe, expect, it } from "vitest";
import { CREDENTIAL_PLACEHOLDER, listResourceTypes, type ExperimentDocument } from "@nepi/core";
import {
  examplesAndSaved,
  parseDocumentText,
  redactCredentials,
  stripCredentialPlaceholders,
  type ExperimentSummary,
} from "./persistence";

const DOC: ExperimentDocument = {
  format: "nepi-experiment@1",
  name: "remote",
  resources: [
    {
      guid: 1,
      type: "linux::Node",
      label: "far",
      attributes: { hostname: "10.0.0.1", username: "me", password: "hunter2" },
      traces: [],
    },
    { guid: 2, type: "sim::Task", attributes: {}, traces: [] },
  ],
  connections: [],
  conditions: [],
};

const CATALOG = Object.fromEntries(listResourceTypes().map((t) => [t.rtype, t]));

describe("export / import of documents", () => {
  it("replaces credential values by the placeholder, and nothing else", () => {
    const out = redactCredentials(DOC, CATALOG);
    expect(out.resources[0]!.attributes).toEqual({ hostname: "10.0.0.1", username: "me", password: CREDENTIAL_PLACEHOLDER });
    expect(JSON.stringify(out)).not.toContain("hunter2");
    expect(out.resources[1]).toBe(DOC.resources[1]);
  });

  it("an imported placeholder is dropped and named, so the user enters it again", () => {
    const { doc, missing } = stripCredentialPlaceholders(redactCredentials(DOC, CATALOG));
    expect(doc.resources[0]!.attributes).toEqual({ hostname: "10.0.0.1", username: "me" });
    expect(missing).toEqual(["password of far #1"]);
  });

  it("replaces a credential set by an attribute condition, and an import drops that condition", () => {
    const withCondition: ExperimentDocument = {
      ...DOC,
      attributeConditions: [
        { group: [1], attribute: "password", value: "cond-hunter3", after: [2], state: "STARTED" },
        { group: [2], attribute: "duration", value: "2s", after: [1], state: "READY" },
      ],
    };
    const out = redactCredentials(withCondition, CATALOG);
    expect(JSON.stringify(out)).not.toContain("cond-hunter3");
    expect(out.attributeConditions!.map((c) => c.value)).toEqual([CREDENTIAL_PLACEHOLDER, "2s"]);
    const { doc, missing } = stripCredentialPlaceholders(out);
    expect(doc.attributeConditions).toEqual([withCondition.attributeConditions![1]]);
    expect(missing).toEqual(["password of far #1", "password set by a condition on #1"]);
  });

  it("parses a valid file, filling the defaults", () => {
    const r = parseDocumentText(
      JSON.stringify({ format: "nepi-experiment@1", name: "x", resources: [{ guid: 1, type: "sim::Task" }] }),
    );
    expect(r.ok && r.doc).toMatchObject({
      resources: [{ guid: 1, attributes: {}, traces: [] }],
      connections: [],
      conditions: [],
    });
  });

  it("lists every problem of an invalid file with its path", () => {
    const r = parseDocumentText(
      JSON.stringify({
        format: "nepi-experiment@2",
        name: "x",
        resources: [{ guid: -1, type: "Task" }],
        conditions: [{ group: [1], action: "JUMP", after: [2], state: "STARTED", delay: "soon" }],
      }),
    );
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^format: /),
        expect.stringMatching(/^resources\[0\]\.guid: expected a guid/),
        expect.stringMatching(/^resources\[0\]\.type: expected a resource type written backend::Name/),
        expect.stringMatching(/^conditions\[0\]\.action: /),
        expect.stringMatching(/^conditions\[0\]\.delay: expected a time string/),
      ]),
    );
  });

  it("says when a file is not JSON", () => {
    const r = parseDocumentText("{ nope");
    expect(!r.ok && r.errors[0]).toMatch(/^not JSON: /);
  });
});

describe("the Open dialog's sections", () => {
  // What experiments.list answers (typed by the router: a field the backend stops sending fails the typecheck).
  const rows: ExperimentSummary[] = [
    { id: "u1", name: "my ping", resourceCount: 3, example: false, createdAt: 5, updatedAt: 9 },
    {
      id: "e1",
      name: "ping-localhost",
      description: "ping 127.0.0.1 three times",
      resourceCount: 2,
      example: true,
      createdAt: 1,
      updatedAt: 1,
    },
    { id: "e2", name: "sim-dry-run", resourceCount: 4, example: true, createdAt: 1, updatedAt: 1 },
  ];

  it("lists the seeded examples apart from the saved experiments, in the backend's order", () => {
    const { examples, saved } = examplesAndSaved(rows);
    expect(examples.map((r) => r.id)).toEqual(["e1", "e2"]);
    expect(saved.map((r) => r.id)).toEqual(["u1"]);
  });

  it("filters both by name or description, ignoring case", () => {
    expect(examplesAndSaved(rows, "PING")).toEqual({ examples: [rows[1]], saved: [rows[0]] });
    expect(examplesAndSaved(rows, "three times")).toEqual({ examples: [rows[1]], saved: [] });
  });
});
