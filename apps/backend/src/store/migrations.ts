/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
 * Never edit a released migration: append a new one.
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE experiments (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    document    TEXT NOT NULL,          -- the experiment document (JSON), credentials included
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
  );

  CREATE TABLE runs (
    id             TEXT PRIMARY KEY,
    experiment_id  TEXT NOT NULL,       -- no foreign key: a run outlives a deleted design
    experiment_name TEXT NOT NULL,
    document       TEXT NOT NULL,       -- the document as it was run
    status         TEXT NOT NULL,
    reason         TEXT,
    started_at     INTEGER NOT NULL,
    ended_at       INTEGER,
    released_at    INTEGER,
    leftovers      TEXT                 -- JSON: what an interrupted run left deployed
  );
  CREATE INDEX runs_by_experiment ON runs (experiment_id, started_at);
  CREATE INDEX runs_by_status ON runs (status);

  -- Every event of a run in order: resource transitions and run status changes.
  CREATE TABLE run_events (
    run_id    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL,            -- 'transition' | 'status'
    guid      INTEGER,
    state     TEXT NOT NULL,            -- resource state, or run status
    previous  TEXT,
    at        REAL NOT NULL,
    reason    TEXT,
    PRIMARY KEY (run_id, seq)
  ) WITHOUT ROWID;

  -- Trace files kept for a run (under <dataDir>/runs/<experimentId>/<runId>/traces/).
  CREATE TABLE run_traces (
    run_id  TEXT NOT NULL,
    guid    INTEGER NOT NULL,
    name    TEXT NOT NULL,
    path    TEXT NOT NULL,
    size    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, guid, name)
  ) WITHOUT ROWID;

  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  `
  -- Experiments seeded from the examples directory: the Open dialog lists them apart. The ones
  -- a store seeded before this column existed are those created by then (seeding runs before
  -- the server takes requests).
  ALTER TABLE experiments ADD COLUMN example INTEGER NOT NULL DEFAULT 0;
  UPDATE experiments SET example = 1
    WHERE created_at <= (SELECT (julianday(value) - 2440587.5) * 86400000 FROM meta WHERE key = 'seeded');
  `,
  `
  -- JSON, on the status a release ends on: the enabled traces it could not collect, and why.
  ALTER TABLE run_events ADD COLUMN missing_traces TEXT;
  `,
  `
  -- The attempt a transition belongs to, from the second on (retries, "Retry failed").
  ALTER TABLE run_events ADD COLUMN attempt INTEGER;
  `,
  `
  -- JSON, on a 'gate' event: a condition's delay started (state 'armed') or it opened ('opened').
  ALTER TABLE run_events ADD COLUMN gate TEXT;
  `,
  `
  -- Campaigns (a document's sweep and repetitions) run by the server; each of their runs is a
  -- normal run (runs.id), listed in order (seq) as it started, with how it ended.
  CREATE TABLE campaigns (
    id              TEXT PRIMARY KEY,
    experiment_id   TEXT NOT NULL,      -- the saved design, or the campaign's own id for a document
    experiment_name TEXT NOT NULL,
    document        TEXT NOT NULL,      -- the document with its campaign, as started
    dir             TEXT NOT NULL,      -- where runs.csv and summary.csv are written
    status          TEXT NOT NULL,
    reason          TEXT,
    started_at      INTEGER NOT NULL,
    ended_at        INTEGER
  );
  CREATE INDEX campaigns_by_experiment ON campaigns (experiment_id, started_at);
  CREATE TABLE campaign_runs (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    point       INTEGER NOT NULL,
    run         INTEGER NOT NULL,
    run_id      TEXT NOT NULL REFERENCES runs (id),
    status      TEXT NOT NULL,          -- 'running' | 'ok' | 'failed' | 'stopped'
    metrics     TEXT NOT NULL,          -- JSON: metric name → value (null when missing)
    reason      TEXT,
    PRIMARY KEY (campaign_id, seq)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX campaign_runs_by_run ON campaign_runs (run_id);
  -- Every event of a campaign (JSON), for subscribers resuming after the last one they saw.
  CREATE TABLE campaign_events (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    event       TEXT NOT NULL,
    PRIMARY KEY (campaign_id, seq)
  ) WITHOUT ROWID;
  `,
];
