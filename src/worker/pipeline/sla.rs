//! SLA checks, scheduled at handoff at the ladder's times. A check reads the contact's touch
//! properties and disposition and the task's status; a touch stops the ladder. Otherwise the
//! step runs: `remind` (a reminder task for the owner), `escalate` (a task for the team's
//! manager), `reassign` (the next eligible owner, never one who missed this lead, with a new
//! task and a new SLA), `fallback_queue` (the playbook's fallback owner). `close_loop` escalates
//! a handoff that still has no disposition.

use super::breach;
use super::decision::live_roster;
use super::observed::apply_observed;
use super::reassign::{Next, decide_again};
use super::steps;
use super::task_text::{marker, subject_of};
use super::touch;
use super::trace::Contacts;
use super::{Pipeline, PortalRun, Run};
use crate::engine;
use crate::hubspot::client::{NewTask, OwnerId};
use crate::jobs::{SlaAction, SlaCheck};
use crate::store::ledger::{HandoffRow, Step};
use crate::store::queue::Outcome;

/// Runs one check; the outcome finishes its job. A paused portal's check waits (not run).
pub(crate) async fn run(p: &Pipeline, check: &SlaCheck, attempts: i64) -> Outcome {
    let run = p.run();
    match p.paused().await {
        Ok(paused) if paused.contains(&check.portal_id) => {
            return super::pause::deferred(run.now_ms());
        }
        Ok(_) => {}
        Err(err) => return run.retry_later(attempts, err.to_string()),
    }
    match run.store.ledger().handoff(check.handoff_id).await {
        // A reassignment that has not finished its steps (checks exist only once a ladder was
        // scheduled): finish them first.
        Ok(Some(row)) if row.steps_pending() => resume(&run, row.id, attempts).await,
        Ok(Some(row)) if is_current(&row, check) => act(&run, check, &row, attempts).await,
        // Reassigned, merged, closed or erased since: this check is stale.
        Ok(_) => Outcome::Done,
        Err(err) => run.retry_later(attempts, err.to_string()),
    }
}

fn is_current(row: &HandoffRow, check: &SlaCheck) -> bool {
    row.status == "open" && row.trace_id == check.trace_id && row.contact_id == check.contact_id
}

async fn act(run: &Run<'_>, check: &SlaCheck, row: &HandoffRow, attempts: i64) -> Outcome {
    let (seen, touched) = match look(run, check, row).await {
        Ok(looked) => looked,
        Err(outcome) => return outcome,
    };
    let taken = step(run, check, row, (&seen, touched), attempts).await;
    if matches!(taken, Some(Outcome::Done)) {
        // The step was taken: its Slack alert, if the playbook names one. A store failure
        // here loses only the alert (the step's task stands), so it is logged, not retried.
        if let Err(err) = super::slack::claim::ladder(run, row, check).await {
            tracing::warn!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), error = %err, "could not claim the ladder step's slack alert");
        }
    }
    taken.unwrap_or(Outcome::Done)
}

/// Takes the check's step unless sales got there first; `None` when it was not taken.
async fn step(
    run: &Run<'_>,
    check: &SlaCheck,
    row: &HandoffRow,
    (seen, touched): (&touch::Observed, bool),
    attempts: i64,
) -> Option<Outcome> {
    let outcome = match check.action {
        SlaAction::CloseLoop if seen.disposition.is_some() || row.disposition.is_some() => {
            return None;
        }
        SlaAction::CloseLoop => escalate(run, row, check, "no disposition", attempts).await,
        _ if touched => return None,
        SlaAction::Remind => remind(run, row, check, attempts).await,
        SlaAction::Escalate => escalate(run, row, check, "SLA missed", attempts).await,
        SlaAction::Reassign => reassign(run, row, check, false, attempts).await,
        SlaAction::FallbackQueue => reassign(run, row, check, true, attempts).await,
    };
    Some(outcome)
}

/// Reads the contact (and, for a ladder step, its task: a completed task is a touch too) and
/// records what it shows; whether the lead has been touched. `Err`: how the check ends instead
/// (the contact is gone, or could not be read).
async fn look(
    run: &Run<'_>,
    check: &SlaCheck,
    row: &HandoffRow,
) -> Result<(touch::Observed, bool), Outcome> {
    let now = run.now_ms();
    let props = run.contact_properties();
    let props: Vec<&str> = props.iter().map(String::as_str).collect();
    let c = match run
        .crm
        .get_contact(row.portal_id, row.contact_id, &props)
        .await
    {
        Ok(c) => engine::Contact {
            id: row.contact_id,
            properties: c.properties,
            company: None,
            event: None,
        },
        Err(e) if e.is_not_found() => return Err(Outcome::Done),
        Err(e) => return Err(run.outcome_of(&e)),
    };
    let settings = touch::Settings::of(run.settings);
    let mut seen = touch::observe(&c, row, &run.rules.playbook, &settings, None, now);
    if check.action != SlaAction::CloseLoop
        && seen.touched_at_ms.is_none()
        && task_completed(run, row).await
    {
        seen.touched_at_ms = Some(now);
    }
    let touched = apply_observed(run, row, &seen, now).await;
    let touched_at = row.first_touch_at_ms.or(seen.touched_at_ms);
    if touched && breach::overdue_check_counts(row, check.step, touched_at) {
        breach::count(&run.metrics.pipeline, row);
    }
    Ok((seen, touched))
}

/// The handoff's task is completed in HubSpot.
async fn task_completed(run: &Run<'_>, row: &HandoffRow) -> bool {
    let Some(task_id) = row.task_id else {
        return false;
    };
    let tasks = run.crm.batch_read_tasks(row.portal_id, &[task_id]).await;
    tasks
        .into_iter()
        .next()
        .and_then(|i| i.result.ok())
        .is_some_and(|task| task.status.as_deref() == Some("COMPLETED"))
}

/// A step taken on an untouched lead: counted, and if it is the first step past the due time,
/// the SLA breach too (after the step succeeded, so a retried check counts once).
fn counted(run: &Run<'_>, row: &HandoffRow, check: &SlaCheck) {
    let action = check.action;
    if breach::overdue_check_counts(row, check.step, None) {
        breach::count(&run.metrics.pipeline, row);
    }
    run.metrics
        .pipeline
        .sla_actions
        .get_or_create(&crate::metrics::pipeline::ActionLabel {
            action: action.as_str(),
        })
        .inc();
    tracing::warn!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), owner_id = %row.owner_id, owner_name = %run.owner_name(row.owner_id), action = action.as_str(), "SLA step taken");
}

/// Creates one extra task (reminder, escalation); its trace id is derived from the check so a
/// rerun of the same check is recognisable in HubSpot.
async fn extra_task(
    run: &Run<'_>,
    row: &HandoffRow,
    check: &SlaCheck,
    owner: Option<&str>,
    subject: String,
    attempts: i64,
) -> Result<(), Outcome> {
    let due = run.clock.now();
    let mut task = NewTask::new(row.contact_id, subject, due);
    task.trace_id = format!("{}s{}{}", row.trace_id, check.step, check.action.as_str());
    task.owner_id = owner.and_then(|o| o.parse::<OwnerId>().ok());
    task.priority = Some("HIGH".into());
    task.body = Some(format!("[{}]", marker(&task.trace_id.replace('_', ""))));
    let result = run.crm.create_tasks(row.portal_id, vec![task]).await;
    match result.into_iter().next().map(|i| i.result) {
        Some(Ok(_)) => {
            run.metrics.pipeline.tasks_created.inc();
            Ok(())
        }
        Some(Err(e)) => Err(steps::item_outcome(run, &e, attempts, "escalation task")),
        None => Err(run.retry_later(attempts, "task create gave no result")),
    }
}

async fn remind(run: &Run<'_>, row: &HandoffRow, check: &SlaCheck, attempts: i64) -> Outcome {
    let subject = format!("Reminder: first touch due soon — {}", subject_of(row));
    if let Err(o) = extra_task(
        run,
        row,
        check,
        Some(&row.owner_id.to_string()),
        subject,
        attempts,
    )
    .await
    {
        return o;
    }
    counted(run, row, check);
    Outcome::Done
}

async fn escalate(
    run: &Run<'_>,
    row: &HandoffRow,
    check: &SlaCheck,
    why: &str,
    attempts: i64,
) -> Outcome {
    // A manager may be named by email (an owner given by email alone): the live roster has
    // the id HubSpot resolved for it.
    let roster = live_roster(run, row.portal_id).await;
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
    if let Err(o) = extra_task(run, row, check, manager.as_deref(), subject, attempts).await {
        return o;
    }
    if let Err(err) = run
        .store
        .ledger()
        .note_escalation(row.id, run.now_ms())
        .await
    {
        return run.retry_later(attempts, err.to_string());
    }
    counted(run, row, check);
    Outcome::Done
}

/// Counts the missed deadline of a ladder that ends without a new owner.
fn count_breach(run: &Run<'_>, row: &HandoffRow, check: &SlaCheck) {
    if breach::overdue_check_counts(row, check.step, None) {
        breach::count(&run.metrics.pipeline, row);
    }
}

/// Hands the lead to the next eligible owner (or the fallback queue) with a new task and SLA.
async fn reassign(
    run: &Run<'_>,
    row: &HandoffRow,
    check: &SlaCheck,
    fallback: bool,
    attempts: i64,
) -> Outcome {
    let now = run.clock.now();
    let trigger = format!("sla.{}", check.action.as_str());
    let change = match decide_again(run, row, trigger, fallback, attempts, now).await {
        Ok(Next::Reassign(change)) => change,
        Ok(Next::NoOwnerId) => {
            // Nobody to hand the lead to (the fallback queue owner, or the whole chain, has
            // no HubSpot owner id): it stays with its owner rather than go to an email.
            count_breach(run, row, check);
            tracing::warn!(
                portal_id = row.portal_id.get(),
                contact_id = row.contact_id.get(),
                owner_id = %row.owner_id,
                "no owner id to reassign the lead to; it stays with its owner (see handoff doctor)"
            );
            return Outcome::Done;
        }
        Ok(Next::NotReady) => {
            // The lead is no longer ready (or was disqualified): the ladder ends here, the
            // deadline was missed all the same.
            count_breach(run, row, check);
            tracing::info!(
                portal_id = row.portal_id.get(),
                contact_id = row.contact_id.get(),
                "lead no longer ready; SLA ladder ended"
            );
            return Outcome::Done;
        }
        Err(outcome) => return outcome,
    };
    let ledger = run.store.ledger();
    if let Err(err) = ledger.reassign(row.id, &change, now.as_millisecond()).await {
        return run.retry_later(attempts, err.to_string());
    }
    counted(run, row, check);
    tracing::info!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), from = %row.owner_id, from_name = %run.owner_name(row.owner_id), to = %change.owner_id, to_name = %run.owner_name(change.owner_id), "lead reassigned after a missed SLA");
    resume(run, row.id, attempts).await
}

/// Runs the handoff's remaining steps (write owner, task, ladder) now.
pub(crate) async fn resume(run: &Run<'_>, handoff_id: i64, attempts: i64) -> Outcome {
    let row = match run.store.ledger().handoff(handoff_id).await {
        Ok(Some(row)) => row,
        Ok(None) => return Outcome::Done,
        Err(err) => return run.retry_later(attempts, err.to_string()),
    };
    if row.step == Step::SlaScheduled {
        return Outcome::Done;
    }
    // One contact: its lines go in the check's span (`trace::sla_check`).
    let each = Contacts::default();
    let b = PortalRun {
        run,
        portal_id: row.portal_id,
        each: &each,
        attempts,
    };
    let failures = steps::advance(&b, vec![row]).await;
    match failures.into_values().next() {
        // The SLA job is finished, but the handoff must still complete: its steps resume
        // from the ledger on the contact's next event or check.
        Some(outcome) => outcome,
        None => Outcome::Done,
    }
}
