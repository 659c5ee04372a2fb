import { useEffect, useState } from "react";
import type { WaitReason } from "@nepi/core";
import { useRunStore } from "../run/store";
import { countdownLabel } from "./countdown";

/** The rule a reason is about, without what the engine said of it then ("…: 1.5s left"). */
function headOf(r: WaitReason): string {
  const i = r.text.lastIndexOf(": ");
  return i >= 0 ? r.text.slice(0, i) : r.text;
}

/** "10:00:03": when a delay ends, which stays true while the hover is open (a "left" would not). */
function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}

/** What a resource waits for, in one line (the node's hover). */
export function waitingText(reasons: readonly WaitReason[] | undefined): string {
  return (
    reasons
      ?.map((r) => ("firesAt" in r && r.firesAt !== undefined ? `${headOf(r)}: its delay ends at ${clock(r.firesAt)}` : r.text))
      .join("; ") ?? ""
  );
}

/** A delay counting down, redrawn every tenth of a second while it shows. */
function Countdown({ action, firesAt }: { action: string; firesAt: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(timer);
  }, [firesAt]);
  return <b data-testid="waiting-countdown">{countdownLabel(action, firesAt - now)}</b>;
}

/** What the resource waits for in the shown live run: the inspector's "Waiting on" section. */
export function WaitingOn({ guid }: { guid: number }) {
  const reasons = useRunStore((s) => s.waitingOn[guid]);
  if (!reasons?.length) return null;
  return (
    <>
      <h3 className="section-title">Waiting on</h3>
      <ul className="inspector-waiting" data-testid="waiting-on">
        {reasons.map((r, i) => (
          <li key={i} data-kind={r.kind}>
            {"firesAt" in r && r.firesAt !== undefined ? (
              <>
                {headOf(r)}: <Countdown action={r.action} firesAt={r.firesAt} />
              </>
            ) : (
              r.text
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
