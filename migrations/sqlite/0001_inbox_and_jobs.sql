-- The inbox is the deduplication ledger: one row per distinct HubSpot event ever accepted.
-- The key is 16 bytes of SHA-256 over the event's identity (HUBSPOT.md §2.3), so a
-- redelivery inserts nothing. Pruned after the dedup window (>= HubSpot's 24 h retry span).
-- occurredAt leads the primary key: a redelivery carries the same occurredAt, and events of
-- one burst land on neighbouring pages instead of one random page each (hash order would
-- dirty a page per event and multiply what every commit writes to the WAL).
CREATE TABLE inbox (
    occurred_at_ms INTEGER NOT NULL,
    dedup_key      BLOB    NOT NULL,
    portal_id      INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (occurred_at_ms, dedup_key)
) WITHOUT ROWID;

CREATE INDEX inbox_received ON inbox (received_at_ms);

-- The job queue. A job belongs to a lane (`queue`) and a key (`portal:objectType:object`);
-- at most one job of a key runs at a time, in occurred_at_ms order.
CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    queue          TEXT    NOT NULL,
    job_key        TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    payload        TEXT    NOT NULL,
    occurred_at_ms INTEGER NOT NULL,
    run_at_ms      INTEGER NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'ready'
                   CHECK (status IN ('ready', 'leased', 'done', 'dead')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    max_attempts   INTEGER NOT NULL DEFAULT 10,
    lease_until_ms INTEGER,
    lease_owner    TEXT,
    last_error     TEXT,
    -- Earlier lives of a replayed dead job: [{"replayed_at_ms", "attempts", "error"}, ...].
    history        TEXT    NOT NULL DEFAULT '[]',
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
);

-- Claiming scans ready jobs of a lane in (run_at_ms, id) order, the claim's ORDER BY, so a
-- claim reads only the head of the index even before the planner has statistics (after a bulk
-- load); partial indexes keep finished jobs out.
CREATE INDEX jobs_ready ON jobs (queue, run_at_ms, id) WHERE status = 'ready';
-- Per-key order: the open (ready or leased) jobs of a key, oldest event first.
CREATE INDEX jobs_open_by_key ON jobs (job_key, occurred_at_ms, id) WHERE status IN ('ready', 'leased');
CREATE INDEX jobs_leased ON jobs (lease_until_ms) WHERE status = 'leased';
CREATE INDEX jobs_finished ON jobs (status, updated_at_ms) WHERE status IN ('done', 'dead');
