-- PostgreSQL twin of migrations/sqlite/0001: the same tables, keys and indexes, so one
-- contract suite holds on both engines.

-- The dedup ledger (HUBSPOT.md §2.3): one row per distinct event ever accepted.
CREATE TABLE inbox (
    occurred_at_ms BIGINT NOT NULL,
    dedup_key      BYTEA  NOT NULL,
    portal_id      BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    PRIMARY KEY (occurred_at_ms, dedup_key)
);

CREATE INDEX inbox_received ON inbox (received_at_ms);

CREATE TABLE jobs (
    id             BIGSERIAL PRIMARY KEY,
    queue          TEXT    NOT NULL,
    job_key        TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    payload        TEXT    NOT NULL,
    occurred_at_ms BIGINT  NOT NULL,
    run_at_ms      BIGINT  NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'ready'
                   CHECK (status IN ('ready', 'leased', 'done', 'dead')),
    attempts       BIGINT  NOT NULL DEFAULT 0,
    max_attempts   BIGINT  NOT NULL DEFAULT 10,
    lease_until_ms BIGINT,
    lease_owner    TEXT,
    last_error     TEXT,
    history        TEXT    NOT NULL DEFAULT '[]',
    created_at_ms  BIGINT  NOT NULL,
    updated_at_ms  BIGINT  NOT NULL
);

CREATE INDEX jobs_ready ON jobs (queue, run_at_ms, id) WHERE status = 'ready';
CREATE INDEX jobs_open_by_key ON jobs (job_key, occurred_at_ms, id) WHERE status IN ('ready', 'leased');
CREATE INDEX jobs_leased ON jobs (lease_until_ms) WHERE status = 'leased';
CREATE INDEX jobs_finished ON jobs (status, updated_at_ms) WHERE status IN ('done', 'dead');
