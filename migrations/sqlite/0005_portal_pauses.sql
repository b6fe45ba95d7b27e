-- Operator pauses per portal (`POST /admin/portals/{id}/pause`, `handoff portal pause`). Workers
-- read this table before running a portal's jobs, so a pause holds on every replica and across
-- restarts: the portal's jobs go back to the queue without a HubSpot call and without spending
-- an attempt. `paused_at_ms` is NULL while the portal runs. `resumed_at_ms` is the last resume:
-- a running replica that sees a resume newer than its start lifts its in-memory auth pause of
-- the portal too.
CREATE TABLE portal_pauses (
    portal_id     INTEGER NOT NULL PRIMARY KEY,
    paused_at_ms  INTEGER,
    reason        TEXT,
    resumed_at_ms INTEGER,
    updated_at_ms INTEGER NOT NULL
);
