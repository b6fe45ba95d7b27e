-- Runs of canary jobs (`handoff queue probe`): each row is written in the same transaction
-- that marks its job done, so a probe's effect happens exactly once however often it is tried.
CREATE TABLE probe_runs (
    id             INTEGER PRIMARY KEY,
    job_id         INTEGER NOT NULL UNIQUE,
    job_key        TEXT    NOT NULL,
    occurred_at_ms INTEGER NOT NULL,
    owner          TEXT    NOT NULL,
    enqueued_at_ms INTEGER NOT NULL,
    started_at_ms  INTEGER NOT NULL,
    finished_at_ms INTEGER NOT NULL
);
