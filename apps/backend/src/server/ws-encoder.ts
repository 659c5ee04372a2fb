import { jsonEncoder, type Encoder } from "@trpc/server/adapters/ws";

/**
 * JSON of the tracked events sent in this turn of the event loop, by the event object itself.
 * A run's events reach all its subscribers in the turn they are published, so the JSON is
 * kept only until the turn ends (the engine keeps its events for the whole run: a cache tied
 * to their lifetime would hold a copy of every event's JSON as long).
 */
let sentJson = new Map<object, string>();
let forgetScheduled = false;

function remember(event: object, json: string): void {
  sentJson.set(event, json);
  if (forgetScheduled) return;
  forgetScheduled = true;
  setImmediate(() => {
    sentJson = new Map();
    forgetScheduled = false;
  });
}

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
 * tRPC's JSON encoding (the same JSON as its default encoder writes), with each tracked
 * event serialised once: the run manager hands the same event object to every subscriber of
 * a run, so the second subscriber and those after reuse its JSON. Events are never changed
 * once published, so the JSON kept is theirs; a subscriber served in a later turn (a resumed
 * backlog, say) has its events serialised again, which is only slower.
 */
export const jsonEncoderSharingEvents: Encoder = {
  encode(msg) {
    if (!isTrackedResult(msg)) return jsonEncoder.encode(msg);
    const event = msg.result.data.data;
    let json = sentJson.get(event);
    if (json === undefined) {
      json = JSON.stringify(event);
      remember(event, json);
    }
    const id = JSON.stringify(msg.result.id);
    return `{"id":${JSON.stringify(msg.id)},"result":{"type":"data","id":${id},"data":{"id":${id},"data":${json}}}}`;
  },
  decode: jsonEncoder.decode,
};
