-- When a job first became due, kept while it waits: a retry's backoff, a paused portal's
-- deferral or an auth failure move `run_at_ms` forward but not this, so the age that
-- `handoff queue stats` and `handoff_queue_oldest_age_seconds` show keeps growing for a job held
-- back (the backlog alert can fire). NULL: due since `run_at_ms` (the job was never put back).
-- A replay starts a new life (NULL again).
ALTER TABLE jobs ADD COLUMN due_since_ms INTEGER;

-- Jobs put back before this version: when they first became due was not kept. An event job was
-- queued to run at once, so it has been due since it was created; any other job at least since
-- it was last put back.
UPDATE jobs SET due_since_ms = CASE WHEN queue = 'events' THEN created_at_ms ELSE updated_at_ms END
WHERE status IN ('ready', 'leased') AND last_error IS NOT NULL;
