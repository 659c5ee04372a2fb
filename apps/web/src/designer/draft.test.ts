import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CREDENTIAL_PLACEHOLDER, type ExperimentDocument } from "@nepi/core";
import { createDesignerStore, type DesignStore } from "./store";
import { autosaveDraft, restoreDraft } from "./draft";

/** A minimal Storage kept in memory (the unit tests run without a browser). */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

const DOC: ExperimentDocument = {
  format: "nepi-experiment@1",
  name: "draft",
  resources: [
    {
      guid: 1,
      type: "linux::Node",
      label: "far",
      attributes: { hostname: "h", password: "hunter2" },
      traces: [],
      position: { x: 0, y: 0 },
    },
  ],
  connections: [],
  conditions: [],
};

let design: DesignStore;

beforeEach(() => {
  design = createDesignerStore();
  vi.useFakeTimers();
  vi.stubGlobal("localStorage", memoryStorage());
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("draft kept across reloads", () => {
  it("writes the edited design a moment after a change and restores it, credentials left out", () => {
    const stop = autosaveDraft(design);
    design.getState().loadDocument(DOC, { experimentId: "exp-7" });
    design.getState().setLabel(1, "renamed");
    expect(localStorage.getItem("nepi.designer.draft")).toBeNull();
    vi.advanceTimersByTime(500);
    const stored = localStorage.getItem("nepi.designer.draft")!;
    expect(stored).not.toContain("hunter2");
    stop();

    // A reload: a new page, a new store.
    const reloaded = createDesignerStore();
    expect(restoreDraft(reloaded)).toBe(true);
    const s = reloaded.getState();
    expect(s.experimentId).toBe("exp-7");
    expect(s.dirty).toBe(true);
    expect(s.toDocument().resources[0]).toMatchObject({
      label: "renamed",
      attributes: { hostname: "h", password: CREDENTIAL_PLACEHOLDER },
    });
  });

  it("never writes a past run shown read-only over the draft", () => {
    const stop = autosaveDraft(design);
    design.getState().loadDocument(DOC, { readOnly: true });
    vi.advanceTimersByTime(500);
    expect(localStorage.getItem("nepi.designer.draft")).toBeNull();
    stop();
  });

  it("ignores a missing or unreadable draft", () => {
    expect(restoreDraft(design)).toBe(false);
    localStorage.setItem("nepi.designer.draft", "{ not json");
    expect(restoreDraft(design)).toBe(false);
    localStorage.setItem(
      "nepi.designer.draft",
      JSON.stringify({ experimentId: null, dirty: false, document: { format: "other" } }),
    );
    expect(restoreDraft(design)).toBe(false);
  });
});
