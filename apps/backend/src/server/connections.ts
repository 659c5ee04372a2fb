import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { TRPCError } from "@trpc/server";
import type { WebSocket } from "ws";
import type { Connection } from "../router/context.js";
import type { Logger } from "./log.js";

export interface ConnectionLimits {
  /** Subscriptions one WebSocket connection may hold at once. */
  maxSubscriptions: number;
  /** Bytes queued on a connection (not yet taken by the network) before it is cut. */
  maxBufferedBytes: number;
}

/** A stream waiting for room resumes once less than this is queued. */
const LOW_WATER_BYTES = 256 * 1024;

/** The budget of one WebSocket connection: its subscriptions and what waits to be sent. */
export function wsConnection(ws: WebSocket, limits: ConnectionLimits): Connection {
  let subscriptions = 0;
  const socket = socketOf(ws);
  return {
    openSubscription() {
      if (subscriptions >= limits.maxSubscriptions) {
        throw new TRPCError({
          code: "TOO_MANY_REQUESTS",
          message: `a connection may hold ${limits.maxSubscriptions} subscriptions at once; end one first`,
        });
      }
      subscriptions++;
      let ended = false;
      return () => {
        if (!ended) subscriptions--;
        ended = true;
      };
    },
    drained: () =>
      socket && ws.readyState === ws.OPEN && ws.bufferedAmount > LOW_WATER_BYTES ? waitForRoom(socket) : Promise.resolve(),
  };
}

/** One HTTP request (a query, or a subscription over SSE): its response's own backpressure. */
export function httpConnection(res: ServerResponse): Connection {
  return {
    openSubscription: () => () => {},
    drained: () => (res.writableNeedDrain && !res.destroyed ? waitForRoom(res) : Promise.resolve()),
  };
}

function waitForRoom(stream: Socket | ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}

/**
 * Cuts a connection whose subscriber falls too far behind (it stopped reading, or reads more
 * slowly than its runs produce events): what is queued for it is freed at once. Its client
 * reconnects and resumes after the last event id it received.
 */
export function cutWhenTooFarBehind(ws: WebSocket, maxBufferedBytes: number, log: Logger): void {
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  ws.send = ((...args: unknown[]) => {
    send(...args);
    if (ws.bufferedAmount > maxBufferedBytes && ws.readyState === ws.OPEN) {
      log(
        `a WebSocket client fell ${ws.bufferedAmount} bytes behind (limit ${maxBufferedBytes}): disconnected, it resumes from its last event id`,
        {
          level: "warn",
          bufferedBytes: ws.bufferedAmount,
        },
      );
      ws.terminate();
    }
  }) as WebSocket["send"];
}

export function socketOf(ws: WebSocket): Socket | undefined {
  return (ws as unknown as { _socket?: Socket })._socket;
}
