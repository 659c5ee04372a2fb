import { useEffect } from "react";
import { useDesignStore, useDesignStoreApi } from "./store";

const SHOW_MS = { info: 3000, success: 3000, error: 7000 } as const;

/** The last message of the designer (a refused connection, a save…), dismissed after a while. */
export function Toast() {
  const notice = useDesignStore((s) => s.notice);
  const design = useDesignStoreApi();
  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => {
      if (design.getState().notice?.id === notice.id) design.getState().dismissNotice();
    }, SHOW_MS[notice.kind]);
    return () => clearTimeout(t);
  }, [notice, design]);
  if (!notice) return null;
  return (
    <div
      className={`toast toast-${notice.kind}`}
      role={notice.kind === "error" ? "alert" : "status"}
      data-testid="toast"
      data-kind={notice.kind}
    >
      <span>{notice.text}</span>
      <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => design.getState().dismissNotice()}>
        ×
      </button>
    </div>
  );
}
