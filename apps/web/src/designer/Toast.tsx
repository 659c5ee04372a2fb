import { useEffect } from "react";
import { useDesignStore } from "./store";

const SHOW_MS = { info: 3000, success: 3000, error: 7000 } as const;

/** The last message of the designer (a refused connection, a save…), dismissed after a while. */
export function Toast() {
  const notice = useDesignStore((s) => s.notice);
  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => {
      if (useDesignStore.getState().notice?.id === notice.id) useDesignStore.getState().dismissNotice();
    }, SHOW_MS[notice.kind]);
    return () => clearTimeout(t);
  }, [notice]);
  if (!notice) return null;
  return (
    <div className={`toast toast-${notice.kind}`} role={notice.kind === "error" ? "alert" : "status"} data-testid="toast" data-kind={notice.kind}>
      <span>{notice.text}</span>
      <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => useDesignStore.getState().dismissNotice()}>
        ×
      </button>
    </div>
  );
}
