import { jsonEncoder } from "@trpc/server/adapters/ws";
import { describe, expect, it } from "vitest";
import { jsonEncoderSharingEvents as encoder } from "../src/server/ws-encoder.js";

/** What tRPC's WebSocket adapter hands the encoder for a tracked event of one subscription. */
function trackedMessage(subscription: number, event: object & { seq: number }) {
  const id = String(event.seq);
  return { id: subscription, jsonrpc: undefined, result: { type: "data", data: { id, data: event }, id } };
}

describe("the WebSocket encoder", () => {
  const event = {
    type: "transition",
    seq: 41,
    event: { guid: 7, state: "FINISHED", previous: "STARTED", at: 1764064800123, reason: 'quote " and \\ and é' },
  };

  it("writes the same JSON as tRPC's encoder for every kind of message", () => {
    const messages: unknown[] = [
      trackedMessage(3, event),
      { id: 4, jsonrpc: "2.0", result: { type: "data", data: { id: "41", data: event }, id: "41" } },
      { id: 5, result: { type: "started" } },
      { id: 6, result: { type: "data", data: { runId: "r1" } } },
      { id: 7, result: { type: "data", data: { id: "9", data: "a string" }, id: "9" } },
      { id: null, error: { code: -32600, message: "bad", data: { code: "BAD_REQUEST", httpStatus: 400 } } },
      { id: 8, result: { type: "stopped" } },
    ];
    for (const m of messages) {
      expect(JSON.parse(encoder.encode(m) as string)).toEqual(JSON.parse(jsonEncoder.encode(m) as string));
    }
  });

  it("serialises an event once for all its subscribers, each message with its own ids", () => {
    const first = JSON.parse(encoder.encode(trackedMessage(1, event)) as string);
    const second = JSON.parse(encoder.encode(trackedMessage(2, event)) as string);
    expect(first).toEqual({ id: 1, result: { type: "data", id: "41", data: { id: "41", data: event } } });
    expect(second).toEqual({ id: 2, result: { type: "data", id: "41", data: { id: "41", data: event } } });
    // Another event object is serialised on its own.
    const next = { ...event, seq: 42 };
    expect(JSON.parse(encoder.encode(trackedMessage(1, next)) as string).result.data.data.seq).toBe(42);
  });

  it("decodes what clients send like tRPC's encoder, refusing binary frames", () => {
    const text = '{"id":1,"method":"subscription","params":{"path":"runs.events","input":{"runId":"r"}}}';
    expect(encoder.decode(text)).toEqual(jsonEncoder.decode(text));
    expect(() => encoder.decode(new Uint8Array([1, 2]))).toThrow();
  });
});
