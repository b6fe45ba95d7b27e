-- Decision facts (`handoff tune`, the review's routing health): what each decision was, as
-- columns, so the tuning report and the pool queries read no explanation JSON. One text for
-- both engines (migrations/postgres/0012 is this file). All NULL on decisions recorded before
-- this version: `score_total IS NULL` means "facts not recorded", never a zero.
ALTER TABLE decisions ADD COLUMN score_total BIGINT;
ALTER TABLE decisions ADD COLUMN tier TEXT;
ALTER TABLE decisions ADD COLUMN source TEXT;
ALTER TABLE decisions ADD COLUMN buying_role TEXT;
-- How routing assigned the lead (`sticky`, `account_match`, `rule_owner`, `pool`,
-- `team_fallback`, `global_fallback`), the pool that assigned it, and the first pool it fell
-- through (no eligible member) when the fallback chain was used.
ALTER TABLE decisions ADD COLUMN route_kind TEXT;
ALTER TABLE decisions ADD COLUMN route_pool TEXT;
ALTER TABLE decisions ADD COLUMN fallback_from TEXT;
-- Ids of the scoring rules that matched, a JSON array (`["icp-size","demo-request"]`): the
-- tuning report reads each decision's row once, in the range the portal/time index gives, and
-- counts rules in memory; a side table would multiply the rows read and written per decision
-- by the rules matched and need a join, for no query that filters by one rule in SQL.
ALTER TABLE decisions ADD COLUMN rules TEXT;
-- The contact as the decision read it (the engine's Contact JSON cut to the properties the
-- playbook reads), replayed by `handoff simulate --playbook FILE`. Personal data: deleted with
-- the decision when the contact is erased.
ALTER TABLE decisions ADD COLUMN contact TEXT;

-- Pool picks and fallbacks of a portal's period: small partial indexes that cover the query.
CREATE INDEX decisions_pool_picks ON decisions (portal_id, decided_at_ms, route_pool, owner_id)
    WHERE route_pool IS NOT NULL;
CREATE INDEX decisions_fallbacks ON decisions (portal_id, decided_at_ms, fallback_from)
    WHERE fallback_from IS NOT NULL;
-- Decisions recorded before facts existed: the review falls back to their explanation, and on
-- a ledger without any this index is empty.
CREATE INDEX decisions_without_facts ON decisions (portal_id, decided_at_ms)
    WHERE score_total IS NULL;
