import { describe, expect, it } from "vitest";
import type { ExperimentDocument } from "../model/document.js";
import { CREDENTIAL_PLACEHOLDER } from "../model/run.js";
import { isCredentialCondition, redactCredentials } from "./credentials.js";
import { findResourceType } from "./registry.js";

const SECRET = "s3cret-never-shown";

function doc(extra: Partial<ExperimentDocument> = {}): ExperimentDocument {
  return {
    format: "nepi-experiment@1",
    name: "d",
    resources: [
      { guid: 1, type: "linux::Node", attributes: { hostname: "h", password: SECRET }, traces: [] },
      { guid: 2, type: "sim::Task", attributes: { duration: "1s" }, traces: [] },
    ],
    connections: [],
    conditions: [],
    ...extra,
  };
}

describe("redactCredentials", () => {
  it("replaces credential attributes and leaves the others", () => {
    const out = redactCredentials(doc());
    expect(out.resources[0]!.attributes).toEqual({ hostname: "h", password: CREDENTIAL_PLACEHOLDER });
    expect(out.resources[1]!.attributes).toEqual({ duration: "1s" });
  });

  it("replaces a credential set by an attribute condition, not other conditions", () => {
    const d = doc({
      attributeConditions: [
        { group: [1], attribute: "password", value: SECRET, after: [2], state: "STARTED" },
        { group: [2], attribute: "duration", value: "5s", after: [1], state: "READY" },
      ],
    });
    const out = redactCredentials(d);
    expect(out.attributeConditions).toEqual([
      { group: [1], attribute: "password", value: CREDENTIAL_PLACEHOLDER, after: [2], state: "STARTED" },
      { group: [2], attribute: "duration", value: "5s", after: [1], state: "READY" },
    ]);
    expect(JSON.stringify(out)).not.toContain(SECRET);
    // The input is left as it was.
    expect(d.attributeConditions![0]!.value).toBe(SECRET);
  });

  it("treats a condition on a resource it cannot check as a secret", () => {
    const d = doc({
      attributeConditions: [{ group: [2, 99], attribute: "anything", value: SECRET, after: [1], state: "READY" }],
    });
    expect(isCredentialCondition(d, d.attributeConditions![0]!)).toBe(true);
    expect(redactCredentials(d).attributeConditions![0]!.value).toBe(CREDENTIAL_PLACEHOLDER);
  });

  it("uses the catalog it is given (a client's copy)", () => {
    const node = findResourceType("linux::Node")!;
    const secretHost = {
      ...node,
      attributes: [{ name: "hostname", type: "string" as const, help: "", flags: { credential: true } }],
    };
    const out = redactCredentials(doc(), (rtype) => (rtype === "linux::Node" ? secretHost : undefined));
    expect(out.resources[0]!.attributes).toEqual({ hostname: CREDENTIAL_PLACEHOLDER, password: SECRET });
  });

  it("returns the same document when there is nothing to hide", () => {
    const d = doc({ resources: [{ guid: 2, type: "sim::Task", attributes: { duration: "1s" }, traces: [] }] });
    expect(redactCredentials(d)).toBe(d);
  });
});
