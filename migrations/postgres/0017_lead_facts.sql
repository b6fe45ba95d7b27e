-- One row per lead (portal, contact) with the facts of its last decision (latest
-- `decided_at_ms`, ties by the greater id) and the time of its first, kept by a trigger in the
-- transaction that inserts, updates or deletes a decision. The tuning report (`handoff tune`,
-- the review's tuning section) takes a lead's last decision of its period from here: one narrow
-- row per lead instead of every decision of the period sorted by contact (BENCHMARKS.md
-- "Weekly review over 1M handoffs"). Only leads decided again after the period are looked up
-- in `decisions`. migrations/sqlite/0017 is the same with SQLite triggers.
CREATE TABLE lead_facts (
    portal_id           BIGINT NOT NULL,
    contact_id          BIGINT NOT NULL,
    first_decided_at_ms BIGINT NOT NULL,
    decision_id         BIGINT NOT NULL,
    decided_at_ms       BIGINT NOT NULL,
    outcome             TEXT   NOT NULL,
    owner_id            TEXT,
    score_total         BIGINT,
    tier                TEXT,
    source              TEXT,
    buying_role         TEXT,
    route_kind          TEXT,
    route_pool          TEXT,
    fallback_from       TEXT,
    rules               TEXT,
    PRIMARY KEY (portal_id, contact_id)
);

INSERT INTO lead_facts (portal_id, contact_id, first_decided_at_ms, decision_id, decided_at_ms,
    outcome, owner_id, score_total, tier, source, buying_role, route_kind, route_pool,
    fallback_from, rules)
SELECT portal_id, contact_id, first_decided_at_ms, id, decided_at_ms, outcome, owner_id,
    score_total, tier, source, buying_role, route_kind, route_pool, fallback_from, rules
FROM (SELECT id, portal_id, contact_id, decided_at_ms, outcome, owner_id, score_total, tier,
        source, buying_role, route_kind, route_pool, fallback_from, rules,
        ROW_NUMBER() OVER (PARTITION BY portal_id, contact_id
            ORDER BY decided_at_ms DESC, id DESC) AS rn,
        MIN(decided_at_ms) OVER (PARTITION BY portal_id, contact_id) AS first_decided_at_ms
    FROM decisions) last
WHERE rn = 1;

-- A portal's leads by the time of their last decision, then contact (the order SQLite's
-- batched read pages by; the same keys here), with every column the report reads.
CREATE INDEX lead_facts_portal_time ON lead_facts (portal_id, decided_at_ms, contact_id) INCLUDE
    (first_decided_at_ms, outcome, owner_id, score_total, tier, source, buying_role, route_kind,
    route_pool, fallback_from, rules);

-- The row of lead (p, c) made again from its decisions (none left: no row).
CREATE FUNCTION lead_facts_refresh(p BIGINT, c BIGINT) RETURNS void LANGUAGE sql AS $$
    DELETE FROM lead_facts WHERE portal_id = p AND contact_id = c;
    INSERT INTO lead_facts (portal_id, contact_id, first_decided_at_ms, decision_id,
        decided_at_ms, outcome, owner_id, score_total, tier, source, buying_role, route_kind,
        route_pool, fallback_from, rules)
    SELECT d.portal_id, d.contact_id, (SELECT MIN(e.decided_at_ms) FROM decisions e
            WHERE e.portal_id = p AND e.contact_id = c),
        d.id, d.decided_at_ms, d.outcome, d.owner_id, d.score_total, d.tier, d.source,
        d.buying_role, d.route_kind, d.route_pool, d.fallback_from, d.rules
    FROM decisions d WHERE d.portal_id = p AND d.contact_id = c
    ORDER BY d.decided_at_ms DESC, d.id DESC LIMIT 1;
$$;

-- A new decision is the lead's last unless one decided later (or at the same time with a
-- greater id) is there already: one upsert by the primary key, with no statement the planner
-- could plan as a scan (PL/pgSQL keeps a plan made while the table was small for the session,
-- and a scan per decision made seeding a million leads quadratic). A decision deleted (a
-- contact erased) or changed makes the lead's row again from the decisions left.
CREATE FUNCTION decisions_lead_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO lead_facts AS f (portal_id, contact_id, first_decided_at_ms, decision_id,
            decided_at_ms, outcome, owner_id, score_total, tier, source, buying_role,
            route_kind, route_pool, fallback_from, rules)
        VALUES (NEW.portal_id, NEW.contact_id, NEW.decided_at_ms, NEW.id, NEW.decided_at_ms,
            NEW.outcome, NEW.owner_id, NEW.score_total, NEW.tier, NEW.source, NEW.buying_role,
            NEW.route_kind, NEW.route_pool, NEW.fallback_from, NEW.rules)
        ON CONFLICT (portal_id, contact_id) DO UPDATE SET
            first_decided_at_ms = LEAST(f.first_decided_at_ms, excluded.first_decided_at_ms),
            decision_id = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.decision_id ELSE f.decision_id END,
            decided_at_ms = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.decided_at_ms ELSE f.decided_at_ms END,
            outcome = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.outcome ELSE f.outcome END,
            owner_id = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.owner_id ELSE f.owner_id END,
            score_total = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.score_total ELSE f.score_total END,
            tier = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.tier ELSE f.tier END,
            source = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.source ELSE f.source END,
            buying_role = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.buying_role ELSE f.buying_role END,
            route_kind = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.route_kind ELSE f.route_kind END,
            route_pool = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.route_pool ELSE f.route_pool END,
            fallback_from = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.fallback_from ELSE f.fallback_from END,
            rules = CASE WHEN (excluded.decided_at_ms, excluded.decision_id)
                > (f.decided_at_ms, f.decision_id) THEN excluded.rules ELSE f.rules END;
        RETURN NULL;
    END IF;
    PERFORM lead_facts_refresh(OLD.portal_id, OLD.contact_id);
    IF TG_OP = 'UPDATE' THEN
        PERFORM lead_facts_refresh(NEW.portal_id, NEW.contact_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER decisions_lead_facts AFTER INSERT OR UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION decisions_lead_facts();
