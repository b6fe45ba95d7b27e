//! A reassignment's decision (an SLA `reassign` or `fallback_queue` step): the lead decided
//! again, never for an owner who missed it, and recorded; what it leads to is a new owner, no
//! owner because the lead is no longer ready, or none because there is no owner id to give it
//! to (the fallback queue owner is given by email and not resolved).

use super::Run;
use super::decision::{Recorder, live_roster, record, stored_plan};
use super::steps::StoredPlan;
use super::touch::ChangeWindow;
use crate::engine::{self, DecideInput, Outcome as Decided};
use crate::store::ledger::{HandoffRow, NewDecision, Reassignment};
use crate::store::queue::Outcome;

/// Decides the lead again at `now` for `trigger` (`sla.reassign`, `slack.reassign` ...) (with its company: readiness and routing read company
/// fields), never for an owner who missed it, and records the decision; the reassignment it
/// makes, or why there is none. `Err`: how the check ends instead.
pub(super) async fn decide_again(
    run: &Run<'_>,
    row: &HandoffRow,
    trigger: String,
    fallback: bool,
    attempts: i64,
    now: jiff::Timestamp,
) -> Result<Next, Outcome> {
    let c = match super::read::read_one(run, row.portal_id, row.contact_id, attempts).await? {
        Some(c) => c,
        None => return Err(Outcome::Done),
    };
    let mut missed = row.missed_by();
    if !missed.contains(&row.owner_id) {
        missed.push(row.owner_id);
    }
    let again = Again {
        contact: &c,
        roster: live_roster(run, row.portal_id).await,
        missed,
        // The reassigned handoff keeps the window its disposition changes are judged by.
        window: ChangeWindow {
            start_ms: StoredPlan::of(row).window_start_ms,
            changed_at_ms: None,
        },
        trigger,
        fallback,
    };
    let mut chosen = Next::NotReady;
    let recorded = run
        .store
        .ledger()
        .record_decisions(row.portal_id, now.as_millisecond(), |state| {
            let (rec, change) = again.decide(&run.recorder(), now, state);
            chosen = change;
            vec![rec]
        })
        .await;
    match recorded {
        Ok(_) => Ok(chosen),
        Err(err) => Err(run.retry_later(attempts, err.to_string())),
    }
}

/// What a reassignment's decision leads to.
pub(crate) enum Next {
    Reassign(Reassignment),
    /// The lead is no longer ready (or was disqualified).
    NotReady,
    /// Ready, but there is no owner id to give it to: the fallback queue owner (or the owner
    /// routing ended at) is given by email and HubSpot has not resolved it.
    NoOwnerId,
}

/// A reassignment's decision: the contact as read now, the live roster, the owners who
/// missed the lead, and whether it goes to the fallback queue. The demo's simulated history
/// (`demo::history`) reassigns through it too.
pub(crate) struct Again<'a> {
    pub(crate) contact: &'a engine::Contact,
    pub(crate) roster: std::sync::Arc<engine::Roster>,
    pub(crate) missed: Vec<crate::hubspot::client::OwnerId>,
    pub(crate) window: ChangeWindow,
    pub(crate) trigger: String,
    pub(crate) fallback: bool,
}

impl Again<'_> {
    /// The decision to record, and the reassignment when the lead is handed off again.
    pub(crate) fn decide(
        &self,
        recorder: &Recorder<'_>,
        now: jiff::Timestamp,
        state: &mut engine::RoutingState,
    ) -> (NewDecision, Next) {
        let (c, playbook) = (self.contact, &recorder.rules.playbook);
        let input = DecideInput {
            contact: c,
            roster: &self.roster,
            missed_sla_by: &self.missed,
        };
        let d = engine::decide_in_place(&input, playbook, now, state);
        let mut rec = record(recorder, c, &d, self.trigger.clone(), self.window);
        if d.outcome != Decided::HandOff {
            rec.handoff = None;
            return (rec, Next::NotReady);
        }
        // The queue owner's id (never an email: `assignable_id`), else the one routing chose.
        let owner = if self.fallback {
            let queue = playbook.doc.routing.fallback_owner.as_str();
            self.roster.assignable_id(queue)
        } else {
            d.routing
                .as_ref()
                .and_then(|r| r.assignment.as_ref())
                .map(|a| a.owner_id)
        };
        let (Some(h), Some(owner_id)) = (rec.handoff.take(), owner) else {
            return (rec, Next::NoOwnerId);
        };
        let plan = stored_plan(&d, c, playbook, self.window);
        let change = Reassignment {
            owner_id,
            team: if self.fallback { None } else { h.team.clone() },
            trace_id: h.trace_id,
            sla_due_at_ms: h.sla_due_at_ms,
            sla_plan: serde_json::to_string(&plan).ok(),
            missed_by: self.missed.clone(),
            escalation: self.fallback,
            task_text: h.task_text,
            close_loop_due_ms: None,
        };
        (rec, Next::Reassign(change))
    }
}
