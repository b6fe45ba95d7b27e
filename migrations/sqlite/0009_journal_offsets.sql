-- The Webhooks Journal checkpoint per portal (HUBSPOT-NEXT.md §1.10): the `currentOffset` of the
-- last journal file whose events were enqueued, and the time up to which every journal event is
-- known to be enqueued (that file's publish time, or the time of a read that found nothing
-- newer). A backfill reads the file after the offset; an applied-through time older than the
-- journal's 3-day retention is a gap.
-- Offsets of the local journal (one per installed portal) only: global offsets are another space.
CREATE TABLE journal_offsets (
    portal_id          INTEGER NOT NULL PRIMARY KEY,
    journal_offset     TEXT    NOT NULL,
    applied_through_ms INTEGER NOT NULL,
    updated_at_ms      INTEGER NOT NULL
);
