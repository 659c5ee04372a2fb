import { useEffect } from "react";
import { LINK_COUNTERS_TRACE, LinkCountersFollower, type TraceChunk } from "@nepi/core";
import { trpc } from "../api/trpc";
import { useRunStore, useRunStoreApi } from "./store";

/**
 * Follows a link's `counters` trace in the live run shown while `wanted` (its edge is in view,
 * zoomed in enough to read it) and puts its latest throughput in the run store. Only a bounded
 * number are followed at once; a link beyond them shows no figure.
 */
export function useLinkCounters(guid: number, wanted: boolean): void {
  const runApi = useRunStoreApi();
  const runId = useRunStore((s) => (s.phase === "live" && !s.dryRun ? s.runId : null));
  // Its trace exists once it started (the server waits for that too).
  const started = useRunStore((s) => s.states[guid]?.state === "STARTED");
  useEffect(() => {
    if (!wanted || !runId || !started) return;
    const run = runApi.getState();
    if (!run.claimLinkFeed()) return;
    const follower = new LinkCountersFollower();
    const sub = trpc.runs.trace.subscribe(
      { runId, guid, name: LINK_COUNTERS_TRACE },
      {
        onData(msg) {
          const chunk = ("data" in msg && typeof msg.data === "object" ? msg.data : msg) as TraceChunk;
          // One store update per sample (once a second), whatever the chunking.
          if (chunk.data && follower.push(chunk.data) && follower.rate && runApi.getState().runId === runId)
            runApi.getState().setLinkRate(guid, follower.rate);
        },
        onError() {
          // The link failed or the run went away: its edge shows its state instead.
        },
      },
    );
    return () => {
      sub.unsubscribe();
      runApi.getState().releaseLinkFeed();
    };
  }, [wanted, runId, started, guid, runApi]);
}
