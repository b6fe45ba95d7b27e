//! Which alerts a handoff is due, claimed where the pipeline decides them: the owner's DM once
//! the handoff's task exists (`steps.rs`), and a ladder step's alert once the step was taken
//! (`sla.rs`). A claim is a row and its job, written in one transaction; its key (the lead, the
//! assignment's version, the step) makes a second claim of the same alert — a retried batch or
//! check, a crash and restart — a no-op. Nothing here calls Slack.

use handoff_slack::ids::Conversation;

use super::super::Run;
use crate::engine::playbook::LadderAlert;
use crate::jobs::SlaCheck;
use crate::store::StoreError;
use crate::store::ledger::HandoffRow;
use crate::store::slack::{AlertKey, NewAlert};

/// An alert's kind, as `slack_alerts.kind` stores it.
pub(crate) const ASSIGNMENT: &str = "assignment";
pub(crate) const REPING: &str = "reping";
pub(crate) const ESCALATION: &str = "escalation";
pub(crate) const CHANNEL: &str = "channel";

/// The step of the owner's DM on assignment.
pub(crate) const ASSIGNED_STEP: &str = "assigned";

/// The owner's DM for the handoff's current assignment, when Slack alerts send it.
pub(crate) async fn assigned(run: &Run<'_>, row: &HandoffRow) -> Result<(), StoreError> {
    if !run.slack.is_some_and(|s| s.assigned) {
        return Ok(());
    }
    let now = run.now_ms();
    let alert = NewAlert {
        key: AlertKey {
            portal_id: row.portal_id,
            contact_id: row.contact_id,
            version: row.reassignments,
            step: ASSIGNED_STEP,
        },
        kind: ASSIGNMENT,
        channel: None,
        due_at_ms: now,
    };
    run.store.slack().claim_alert(&alert, now).await.map(drop)
}

/// The alert of the ladder step `check` just took, when the playbook's step names one and
/// Slack alerts send ladder alerts. Claimed for the assignment the step was taken on (a
/// reassigning step's alert then speaks of the lead's new owner).
pub(crate) async fn ladder(
    run: &Run<'_>,
    row: &HandoffRow,
    check: &SlaCheck,
) -> Result<(), StoreError> {
    if !run.slack.is_some_and(|s| s.ladder) {
        return Ok(());
    }
    let steps = &run.rules.playbook.doc.ladder;
    let Some(alert) = steps.get(check.step).and_then(|s| s.slack_alert()) else {
        return Ok(());
    };
    let (kind, channel) = match &alert {
        LadderAlert::Owner => (REPING, None),
        LadderAlert::Manager => (ESCALATION, None),
        LadderAlert::Channel(c) => (CHANNEL, Conversation::parse(c).ok()),
    };
    if kind == CHANNEL && channel.is_none() {
        return Ok(());
    }
    let now = run.now_ms();
    let step = format!("ladder:{}", check.step);
    let alert = NewAlert {
        key: AlertKey {
            portal_id: row.portal_id,
            contact_id: row.contact_id,
            version: row.reassignments,
            step: &step,
        },
        kind,
        channel: channel.as_ref().map(Conversation::as_str),
        due_at_ms: now,
    };
    run.store.slack().claim_alert(&alert, now).await.map(drop)
}
