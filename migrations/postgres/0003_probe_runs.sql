-- Runs of canary jobs (`handoff queue probe`): each row is written in the same transaction
-- that marks its job done, so a probe's effect happens exactly once however often it is tried.
CREATE TABLE probe_runs (
    id             BIGSERIAL PRIMARY KEY,
    job_id         BIGINT NOT NULL UNIQUE,
    job_key        TEXT   NOT NULL,
    occurred_at_ms BIGINT NOT NULL,
    owner          TEXT   NOT NULL,
    enqueued_at_ms BIGINT NOT NULL,
    started_at_ms  BIGINT NOT NULL,
    finished_at_ms BIGINT NOT NULL
);
