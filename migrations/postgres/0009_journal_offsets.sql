-- The Webhooks Journal checkpoint per portal (HUBSPOT-NEXT.md §1.10): the `currentOffset` of the
-- last journal file whose events were enqueued, and when that file was published. A backfill
-- reads the file after it; a checkpoint older than the journal's 3-day retention is a gap.
-- Offsets of the local journal (one per installed portal) only: global offsets are another space.
CREATE TABLE journal_offsets (
    portal_id       BIGINT  NOT NULL PRIMARY KEY,
    journal_offset  TEXT    NOT NULL,
    published_at_ms BIGINT  NOT NULL,
    updated_at_ms   BIGINT  NOT NULL
);
