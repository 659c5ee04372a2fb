import type { Generated } from "kysely";

/** The store's tables as Kysely sees them (the schema itself is in migrations.ts). */
export interface Tables {
  experiments: {
    id: string;
    name: string;
    /** The experiment document (JSON), credentials included. */
    document: string;
    example: Generated<number>;
    created_at: number;
    updated_at: number;
  };
  runs: {
    id: string;
    /** No foreign key: a run outlives a deleted design. */
    experiment_id: string;
    experiment_name: string;
    /** The document as it was run. */
    document: string;
    status: string;
    reason: string | null;
    started_at: number;
    ended_at: number | null;
    released_at: number | null;
    /** JSON: what an interrupted run left deployed. */
    leftovers: string | null;
    /** The `nepi worker` holding the run; null for the in-process worker, or before one takes it. */
    worker_id: Generated<string | null>;
  };
  /** The `nepi worker`s alive (they heartbeat) or dead and not yet cleaned up after. */
  workers: { id: string; host: string; pid: number; heartbeat_at: number };
  /** Every event of a run in order: resource transitions, gates and run status changes. */
  run_events: {
    run_id: string;
    seq: number;
    kind: string;
    guid: number | null;
    state: string;
    previous: string | null;
    at: number;
    reason: string | null;
    missing_traces: string | null;
    attempt: number | null;
    gate: string | null;
  };
  /** Trace files kept for a run (under <dataDir>/runs/<experimentId>/<runId>/traces/). */
  run_traces: { run_id: string; guid: number; name: string; path: string; size: Generated<number> };
  /** Campaigns run by the server; each of their runs is a row of `runs`. */
  campaigns: {
    id: string;
    /** The saved design, or the campaign's own id for a document. */
    experiment_id: string;
    experiment_name: string;
    /** The document with its campaign, as started (JSON). */
    document: string;
    /** Where runs.csv and summary.csv are written. */
    dir: string;
    status: string;
    reason: string | null;
    started_at: number;
    ended_at: number | null;
    /** The `nepi worker` running it; null for the in-process runner, or before one takes it. */
    worker_id: Generated<string | null>;
  };
  /** A campaign's runs in the order they started (`seq`), with how they ended. */
  campaign_runs: {
    campaign_id: string;
    seq: number;
    point: number;
    run: number;
    run_id: string;
    status: string;
    /** JSON: metric name → value (null when missing). */
    metrics: string;
    reason: string | null;
  };
  /** Every event of a campaign (JSON), for subscribers resuming after the last one they saw. */
  campaign_events: { campaign_id: string; seq: number; event: string };
  meta: { key: string; value: string };
}
