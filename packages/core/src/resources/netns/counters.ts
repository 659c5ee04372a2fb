import type { Machine } from "./machine.js";

/** How often a link's counters are read: a measurement's period, nothing waits on it. */
export const SAMPLE_PERIOD_MS = 1000;

/** A link whose counters are sampled: one of its devices, read where it lives. */
export interface CounterWatch {
  machine: Machine;
  ns: string;
  dev: string;
  /** The device is at end 2: its transmitted bytes go end 2 → end 1. */
  atEnd2: boolean;
  /** One sample: cumulative bytes each way and whether the device is up. */
  onSample(at: number, end1to2: number, end2to1: number, up: boolean): void;
}

interface LinkStats {
  ifname: string;
  flags?: string[];
  stats64?: { rx?: { bytes?: number }; tx?: { bytes?: number } };
}

/**
 * Reads the byte counters of a network's watched links once a period, with one script per
 * machine for all of them (`ip -j -s link` once per namespace involved: a switch's namespace
 * holds the ports of all its links).
 */
export class CounterSampler {
  private readonly watches = new Set<CounterWatch>();
  private timer?: NodeJS.Timeout;
  private sampling = false;

  watch(w: CounterWatch): () => void {
    this.watches.add(w);
    this.timer ??= setInterval(() => void this.sample(), SAMPLE_PERIOD_MS);
    void this.sample();
    return () => {
      this.watches.delete(w);
      if (this.watches.size === 0) this.close();
    };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sample of every watched link; a sample still running when the next is due is not doubled. */
  private async sample(): Promise<void> {
    if (this.sampling || this.watches.size === 0) return;
    this.sampling = true;
    try {
      const byMachine = new Map<Machine, CounterWatch[]>();
      for (const w of this.watches) byMachine.set(w.machine, [...(byMachine.get(w.machine) ?? []), w]);
      await Promise.all([...byMachine].map(([machine, ws]) => this.sampleOn(machine, ws)));
    } finally {
      this.sampling = false;
    }
  }

  private async sampleOn(machine: Machine, ws: CounterWatch[]): Promise<void> {
    const namespaces = [...new Set(ws.map((w) => w.ns))];
    const script = namespaces.map((ns) => `echo '@@ ${ns}'; ip -n ${ns} -j -s link show 2>/dev/null; echo`).join("\n");
    const r = await machine.privileged(script).catch(() => undefined);
    if (!r) return;
    const at = Date.now();
    const devices = new Map<string, LinkStats>();
    let ns = "";
    for (const line of r.stdout.split("\n")) {
      const marker = /^@@ (.*)$/.exec(line);
      if (marker) {
        ns = marker[1]!;
        continue;
      }
      if (!line.trim().startsWith("[")) continue;
      try {
        for (const d of JSON.parse(line) as LinkStats[]) devices.set(`${ns}/${d.ifname}`, d);
      } catch {
        // A namespace removed while it was read: no sample for its links this time.
      }
    }
    for (const w of ws) {
      if (!this.watches.has(w)) continue;
      const d = devices.get(`${w.ns}/${w.dev}`);
      if (!d) continue;
      const tx = d.stats64?.tx?.bytes ?? 0;
      const rx = d.stats64?.rx?.bytes ?? 0;
      const up = (d.flags ?? []).includes("UP");
      if (w.atEnd2) w.onSample(at, rx, tx, up);
      else w.onSample(at, tx, rx, up);
    }
  }
}
