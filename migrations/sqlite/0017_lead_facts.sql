-- One row per lead (portal, contact) with the facts of its last decision (latest
-- `decided_at_ms`, ties by the greater id) and the time of its first, kept by triggers in the
-- transaction that inserts, updates or deletes a decision. The tuning report (`handoff tune`,
-- the review's tuning section) takes a lead's last decision of its period from here: one narrow
-- row per lead instead of every decision of the period sorted by contact (BENCHMARKS.md
-- "Weekly review over 1M handoffs"). Only leads decided again after the period are looked up
-- in `decisions`. migrations/postgres/0017 is the same, its triggers a PL/pgSQL function.
CREATE TABLE lead_facts (
    portal_id           INTEGER NOT NULL,
    contact_id          INTEGER NOT NULL,
    first_decided_at_ms INTEGER NOT NULL,
    decision_id         INTEGER NOT NULL,
    decided_at_ms       INTEGER NOT NULL,
    outcome             TEXT    NOT NULL,
    owner_id            TEXT,
    score_total         INTEGER,
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

-- A portal's leads by the time of their last decision, with every column the report reads.
CREATE INDEX lead_facts_portal_time ON lead_facts (portal_id, decided_at_ms, contact_id,
    first_decided_at_ms, outcome, owner_id, score_total, tier, source, buying_role, route_kind,
    route_pool, fallback_from, rules);

-- A new decision is the lead's last unless one decided later (or at the same time with a
-- greater id) is there already.
CREATE TRIGGER decisions_lead_facts_insert AFTER INSERT ON decisions
BEGIN
    INSERT INTO lead_facts (portal_id, contact_id, first_decided_at_ms, decision_id,
        decided_at_ms, outcome, owner_id, score_total, tier, source, buying_role, route_kind,
        route_pool, fallback_from, rules)
    VALUES (NEW.portal_id, NEW.contact_id, NEW.decided_at_ms, NEW.id, NEW.decided_at_ms,
        NEW.outcome, NEW.owner_id, NEW.score_total, NEW.tier, NEW.source, NEW.buying_role,
        NEW.route_kind, NEW.route_pool, NEW.fallback_from, NEW.rules)
    ON CONFLICT (portal_id, contact_id) DO UPDATE SET decision_id = excluded.decision_id,
        decided_at_ms = excluded.decided_at_ms, outcome = excluded.outcome,
        owner_id = excluded.owner_id, score_total = excluded.score_total,
        tier = excluded.tier, source = excluded.source, buying_role = excluded.buying_role,
        route_kind = excluded.route_kind, route_pool = excluded.route_pool,
        fallback_from = excluded.fallback_from, rules = excluded.rules
    WHERE (excluded.decided_at_ms, excluded.decision_id)
        > (lead_facts.decided_at_ms, lead_facts.decision_id);
    UPDATE lead_facts SET first_decided_at_ms = NEW.decided_at_ms
    WHERE portal_id = NEW.portal_id AND contact_id = NEW.contact_id
        AND first_decided_at_ms > NEW.decided_at_ms;
END;

-- A decision deleted (a contact erased) or changed: the lead's row is made again from the
-- decisions left.
CREATE TRIGGER decisions_lead_facts_delete AFTER DELETE ON decisions
BEGIN
    DELETE FROM lead_facts WHERE portal_id = OLD.portal_id AND contact_id = OLD.contact_id;
    INSERT INTO lead_facts (portal_id, contact_id, first_decided_at_ms, decision_id,
        decided_at_ms, outcome, owner_id, score_total, tier, source, buying_role, route_kind,
        route_pool, fallback_from, rules)
    SELECT d.portal_id, d.contact_id, (SELECT MIN(e.decided_at_ms) FROM decisions e
            WHERE e.portal_id = d.portal_id AND e.contact_id = d.contact_id),
        d.id, d.decided_at_ms, d.outcome, d.owner_id, d.score_total, d.tier, d.source,
        d.buying_role, d.route_kind, d.route_pool, d.fallback_from, d.rules
    FROM decisions d WHERE d.portal_id = OLD.portal_id AND d.contact_id = OLD.contact_id
    ORDER BY d.decided_at_ms DESC, d.id DESC LIMIT 1;
END;

CREATE TRIGGER decisions_lead_facts_update AFTER UPDATE ON decisions
BEGIN
    DELETE FROM lead_facts WHERE (portal_id = OLD.portal_id AND contact_id = OLD.contact_id)
        OR (portal_id = NEW.portal_id AND contact_id = NEW.contact_id);
    INSERT INTO lead_facts (portal_id, contact_id, first_decided_at_ms, decision_id,
        decided_at_ms, outcome, owner_id, score_total, tier, source, buying_role, route_kind,
        route_pool, fallback_from, rules)
    SELECT d.portal_id, d.contact_id, (SELECT MIN(e.decided_at_ms) FROM decisions e
            WHERE e.portal_id = d.portal_id AND e.contact_id = d.contact_id),
        d.id, d.decided_at_ms, d.outcome, d.owner_id, d.score_total, d.tier, d.source,
        d.buying_role, d.route_kind, d.route_pool, d.fallback_from, d.rules
    FROM decisions d WHERE d.id IN (
        SELECT (SELECT e.id FROM decisions e WHERE e.portal_id = k.portal_id
                AND e.contact_id = k.contact_id ORDER BY e.decided_at_ms DESC, e.id DESC LIMIT 1)
        FROM (SELECT OLD.portal_id AS portal_id, OLD.contact_id AS contact_id
            UNION SELECT NEW.portal_id, NEW.contact_id) k);
END;
