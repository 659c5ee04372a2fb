import type { ResourceState, StateEvent } from "@nepi/core/node";

export interface Row {
  guid: number;
  label: string;
  rtype: string;
  state: ResourceState;
  since: number;
  reason?: string;
}

const COLORS: Partial<Record<ResourceState, string>> = {
  READY: "\x1b[36m",
  STARTED: "\x1b[34m",
  FINISHED: "\x1b[32m",
  STOPPED: "\x1b[33m",
  FAILED: "\x1b[31m",
  RELEASED: "\x1b[90m",
};
const RESET = "\x1b[0m";

/** What a resource waits for before its next state, in words (the controller's `waitingOn`). */
export type WaitingOnText = (guid: number) => string;

/**
 * The live table of resources and states on a terminal: redrawn in place, at most every 100 ms
 * and only after a change (a timer is armed by a change, never left ticking). The "waiting on"
 * column is read at each draw.
 */
export class LiveTable {
  private readonly rows = new Map<number, Row>();
  private drawn = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private footer = "";

  constructor(
    private readonly out: NodeJS.WriteStream,
    rows: Row[],
    private readonly started = Date.now(),
    private readonly waitingOn: WaitingOnText = () => "",
  ) {
    for (const r of rows) this.rows.set(r.guid, r);
    this.draw();
  }

  update(e: StateEvent): void {
    const r = this.rows.get(e.guid);
    if (!r) return;
    r.state = e.state;
    r.since = e.at;
    if (e.reason) r.reason = e.reason;
    this.schedule();
  }

  /** Something the "waiting on" column shows changed (a condition's delay started). */
  changed(): void {
    this.schedule();
  }

  setFooter(text: string): void {
    this.footer = text;
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, 100);
  }

  /** Draws now (and for the last time when `final`). */
  draw(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const width = this.out.columns || 100;
    const height = (this.out.rows || 40) - 4;
    const all = [...this.rows.values()];
    const lines: string[] = [];
    lines.push(pad("GUID", 6) + pad("LABEL", 20) + pad("TYPE", 20) + pad("STATE", 10) + pad("WAITING ON", 56) + "DETAIL");
    const shown =
      all.length > height ? all.filter((r) => r.state !== "FINISHED" && r.state !== "RELEASED").slice(0, height - 1) : all;
    for (const r of shown) {
      const color = COLORS[r.state] ?? "";
      const detail = r.reason ? r.reason.replace(/\s+/g, " ") : "";
      const waiting = this.waitingOn(r.guid).replace(/\s+/g, " ");
      const line =
        pad(String(r.guid), 6) +
        pad(r.label, 20) +
        pad(r.rtype, 20) +
        color +
        pad(r.state, 10) +
        RESET +
        pad(waiting, 56) +
        detail;
      lines.push(truncate(line, width + color.length + RESET.length));
    }
    if (shown.length < all.length) lines.push(`… ${all.length - shown.length} more (finished or released)`);
    const counts = new Map<string, number>();
    for (const r of all) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    const elapsed = ((Date.now() - this.started) / 1000).toFixed(1);
    lines.push(`${elapsed}s · ${[...counts].map(([s, n]) => `${s} ${n}`).join(" · ")}${this.footer ? ` · ${this.footer}` : ""}`);
    let text = "";
    if (this.drawn > 0) text += `\x1b[${this.drawn}F\x1b[J`;
    text += lines.join("\n") + "\n";
    this.out.write(text);
    this.drawn = lines.length;
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? s.slice(0, n - 2) + "… " : s + " ".repeat(n - s.length);
}
function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}
