-- HubSpot Lead records (object 0-136) created for handoffs when the playbook turns
-- `[playbook.leads]` on: one row per handoff, written *before* the create is sent
-- (`attempted`), so a retry after a crash or an unconfirmed create looks the lead up on the
-- contact instead of creating a second one. `refused`/`failed` leads never block the
-- handoff's task or SLA ladder. `owner_id` is the owner last written to the lead: a
-- reassignment changes the handoff's owner and the lead step moves the lead to match.
-- No personal data: the lead name lives in HubSpot only.
CREATE TABLE handoff_leads (
    handoff_id       BIGINT  NOT NULL PRIMARY KEY,
    portal_id        BIGINT  NOT NULL,
    lead_id          TEXT,
    owner_id         TEXT,
    state            TEXT    NOT NULL
                     CHECK (state IN ('attempted', 'created', 'refused', 'failed')),
    attempted_at_ms  BIGINT  NOT NULL,
    error            TEXT,
    updated_at_ms    BIGINT  NOT NULL
);

CREATE UNIQUE INDEX handoff_leads_lead ON handoff_leads (portal_id, lead_id);
