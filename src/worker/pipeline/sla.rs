//! SLA checks, scheduled at handoff at the ladder's times. A check reads the contact's touch
//! properties and disposition and the task's status; a touch stops the ladder. Otherwise the
//! step runs: `remind` (a reminder task for the owner), `escalate` (a task for the team's
//! manager), `reassign` (the next eligible owner, never one who missed this lead, with a new
//! task and a new SLA), `fallback_queue` (the playbook's fallback owner). `close_loop` escalates
//! a handoff that still has no disposition.

use jiff::Timestamp;

use super::batch::{apply_observed, live_roster, record, stored_plan};
use super::breach;
use super::steps::{self, StoredPlan, StoredTask};
use super::touch;
use super::touch::ChangeWindow;
use super::{Pipeline, contact, now_ms, outcome_of, portal, retry_later};
use crate::engine::{self, DecideInput, Outcome as Decided};
use crate::hubspot::client::{NewTask, OwnerId, TaskId};
use crate::jobs::{SlaAction, SlaCheck};
use crate::store::ledger::{HandoffRow, Reassignment, Step};
use crate::store::queue::Outcome;

/// Runs one check; the outcome finishes its job. A paused portal's check waits (not run).
pub async fn run(p: &Pipeline, check: &SlaCheck, attempts: i64) -> Outcome {
    match p.pauses.paused(p).await {
        Ok(paused) if paused.contains(&check.portal_id) => return super::pause::deferred(),
        Ok(_) => {}
        Err(err) => return retry_later(attempts, err.to_string()),
    }
    match p.store.ledger().handoff(check.handoff_id).await {
        // A reassignment that has not finished its steps (checks exist only once a ladder was
        // scheduled): finish them first.
        Ok(Some(row)) if row.steps_pending() => resume(p, row.id, attempts).await,
        Ok(Some(row)) if is_current(&row, check) => act(p, check, &row, attempts).await,
        // Reassigned, merged, closed or erased since: this check is stale.
        Ok(_) => Outcome::Done,
        Err(err) => retry_later(attempts, err.to_string()),
    }
}

fn is_current(row: &HandoffRow, check: &SlaCheck) -> bool {
    row.status == "open" && row.trace_id == check.trace_id && row.contact_id == check.contact_id
}

async fn act(p: &Pipeline, check: &SlaCheck, row: &HandoffRow, attempts: i64) -> Outcome {
    let rules = p.rules.current();
    let now = now_ms();
    let props = p.contact_properties(&rules);
    let props: Vec<&str> = props.iter().map(String::as_str).collect();
    let c = match p
        .client
        .get_contact(portal(row.portal_id), contact(row.contact_id), &props)
        .await
    {
        Ok(c) => engine::Contact {
            id: row.contact_id.to_string(),
            properties: c.properties,
            company: None,
            event: None,
        },
        Err(e) if e.is_not_found() => return Outcome::Done,
        Err(e) => return outcome_of(&e),
    };
    let mut seen = touch::observe(
        &c,
        row,
        &rules.playbook,
        &touch::Settings::of(&p.settings),
        None,
        now,
    );
    if check.action != SlaAction::CloseLoop && seen.touched_at_ms.is_none() {
        // A completed task is a touch too.
        if let Some(task_id) = row
            .task_id
            .as_deref()
            .and_then(|t| t.parse::<TaskId>().ok())
        {
            let tasks = p
                .client
                .batch_read_tasks(portal(row.portal_id), &[task_id])
                .await;
            if let Some(Ok(task)) = tasks.into_iter().next().map(|i| i.result)
                && task.status.as_deref() == Some("COMPLETED")
            {
                seen.touched_at_ms = Some(now);
            }
        }
    }
    let touched = apply_observed(p, row, &seen, now).await;
    let touched_at = row.first_touch_at_ms.or(seen.touched_at_ms);
    if touched && breach::overdue_check_counts(row, check.step, touched_at) {
        breach::count(p, row);
    }
    match check.action {
        SlaAction::CloseLoop if seen.disposition.is_some() || row.disposition.is_some() => {
            Outcome::Done
        }
        SlaAction::CloseLoop => escalate(p, row, check, "no disposition", attempts).await,
        _ if touched => Outcome::Done,
        SlaAction::Remind => remind(p, row, check, attempts).await,
        SlaAction::Escalate => escalate(p, row, check, "SLA missed", attempts).await,
        SlaAction::Reassign => reassign(p, row, check, false, attempts).await,
        SlaAction::FallbackQueue => reassign(p, row, check, true, attempts).await,
    }
}

/// A step taken on an untouched lead: counted, and if it is the first step past the due time,
/// the SLA breach too (after the step succeeded, so a retried check counts once).
fn counted(p: &Pipeline, row: &HandoffRow, check: &SlaCheck) {
    let action = check.action;
    if breach::overdue_check_counts(row, check.step, None) {
        breach::count(p, row);
    }
    p.metrics
        .pipeline
        .sla_actions
        .get_or_create(&crate::metrics::pipeline::ActionLabel {
            action: action.as_str(),
        })
        .inc();
    tracing::warn!(portal_id = row.portal_id, contact_id = row.contact_id, owner_id = %row.owner_id, owner_name = %p.owner_name(&row.owner_id), action = action.as_str(), "SLA step taken");
}

fn subject_of(row: &HandoffRow) -> String {
    row.task_text
        .as_deref()
        .and_then(|t| serde_json::from_str::<StoredTask>(t).ok())
        .map(|t| t.subject)
        .unwrap_or_else(|| format!("lead {}", row.contact_id))
}

/// Creates one extra task (reminder, escalation); its trace id is derived from the check so a
/// rerun of the same check is recognisable in HubSpot.
async fn extra_task(
    p: &Pipeline,
    row: &HandoffRow,
    check: &SlaCheck,
    owner: Option<&str>,
    subject: String,
    attempts: i64,
) -> Result<(), Outcome> {
    let due = Timestamp::now();
    let mut task = NewTask::new(contact(row.contact_id), subject, due);
    task.trace_id = format!("{}s{}{}", row.trace_id, check.step, check.action.as_str());
    task.owner_id = owner.and_then(|o| o.parse::<OwnerId>().ok());
    task.priority = Some("HIGH".into());
    task.body = Some(format!(
        "[{}]",
        steps::marker(&task.trace_id.replace('_', ""))
    ));
    let result = p
        .client
        .create_tasks(portal(row.portal_id), vec![task])
        .await;
    match result.into_iter().next().map(|i| i.result) {
        Some(Ok(_)) => {
            p.metrics.pipeline.tasks_created.inc();
            Ok(())
        }
        Some(Err(e)) => Err(steps::item_outcome(&e, attempts, "escalation task")),
        None => Err(retry_later(attempts, "task create gave no result")),
    }
}

async fn remind(p: &Pipeline, row: &HandoffRow, check: &SlaCheck, attempts: i64) -> Outcome {
    let subject = format!("Reminder: first touch due soon — {}", subject_of(row));
    if let Err(o) = extra_task(p, row, check, Some(&row.owner_id), subject, attempts).await {
        return o;
    }
    counted(p, row, check);
    Outcome::Done
}

async fn escalate(
    p: &Pipeline,
    row: &HandoffRow,
    check: &SlaCheck,
    why: &str,
    attempts: i64,
) -> Outcome {
    let rules = p.rules.current();
    // A manager may be named by email (an owner given by email alone): the live roster has
    // the id HubSpot resolved for it.
    let roster = live_roster(p, &rules, row.portal_id).await;
    let manager = row
        .team
        .as_deref()
        .and_then(|t| roster.team(t))
        .and_then(|t| t.manager.as_deref())
        .map(|m| roster.owner(m).map_or(m, |o| o.owner.key()).to_owned());
    let subject = format!(
        "Escalation ({why}): {} — owner {}",
        subject_of(row),
        row.owner_id
    );
    if let Err(o) = extra_task(p, row, check, manager.as_deref(), subject, attempts).await {
        return o;
    }
    if let Err(err) = p.store.ledger().note_escalation(row.id, now_ms()).await {
        return retry_later(attempts, err.to_string());
    }
    counted(p, row, check);
    Outcome::Done
}

/// Hands the lead to the next eligible owner (or the fallback queue) with a new task and SLA.
async fn reassign(
    p: &Pipeline,
    row: &HandoffRow,
    check: &SlaCheck,
    fallback: bool,
    attempts: i64,
) -> Outcome {
    let rules = p.rules.current();
    // With its company: readiness and routing read company fields.
    let c = match super::read::read_one(p, &rules, row.portal_id, row.contact_id, attempts).await {
        Ok(Some(c)) => c,
        Ok(None) => return Outcome::Done,
        Err(outcome) => return outcome,
    };
    let mut missed = row.missed_by();
    if !missed.contains(&row.owner_id) {
        missed.push(row.owner_id.clone());
    }
    let roster = live_roster(p, &rules, row.portal_id).await;
    let now = Timestamp::now();
    let mut chosen = None;
    let recorded = p
        .store
        .ledger()
        .record_decisions(row.portal_id, now.as_millisecond(), |state| {
            let input = DecideInput {
                contact: &c,
                roster: &roster,
                missed_sla_by: &missed,
            };
            let d = engine::decide_in_place(&input, &rules.playbook, now, state);
            // The reassigned handoff keeps the window its disposition changes are judged by.
            let window = ChangeWindow {
                start_ms: StoredPlan::of(row).window_start_ms,
                changed_at_ms: None,
            };
            let trigger = format!("sla.{}", check.action.as_str());
            let mut rec = record(p, &rules, &c, &d, trigger, window);
            let owner = if fallback {
                let queue = rules.playbook.doc.routing.fallback_owner.as_str();
                Some(
                    roster
                        .owner(queue)
                        .map_or(queue, |o| o.owner.key())
                        .to_owned(),
                )
            } else {
                d.routing.as_ref().map(|r| r.assignment.owner_id.clone())
            };
            if let (Some(h), Some(owner)) = (rec.handoff.take(), owner)
                && d.outcome == Decided::HandOff
            {
                let team = if fallback { None } else { h.team.clone() };
                chosen = Some((owner, team, h, stored_plan(&d, &c, &rules.playbook, window)));
            }
            vec![rec]
        })
        .await;
    if let Err(err) = recorded {
        return retry_later(attempts, err.to_string());
    }
    let Some((owner, team, h, plan)) = chosen else {
        // The lead is no longer ready (or was disqualified): the ladder ends here, the
        // deadline was missed all the same.
        if breach::overdue_check_counts(row, check.step, None) {
            breach::count(p, row);
        }
        tracing::info!(
            portal_id = row.portal_id,
            contact_id = row.contact_id,
            "lead no longer ready; SLA ladder ended"
        );
        return Outcome::Done;
    };
    let change = Reassignment {
        owner_id: owner,
        team,
        trace_id: h.trace_id,
        sla_due_at_ms: h.sla_due_at_ms,
        sla_plan: serde_json::to_string(&plan).ok(),
        missed_by: missed,
        escalation: fallback,
        task_text: h.task_text,
        close_loop_due_ms: None,
    };
    if let Err(err) = p
        .store
        .ledger()
        .reassign(row.id, &change, now.as_millisecond())
        .await
    {
        return retry_later(attempts, err.to_string());
    }
    counted(p, row, check);
    tracing::info!(portal_id = row.portal_id, contact_id = row.contact_id, from = %row.owner_id, from_name = %p.owner_name(&row.owner_id), to = %change.owner_id, to_name = %p.owner_name(&change.owner_id), "lead reassigned after a missed SLA");
    resume(p, row.id, attempts).await
}

/// Runs the handoff's remaining steps (write owner, task, ladder) now.
pub async fn resume(p: &Pipeline, handoff_id: i64, attempts: i64) -> Outcome {
    let row = match p.store.ledger().handoff(handoff_id).await {
        Ok(Some(row)) => row,
        Ok(None) => return Outcome::Done,
        Err(err) => return retry_later(attempts, err.to_string()),
    };
    if row.step == Step::SlaScheduled {
        return Outcome::Done;
    }
    // One contact: its lines go in the check's span (`trace::sla_check`).
    let each = super::trace::Contacts::default();
    let failures = steps::advance(p, row.portal_id, vec![row.clone()], attempts, &each).await;
    match failures.into_values().next() {
        // The SLA job is finished, but the handoff must still complete: its steps resume
        // from the ledger on the contact's next event or check.
        Some(outcome) => outcome,
        None => Outcome::Done,
    }
}
