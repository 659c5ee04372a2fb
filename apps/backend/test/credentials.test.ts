import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CREDENTIAL_PLACEHOLDER, type ExperimentDocumentInput } from "@nepi/core";
import { collectEvents, connect, queryStore, relay, startTestServer, type Client, type TestServer } from "./helpers.js";

const SECRET = "pa55-w0rd-that-must-never-leak";
const NEW_SECRET = "an0ther-secret-value-never-shown";
const NUMERIC_SECRET = 987654321987;

let t: TestServer;
/** The client talks through a relay that keeps every byte the server sent. */
let wire: Awaited<ReturnType<typeof relay>>;
let client: Client;
let closeClient: () => void;
/** Every response the API gave in this file, as JSON text, to scan for leaks. */
const seen: string[] = [];
function keep<T>(value: T): T {
  seen.push(JSON.stringify(value));
  return value;
}
async function keepError(call: Promise<unknown>): Promise<string> {
  try {
    keep(await call);
    return "";
  } catch (err) {
    const e = err as { message: string; data?: unknown };
    keep({ message: e.message, data: e.data });
    return e.message;
  }
}

async function storedPassword(): Promise<unknown[]> {
  const rows = await queryStore<{ document: string }>(t, "SELECT document FROM experiments");
  return rows
    .flatMap((r) => (JSON.parse(r.document) as ExperimentDocumentInput).resources.map((x) => x.attributes?.password))
    .filter((v) => v !== undefined);
}

const doc = (password: string | number): ExperimentDocumentInput => ({
  format: "nepi-experiment@1",
  name: "with a password",
  resources: [
    { guid: 1, type: "linux::Node", attributes: { hostname: "localhost", password } },
    { guid: 2, type: "sim::Task", attributes: { duration: "5ms" } },
  ],
});

beforeAll(async () => {
  t = await startTestServer();
  wire = await relay(t.server.port);
  ({ client, close: closeClient } = connect(`http://127.0.0.1:${wire.port}/`));
});
afterAll(async () => {
  closeClient();
  await wire.close();
  await t.stop();
});

describe("credentials are write-only", () => {
  it("never returns, exports or logs a credential, and keeps it across saves", async () => {
    const { id } = keep(await client.experiments.save.mutate({ document: doc(SECRET) }));
    expect(await storedPassword()).toEqual([SECRET]);

    const got = keep(await client.experiments.get.query({ id }));
    expect(got.document.resources[0]!.attributes.password).toBe(CREDENTIAL_PLACEHOLDER);
    keep(await client.experiments.list.query());
    const exported = keep(await client.experiments.export.query({ id }));
    expect(exported.resources[0]!.attributes.password).toBe(CREDENTIAL_PLACEHOLDER);

    // Saving back what `get` returned keeps the stored secret.
    keep(await client.experiments.save.mutate({ id, document: { ...got.document, name: "renamed" } }));
    expect(await storedPassword()).toEqual([SECRET]);
    // A new value replaces it.
    keep(await client.experiments.save.mutate({ id, document: doc(NEW_SECRET) }));
    expect(await storedPassword()).toEqual([NEW_SECRET]);

    // Importing an export reports the credential as missing and stores none.
    const imported = keep(await client.experiments.import.mutate({ document: exported }));
    expect(imported.problems).toEqual([
      expect.objectContaining({
        path: "resources[0].attributes.password",
        code: "MISSING_CREDENTIAL",
        guid: 1,
        severity: "warning",
      }),
    ]);
    const importedDoc = keep(await client.experiments.get.query({ id: imported.id }));
    expect(importedDoc.document.resources[0]!.attributes.password).toBeUndefined();

    // A run of it (its events, details, history) shows no credential either.
    const { runId } = keep(await client.runs.start.mutate({ experimentId: id }));
    keep(await collectEvents(client, { runId, lastEventId: "0" }, (e) => e.type === "status"));
    keep(await client.runs.get.query({ runId }));
    keep(await client.runs.list.query({ experimentId: id }));
    await keepError(client.runs.release.mutate({ runId }));
    const run = keep(await client.runs.get.query({ runId }));
    expect(run.document.resources[0]!.attributes.password).toBe(CREDENTIAL_PLACEHOLDER);

    // A credential of the wrong type is reported without its value.
    const bad = keep(await client.experiments.save.mutate({ document: doc(NUMERIC_SECRET) }));
    const message = await keepError(client.runs.start.mutate({ experimentId: bad.id }));
    expect(message).toMatch(/password/);
    expect(message).toMatch(/hidden/);

    // Every byte the server sent (HTTP responses and WebSocket frames), every log line.
    const onTheWire = Buffer.concat(wire.fromServer).toString("latin1");
    expect(onTheWire).toContain(CREDENTIAL_PLACEHOLDER);
    const everything = [...seen, ...t.logs, onTheWire].join("\n");
    expect(seen.length).toBeGreaterThan(8);
    for (const secret of [SECRET, NEW_SECRET, String(NUMERIC_SECRET)]) expect(everything).not.toContain(secret);
  });

  it("never returns a credential set through an attribute condition, and keeps it across saves", async () => {
    const CONDITION_SECRET = "c0nd1tion-secret-never-shown";
    const withCondition: ExperimentDocumentInput = {
      ...doc("in-the-attribute"),
      name: "password set by a condition",
      attributeConditions: [
        { group: [1], attribute: "password", value: CONDITION_SECRET, after: [2], state: "STARTED" },
        { group: [2], attribute: "duration", value: "7ms", after: [1], state: "READY" },
      ],
    };
    const conditionValues = async (): Promise<unknown[]> => {
      const [row] = await queryStore<{ document: string }>(t, "SELECT document FROM experiments WHERE id = ?", id);
      return (JSON.parse(row!.document) as ExperimentDocumentInput).attributeConditions!.map((c) => c.value);
    };
    const { id } = keep(await client.experiments.save.mutate({ document: withCondition }));
    expect(await conditionValues()).toEqual([CONDITION_SECRET, "7ms"]);

    const got = keep(await client.experiments.get.query({ id }));
    expect(got.document.attributeConditions!.map((c) => c.value)).toEqual([CREDENTIAL_PLACEHOLDER, "7ms"]);
    const exported = keep(await client.experiments.export.query({ id }));
    expect(exported.attributeConditions!.map((c) => c.value)).toEqual([CREDENTIAL_PLACEHOLDER, "7ms"]);

    // Saving back what `get` returned keeps the secret of the condition.
    keep(await client.experiments.save.mutate({ id, document: { ...got.document, name: "renamed" } }));
    expect(await conditionValues()).toEqual([CONDITION_SECRET, "7ms"]);

    // An import of the export drops the condition whose value was left out, and says so.
    const imported = keep(await client.experiments.import.mutate({ document: exported }));
    expect(imported.problems).toContainEqual(
      expect.objectContaining({ path: "attributeConditions[0].value", code: "MISSING_CREDENTIAL", severity: "warning" }),
    );
    const importedDoc = keep(await client.experiments.get.query({ id: imported.id }));
    expect(importedDoc.document.attributeConditions).toEqual([expect.objectContaining({ attribute: "duration", value: "7ms" })]);

    // A password cannot change while the run goes on: the run is refused, without the secret.
    const refused = await keepError(client.runs.start.mutate({ experimentId: id }));
    expect(refused).toMatch(/attribute "password" is a design attribute: it cannot change while the run goes on/);

    const everything = [...seen, ...t.logs, Buffer.concat(wire.fromServer).toString("latin1")].join("\n");
    expect(everything).not.toContain(CONDITION_SECRET);
  });
});
