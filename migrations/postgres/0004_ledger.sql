-- The handoff ledger: one row per handed-off lead (portal, contact), moving through explicit
-- steps (decided → contact_written → task_created → sla_scheduled) so a retry or a crash
-- resumes where it stopped and never creates a second task. KPIs (`handoff report`) read it.
CREATE TABLE handoffs (
    id                  BIGSERIAL PRIMARY KEY,
    portal_id           BIGINT  NOT NULL,
    contact_id          BIGINT  NOT NULL,
    -- open: the SLA ladder may still act; closed: a disposition closed the loop;
    -- merged: the contact was merged into another that kept its own handoff.
    status              TEXT    NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'closed', 'merged')),
    step                TEXT    NOT NULL
                        CHECK (step IN ('decided', 'contact_written', 'task_created', 'sla_scheduled')),
    owner_id            TEXT    NOT NULL,
    team                TEXT,
    score               BIGINT  NOT NULL,
    tier                TEXT,
    sla_tier            TEXT,
    source              TEXT,
    -- objectWriteTraceId of the task being created, and the marker in its body: found by search
    -- after an ambiguous failure instead of creating a second task.
    trace_id            TEXT    NOT NULL,
    task_id             TEXT,
    task_attempted_at_ms BIGINT,
    handed_off_at_ms    BIGINT  NOT NULL,
    sla_due_at_ms       BIGINT,
    close_loop_due_ms   BIGINT,
    -- The SLA plan (ladder steps with times) as decided, JSON.
    sla_plan            TEXT,
    -- The task's subject/body/priority/type as rendered at decision time, JSON (personal data:
    -- erased with the contact).
    task_text           TEXT,
    first_touch_at_ms   BIGINT,
    sla_met             BIGINT,
    escalations         BIGINT  NOT NULL DEFAULT 0,
    reassignments       BIGINT  NOT NULL DEFAULT 0,
    -- Owners who missed this lead's SLA, JSON array; routing never picks them again.
    missed_by           TEXT    NOT NULL DEFAULT '[]',
    disposition         TEXT,
    disposition_reason  TEXT,
    disposition_at_ms   BIGINT,
    deal_amount         DOUBLE PRECISION,
    updated_at_ms       BIGINT  NOT NULL
);

CREATE UNIQUE INDEX handoffs_contact ON handoffs (portal_id, contact_id);
CREATE INDEX handoffs_time ON handoffs (handed_off_at_ms);

-- Every decision with its explanation ("why did this lead go to X?"). Erased with the contact.
CREATE TABLE decisions (
    id             BIGSERIAL PRIMARY KEY,
    portal_id      BIGINT  NOT NULL,
    contact_id     BIGINT  NOT NULL,
    decided_at_ms  BIGINT  NOT NULL,
    trigger        TEXT    NOT NULL,
    outcome        TEXT    NOT NULL,
    owner_id       TEXT,
    explanation    TEXT    NOT NULL
);

CREATE INDEX decisions_contact ON decisions (portal_id, contact_id, decided_at_ms);
CREATE INDEX decisions_time ON decisions (decided_at_ms);

-- Routing state per portal (round-robin credits, capacity counts), read and written in the
-- transaction that records the decisions made with it.
CREATE TABLE routing_state (
    portal_id     BIGINT PRIMARY KEY,
    state         TEXT    NOT NULL,
    updated_at_ms BIGINT  NOT NULL
);
