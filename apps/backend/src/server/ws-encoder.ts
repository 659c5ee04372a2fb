import { jsonEncoder, type Encoder } from "@trpc/server/adapters/ws";

/** JSON of each tracked event already sent, by the event object itself. */
const sentJson = new WeakMap<object, string>();

interface TrackedResult {
  id: unknown;
  jsonrpc?: unknown;
  result: { type: "data"; id: string; data: { id: string; data: object } };
}

function isTrackedResult(m: unknown): m is TrackedResult {
  const msg = m as Partial<TrackedResult> | null;
  const result = msg?.result;
  return (
    msg?.jsonrpc === undefined &&
    result?.type === "data" &&
    typeof result.id === "string" &&
    typeof result.data?.data === "object" &&
    result.data.data !== null
  );
}

/**
 * tRPC's JSON encoding (what its default encoder writes, field for field), with each tracked
 * event serialised once: the run manager hands the same event object to every subscriber of
 * a run, so the second subscriber and those after reuse its JSON. Events are never changed
 * once published, so the JSON kept is theirs.
 */
export const jsonEncoderSharingEvents: Encoder = {
  encode(msg) {
    if (!isTrackedResult(msg)) return jsonEncoder.encode(msg);
    const event = msg.result.data.data;
    let json = sentJson.get(event);
    if (json === undefined) {
      json = JSON.stringify(event);
      sentJson.set(event, json);
    }
    const id = JSON.stringify(msg.result.id);
    return `{"id":${JSON.stringify(msg.id)},"result":{"type":"data","id":${id},"data":{"id":${id},"data":${json}}}}`;
  },
  decode: jsonEncoder.decode,
};
