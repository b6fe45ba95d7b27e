//! What a handoff keeps in the ledger between its steps about its SLA: the ladder as decided
//! (`sla_plan`), with the disposition it already showed and the window its changes are judged
//! by, and the SLA check jobs scheduled from it. (The task text it keeps is `task_text.rs`'s.)
//! Erased with the handoff.

use serde::{Deserialize, Serialize};

use super::Run;
use crate::jobs::{SlaAction, SlaCheck};
use crate::store::ledger::HandoffRow;
use crate::store::queue::{QueueError, Scheduled};

/// The SLA ladder as decided, with absolute times.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPlan {
    pub ladder: Vec<StoredStep>,
    pub close_loop_due_ms: Option<i64>,
    /// The disposition (outcome, reason) the contact already showed when it was handed off —
    /// e.g. a lead status set before: only a different one is news from sales.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_at_handoff: Option<(String, Option<String>)>,
    /// When the oldest event of the run that decided the handoff happened: a disposition
    /// property change from then on is news from sales, whenever the worker sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_start_ms: Option<i64>,
}

impl StoredPlan {
    /// The plan a handoff row carries (empty for a row without one).
    pub fn of(row: &HandoffRow) -> StoredPlan {
        row.sla_plan
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredStep {
    pub action: SlaAction,
    pub at_ms: i64,
}

/// The ladder's checks and the close-the-loop check, replacing any pending ones.
pub(crate) async fn schedule(run: &Run<'_>, row: &HandoffRow) -> Result<(), QueueError> {
    let plan = StoredPlan::of(row);
    let mut jobs = Vec::new();
    let now = run.now_ms();
    // Sales got there before the last step: a touch ends the ladder, a disposition the
    // close-the-loop check too.
    let touched = row.first_touch_at_ms.is_some() || row.disposition.is_some();
    for (i, step) in plan.ladder.iter().enumerate().filter(|_| !touched) {
        // A step whose time has passed (a slow resume) runs now, in order.
        jobs.extend(check_job(row, step.action, i, step.at_ms.max(now)));
    }
    if let Some(at) = plan
        .close_loop_due_ms
        .or(row.close_loop_due_ms)
        .filter(|_| row.disposition.is_none())
    {
        jobs.extend(check_job(
            row,
            SlaAction::CloseLoop,
            plan.ladder.len(),
            at.max(now),
        ));
    }
    run.store.ledger().schedule_ladder(row, &jobs, now).await?;
    run.metrics.pipeline.ladders_scheduled.inc();
    Ok(())
}

/// One SLA check job for the handoff.
pub fn check_job(
    row: &HandoffRow,
    action: SlaAction,
    step: usize,
    at_ms: i64,
) -> Option<Scheduled> {
    let check = SlaCheck {
        handoff_id: row.id,
        portal_id: row.portal_id,
        contact_id: row.contact_id,
        trace_id: row.trace_id.clone(),
        action,
        step,
    };
    Some(Scheduled {
        job: check.job(at_ms).ok()?,
        run_at_ms: at_ms,
        max_attempts: 20,
    })
}
