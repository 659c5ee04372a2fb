import "./host-checks.css";
import { useDesignStore } from "./store";
import type { DesignState, DesignStore } from "./store";
import { useEditor } from "../editor";
import { trpc, errorMessage } from "../api/trpc";

/** Asks the backend to check every host of the design as it is now; marks and problems follow. */
export async function checkDesignHosts(design: DesignStore): Promise<void> {
  const d = design.getState();
  d.beginHostCheck();
  try {
    const document = d.toDocument();
    // A saved experiment lends the credentials the designer only holds as placeholders.
    const report = await trpc.hosts.check.mutate(d.experimentId ? { experimentId: d.experimentId, document } : { document });
    design.getState().setHostCheck(report);
    const bad = report.hosts.filter((h) => !h.ok).length;
    const n = report.hosts.length;
    if (n === 0) design.getState().notify("info", "This design has no host to check.");
    else if (bad === 0)
      design.getState().notify("success", `${n === 1 ? "The host is" : `All ${n} hosts are`} ready for this design.`);
    else design.getState().notify("error", `${bad} of ${n} host${n === 1 ? "" : "s"} failed the check: see Problems.`);
  } catch (err) {
    design.getState().setHostCheck(null);
    design.getState().notify("error", `Checking the hosts failed: ${errorMessage(err)}`);
  }
}

/**
 * Deploy's warning: while the last host check of this design found problems, ask before
 * deploying (it would most likely fail on those hosts).
 */
export function deployConfirmed(
  s: Pick<DesignState, "hostCheck">,
  confirm: (message: string) => boolean = (m) => window.confirm(m),
): boolean {
  const n = s.hostCheck.failedHosts;
  if (n === 0) return true;
  return confirm(`The last host check found problems on ${n} host${n === 1 ? "" : "s"} (listed under Problems). Deploy anyway?`);
}

/** The toolbar's "Check hosts" button, and the warning that stays while the last check failed. */
export function HostCheckButton() {
  const { design } = useEditor();
  const checking = useDesignStore((s) => s.hostCheck.checking);
  const failed = useDesignStore((s) => s.hostCheck.failedHosts);
  const blocked = useDesignStore((s) =>
    s.readOnly ? "A past run is shown: go back to the design first." : s.nodes.length === 0 ? "The design is empty." : null,
  );
  return (
    <div className="tool-group" role="group" aria-label="Hosts">
      <button
        type="button"
        className="btn"
        data-testid="check-hosts"
        disabled={checking || blocked !== null}
        onClick={() => void checkDesignHosts(design)}
        title={blocked ?? "Check every host of the design: reachable, host key, login, shell, sudo, packages, disk"}
      >
        {checking ? "Checking…" : "Check hosts"}
      </button>
      {failed > 0 && (
        <span
          className="host-check-warning"
          data-testid="host-check-warning"
          role="note"
          title="Deploy will ask before running on hosts that failed"
        >
          ⚠ {failed} host{failed === 1 ? "" : "s"} failed the check
        </span>
      )}
    </div>
  );
}

/** A host node's mark from the last check: ok, or its problems (tooltip: each reason and fix). */
export function HostCheckMark({ guid }: { guid: number }) {
  const mark = useDesignStore((s) => s.hostCheck.marks[guid]);
  if (!mark) return null;
  return (
    <span
      className={`host-mark host-mark-${mark.status}`}
      data-testid="host-check-mark"
      data-status={mark.status}
      title={mark.detail}
    >
      {mark.text}
    </span>
  );
}
