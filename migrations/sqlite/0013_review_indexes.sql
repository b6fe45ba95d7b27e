-- The weekly review (`handoff review`, `GET /review`) reads one portal's ledger by week. These
-- indexes keep its reads to the rows of that portal and those weeks on a ledger of millions.

-- A portal's handoffs by time: the KPIs of each week, and the reassigned handoffs of a week.
CREATE INDEX handoffs_portal_time ON handoffs (portal_id, handed_off_at_ms);

-- A portal's decisions by time, covering what the lead counts and assignment coverage read
-- (outcome, contact, owner), so they never read a decision's explanation.
CREATE INDEX decisions_portal_time ON decisions (portal_id, decided_at_ms, outcome, contact_id, owner_id);

-- Handoffs still waiting for a disposition, by when one was due (close the loop): the review
-- lists those past due without reading every open handoff.
CREATE INDEX handoffs_close_loop_open ON handoffs (portal_id, close_loop_due_ms)
    WHERE status = 'open' AND disposition IS NULL;
