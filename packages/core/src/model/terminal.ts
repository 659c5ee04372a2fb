import { z } from "zod";

/**
 * The terminal WebSocket (`/terminal?experimentId=…&guid=…&cols=…&rows=…`): a shell on the
 * machine a resource of a saved experiment is. Binary frames carry the bytes both ways
 * (keystrokes in, terminal output out); text frames are JSON control messages.
 */
export const TERMINAL_PATH = "/terminal";

const Cells = (what: string) =>
  z.coerce
    .number({ error: `expected the number of ${what}` })
    .int(`expected a whole number of ${what}`)
    .min(1, `expected at least 1 of ${what}`)
    .max(1000, `expected at most 1000 ${what}`);

/** A terminal's size in character cells. */
export const TerminalSizeSchema = z.object({ cols: Cells("columns"), rows: Cells("rows") });
export type TerminalSize = z.infer<typeof TerminalSizeSchema>;

/** The query of the terminal's address: which resource's machine, and the pane's size. */
export const TerminalQuerySchema = z.object({
  experimentId: z.string({ error: "expected the id of a saved experiment" }).min(1, "expected the id of a saved experiment"),
  guid: z.coerce
    .number({ error: "expected a guid (positive integer)" })
    .int("expected a guid (positive integer)")
    .positive("expected a guid (positive integer)"),
  cols: Cells("columns").default(80),
  rows: Cells("rows").default(24),
});
export type TerminalQuery = z.infer<typeof TerminalQuerySchema>;

/** What the page sends as text: the pane was resized. */
export const TerminalClientMessageSchema = z.discriminatedUnion(
  "type",
  [z.object({ type: z.literal("resize"), ...TerminalSizeSchema.shape })],
  {
    error: 'expected a control message {"type":"resize","cols":…,"rows":…}',
  },
);
export type TerminalClientMessage = z.infer<typeof TerminalClientMessageSchema>;

/** What the server sends as text: the shell is open, a message was refused, or the shell ended. */
export type TerminalServerMessage =
  { type: "ready"; host: string } | { type: "error"; message: string } | { type: "exit"; code?: number; reason?: string };
