import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import {
  acquireTransport,
  documentHost,
  releaseTransport,
  TerminalClientMessageSchema,
  TerminalQuerySchema,
  type ShellHandle,
  type TerminalServerMessage,
} from "@nepi/core/node";
import type { Store } from "../store/store.js";
import type { Logger } from "./log.js";

/** Largest frame the page may send: keystrokes and pastes, not files. */
const MAX_FRAME_BYTES = 1024 * 1024;
/** Output queued for a page that does not read before its terminal is cut. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface Terminals {
  /** Takes over an upgrade to TERMINAL_PATH that the access policy already let through. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams): void;
  /** Ends every open terminal (the server is closing). */
  close(): void;
}

/**
 * Terminals into the machines of saved experiments: one WebSocket, one shell on a pty.
 * The host's settings (credentials included) are read from the stored document, so they
 * never travel through the page. Closing the socket ends the shell; the shell ending closes
 * the socket. Nothing a page sends can crash the server: a bad frame gets an error frame.
 */
export function createTerminals(store: Store, log: Logger): Terminals {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  const open = async (ws: WebSocket, query: URLSearchParams): Promise<void> => {
    const send = (msg: TerminalServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    const refuse = (message: string) => {
      send({ type: "error", message });
      ws.close(1008, "refused");
    };
    const parsed = TerminalQuerySchema.safeParse(Object.fromEntries(query));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return refuse(`${issue.path.join(".") || "query"}: ${issue.message}`);
    }
    const { experimentId, guid, cols, rows } = parsed.data;
    const experiment = await store.getExperiment(experimentId);
    if (!experiment) return refuse(`experimentId: no saved experiment "${experimentId}"`);
    // The page left while the design was read: no shell to open.
    if (ws.readyState !== ws.OPEN) return;
    let host;
    try {
      host = documentHost(experiment.document, guid);
    } catch (err) {
      return refuse((err as Error).message);
    }

    const transport = acquireTransport(host.settings);
    let shell: ShellHandle | undefined;
    let ended = false;
    shell = transport.shell(
      { cols, rows },
      {
        open: () => send({ type: "ready", host: transport.label }),
        data: (chunk) => {
          if (ws.readyState !== ws.OPEN) return;
          ws.send(chunk);
          if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
            send({
              type: "error",
              message: `the page fell ${ws.bufferedAmount} bytes behind the terminal's output: disconnected`,
            });
            ws.terminate();
          }
        },
        end: (error, code) => {
          ended = true;
          shell = undefined;
          releaseTransport(transport).catch((err: unknown) =>
            log("closing a terminal's connection failed", { level: "warn", host: transport.label, err }),
          );
          if (error) send({ type: "exit", reason: error.message });
          else send({ type: "exit", ...(code !== undefined ? { code } : {}) });
          if (ws.readyState === ws.OPEN) ws.close(1000, "shell ended");
        },
      },
    );
    log("terminal opened", { experimentId, guid: host.guid, host: transport.label });

    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (ended) return;
      if (isBinary) return shell?.write(toBuffer(data));
      let message: unknown;
      try {
        message = JSON.parse(toBuffer(data).toString("utf8"));
      } catch {
        return send({ type: "error", message: "a text frame must be a JSON control message; keystrokes go in binary frames" });
      }
      const control = TerminalClientMessageSchema.safeParse(message);
      if (!control.success) {
        const issue = control.error.issues[0]!;
        return send({ type: "error", message: `${issue.path.join(".") || "message"}: ${issue.message}` });
      }
      shell?.resize({ cols: control.data.cols, rows: control.data.rows });
    });
    ws.on("close", () => {
      shell?.close();
      log("terminal closed", { experimentId, guid: host.guid, host: transport.label });
    });
    ws.on("error", () => ws.terminate());
  };

  return {
    handleUpgrade(req, socket, head, query) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        open(ws, query).catch((err: unknown) => {
          log("opening a terminal failed", { level: "error", err });
          ws.close(1011, "internal error");
        });
      });
    },
    close() {
      for (const ws of wss.clients) ws.close(1001, "server shutting down");
      wss.close();
    },
  };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
