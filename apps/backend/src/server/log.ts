import { pino, type DestinationStream, type Logger as Pino } from "pino";
import { PinoPretty } from "pino-pretty";

export type LogLevel = "info" | "warn" | "error";

/**
 * What a log line says besides its message: ids, names, an `err`. User text (an experiment's
 * name, a reason) belongs here, never spliced into the message, so that it is escaped as a
 * JSON value and cannot start a line of its own. Never a credential value.
 */
export interface LogFields {
  level?: LogLevel;
  [field: string]: unknown;
}

/** Where the server writes its log lines. */
export type Logger = (message: string, fields?: LogFields) => void;

/** A Logger writing one JSON object per line (pino) to `destination`. */
export function jsonLogger(destination: DestinationStream): Logger {
  return fromPino(pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination));
}

/**
 * The server's log on stdout: JSON lines for a file or a log collector, the same records in
 * a readable form (pino-pretty) when stdout is a terminal.
 */
export function stdoutLogger(): Logger {
  if (process.stdout.isTTY) {
    return fromPino(
      pino(
        { base: undefined },
        PinoPretty({ sync: true, colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }),
      ),
    );
  }
  return jsonLogger(pino.destination({ dest: 1, sync: true }));
}

function fromPino(p: Pino): Logger {
  return (message, fields) => {
    const { level = "info", ...rest } = fields ?? {};
    p[level](rest, message);
  };
}

export const silentLogger: Logger = () => {};
