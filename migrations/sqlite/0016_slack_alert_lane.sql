-- Lead alerts in Slack, the worker's part (issue #18; docs/slack.md).
--
-- Which channel a disposition came from: 'slack' when a button in a Slack alert set it,
-- 'hubspot' when the contact's status or the lead's stage did; NULL on rows recorded before
-- this column (they came from HubSpot). Read by the KPIs' acceptance by channel.
ALTER TABLE handoffs ADD COLUMN disposition_via TEXT;

-- What an alert is: 'assignment' (the owner's DM), 'reping' (a reply in that DM's thread),
-- 'escalation' (the manager's DM) or 'channel' (the team channel); the Slack user it was
-- addressed to (NULL for a channel post), which is who may click its buttons.
ALTER TABLE slack_alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'assignment';
ALTER TABLE slack_alerts ADD COLUMN recipient TEXT;
-- Set just before chat.postMessage is called and cleared when the answer says nothing was
-- posted. A row found with it still set was interrupted with its outcome unknown (a crash, a
-- timeout): chat.postMessage has no idempotency key, so it is given up rather than posted a
-- second time.
ALTER TABLE slack_alerts ADD COLUMN sending_at_ms INTEGER;

-- The owner's direct-message conversation (D…), kept from conversations.open so each alert
-- to a rep costs one chat.postMessage, not an open as well.
ALTER TABLE slack_users ADD COLUMN dm_channel TEXT;

-- The review's covering index for a week's handoffs (0014) also holds when and through which
-- channel each was accepted (time to accept, acceptance by channel), so those reads stay
-- index-only.
DROP INDEX handoffs_portal_kpis;
CREATE INDEX handoffs_portal_kpis ON handoffs (portal_id, handed_off_at_ms, id, contact_id,
    status, owner_id, team, tier, source, sla_due_at_ms, first_touch_at_ms, sla_met,
    escalations, reassignments, disposition, disposition_reason, deal_amount,
    disposition_at_ms, disposition_via);
