import { hostCheckProblems, type HostsCheckReport, type Problem } from "@nepi/core";
import type { DesignSlice, DesignState } from "./state";

/** What a host node shows of the last check: ok, or how many problems and warnings, and why. */
export interface HostMark {
  status: "ok" | "warning" | "problem";
  problems: number;
  warnings: number;
  /** The mark's text ("✓ host ok", "× 2 problems"). */
  text: string;
  /** Every check that is not ok, one per line (the mark's tooltip). */
  detail: string;
}

export interface HostCheckState {
  checking: boolean;
  /** The last report, until the design changes (then it says nothing true of it any more). */
  report: HostsCheckReport | null;
  /** By guid of a host node. */
  marks: Record<number, HostMark>;
  /** The report's problems, as the problems panel lists them (core's hostCheckProblems). */
  problems: Problem[];
  /** Hosts of the last report with a problem: Deploy warns while there are some. */
  failedHosts: number;
}

/** The last "Check hosts" of the design: node marks, problems, and what Deploy warns about. */
export interface HostChecksSlice {
  hostCheck: HostCheckState;
  beginHostCheck(): void;
  setHostCheck(report: HostsCheckReport | null): void;
}

const NONE: HostCheckState = { checking: false, report: null, marks: {}, problems: [], failedHosts: 0 };

export function hostMarks(report: HostsCheckReport): Record<number, HostMark> {
  const marks: Record<number, HostMark> = {};
  for (const h of report.hosts) {
    const problems = h.checks.filter((c) => c.status === "problem").length;
    const warnings = h.checks.filter((c) => c.status === "warning").length;
    const detail = h.checks
      .filter((c) => c.status !== "ok")
      .map((c) => `${c.status === "problem" ? "×" : "!"} ${c.name}: ${c.reason}${c.fix ? ` (fix: ${c.fix})` : ""}`)
      .join("\n");
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    const text = problems ? `× ${plural(problems, "problem")}` : warnings ? `! ${plural(warnings, "warning")}` : "✓ host ok";
    marks[h.guid] = {
      status: problems ? "problem" : warnings ? "warning" : "ok",
      problems,
      warnings,
      text,
      detail: detail || `${h.target}: every check passed`,
    };
  }
  return marks;
}

/** Whether the design changed in what a check looks at (anything but positions and the selection). */
function designChanged(s: DesignState, prev: DesignState): boolean {
  if (s.connections !== prev.connections || s.experimentId !== prev.experimentId || s.loadSeq !== prev.loadSeq) return true;
  if (s.nodes === prev.nodes) return false;
  if (s.nodes.length !== prev.nodes.length) return true;
  return s.nodes.some((n, i) => n.data !== prev.nodes[i]!.data);
}

export const createHostChecksSlice: DesignSlice<HostChecksSlice> = (set, _get, api) => {
  // A report is of the design it was made for: any change to it drops the report.
  api.subscribe((s, prev) => {
    if (s.hostCheck.report && s.hostCheck === prev.hostCheck && designChanged(s, prev)) set({ hostCheck: NONE });
  });
  return {
    hostCheck: NONE,
    beginHostCheck() {
      set((s) => ({ hostCheck: { ...s.hostCheck, checking: true } }));
    },
    setHostCheck(report) {
      if (!report) return set({ hostCheck: NONE });
      set({
        hostCheck: {
          checking: false,
          report,
          marks: hostMarks(report),
          problems: hostCheckProblems(report),
          failedHosts: report.hosts.filter((h) => !h.ok).length,
        },
      });
    },
  };
};
