import type { WaitReason } from "@nepi/core";
import { useRunStore } from "../run/store";

/** What a resource waits for, in one line (the node's hover). */
export function waitingText(reasons: readonly WaitReason[] | undefined): string {
  return reasons?.map((r) => r.text).join("; ") ?? "";
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
            {r.text}
          </li>
        ))}
      </ul>
    </>
  );
}
