import type { ResourceState } from "@nepi/core";

/**
 * How each lifecycle state looks: a color for the node and the timeline, and always a text
 * label next to it (color is never the only cue). Dark text stays readable on every fill.
 */
export const STATE_STYLE: Record<ResourceState, { color: string; label: string }> = {
  NEW: { color: "#d9dde3", label: "new" },
  DISCOVERED: { color: "#c6dbf5", label: "discovered" },
  PROVISIONED: { color: "#a9c8f0", label: "provisioned" },
  READY: { color: "#8fb8ef", label: "ready" },
  STARTED: { color: "#f6cf5a", label: "started" },
  STOPPED: { color: "#b9a3e3", label: "stopped" },
  FINISHED: { color: "#7fd18b", label: "finished" },
  FAILED: { color: "#f08a8a", label: "failed" },
  RELEASED: { color: "#b7bcc4", label: "released" },
};

export const STATE_ORDER: ResourceState[] = [
  "NEW",
  "DISCOVERED",
  "PROVISIONED",
  "READY",
  "STARTED",
  "STOPPED",
  "FINISHED",
  "FAILED",
  "RELEASED",
];
