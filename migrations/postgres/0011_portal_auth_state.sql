-- A portal's HubSpot auth pause as the service last saw it, so `handoff portal list` (which reads
-- the store, service up or down) shows it like GET /admin/portals. A process that finds its
-- client paused for a portal (`token_rejected`, `refresh_rejected`, `token_store`) records the
-- reason and since when; a resume clears it (every replica lifts its pause), and so does a
-- start (credentials are loaded afresh; a replica still paused records it again).
ALTER TABLE portal_pauses ADD COLUMN auth_failure TEXT;
ALTER TABLE portal_pauses ADD COLUMN auth_failed_at_ms BIGINT;
