-- The weekly review over a million handoffs in under 2 s (BENCHMARKS.md "Weekly review over
-- 1M handoffs"). A decision's row is mostly its explanation (about 2 KB of JSON) and a
-- handoff's mostly its SLA plan and task text, so reading 12 weeks of either by row reads
-- gigabytes; the review reads neither text. These indexes hold what the review, the KPIs and
-- the tuning report read, so those reads are index-only scans (on a vacuumed table).
-- migrations/sqlite/0014 is the same with every column a key column.

-- A portal's decisions by time with their facts: the tuning report's read of 12 weeks
-- (`decision_facts_between`, `id` for its ORDER BY), and, by its key, what
-- `decisions_portal_time` covered (lead counts, assignment coverage), which it replaces.
CREATE INDEX decisions_portal_facts ON decisions (portal_id, decided_at_ms, outcome, contact_id,
    owner_id) INCLUDE (id, score_total, tier, source, buying_role, route_kind, route_pool,
    fallback_from, rules);
DROP INDEX decisions_portal_time;

-- A portal's handoffs by time, in the order the review reads them (`id` breaks ties, as the
-- query's ORDER BY), with every column of a KPI row (`handoffs_between`); replaces
-- `handoffs_portal_time`, its first two columns.
CREATE INDEX handoffs_portal_kpis ON handoffs (portal_id, handed_off_at_ms, id) INCLUDE
    (contact_id, status, owner_id, team, tier, source, sla_due_at_ms, first_touch_at_ms, sla_met,
    escalations, reassignments, disposition, disposition_reason, deal_amount);
DROP INDEX handoffs_portal_time;

-- A lead's handoff by contact with what the ready leads (owner, segment) and the tuning report
-- (owner, first touch, disposition, deal) join from it.
CREATE INDEX handoffs_contact_outcome ON handoffs (portal_id, contact_id) INCLUDE (owner_id,
    team, tier, source, handed_off_at_ms, first_touch_at_ms, disposition, deal_amount);
