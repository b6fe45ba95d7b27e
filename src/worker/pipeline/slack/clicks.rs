//! The alerts lane's job of applying one click (stored by `POST /slack/interactions` before its
//! 200): judge it against the lead as it is now, change the ledger in one transaction with the
//! click's outcome, then show the result (`click_effects.rs`). **Accept** records the accepted
//! disposition and the first touch and ends the ladder; **Not a fit** the disqualified
//! disposition with the reason picked; **Reassign** the ladder's reassignment, now. A second
//! click, a click on an earlier assignment of the lead, or one from someone who may not act on
//! it changes nothing and is answered in the alert's thread.
//!
//! Who may act: the lead's owner (their Slack user, as last looked up), or their team's manager
//! (on an escalation, or on a team-channel alert about an owner without Slack). A click is applied at most once: its outcome is recorded
//! with the change, so a retry after a crash only finishes showing it.

use handoff_slack::ids::UserId;

use super::super::reassign::{Next, decide_again};
use super::super::{Pipeline, Run};
use super::{SlackAlerts, click_effects, people};
use crate::jobs::SlackClickJob;
use crate::metrics::slack::ClickLabel;
use crate::store::ledger::{ClickDisposition, HandoffRow};
use crate::store::queue::Outcome;
use crate::store::slack::ClickRow;

/// Why a click changed nothing (the click's recorded outcome), or what it will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Apply,
    Refuse(&'static str),
}

/// The reason a Slack **Accept** records.
pub(super) const ACCEPTED_REASON: &str = "accepted in Slack";

/// Runs one click job; its outcome finishes the job.
pub(crate) async fn run(p: &Pipeline, job: SlackClickJob, attempts: i64) -> Outcome {
    let run = p.run();
    let click = match run.store.slack().click(job.click_id).await {
        Ok(Some(click)) => click,
        Ok(None) => return Outcome::Done,
        Err(err) => return run.retry_later(attempts, err.to_string()),
    };
    let Some(slack) = run.slack else {
        let _ = run
            .store
            .slack()
            .click_applied(click.id, "alerts_off", run.now_ms())
            .await;
        return Outcome::Done;
    };
    if let Some(outcome) = click.outcome.clone() {
        // Applied before this try (a retry): only the showing is left.
        return click_effects::show(&run, slack, &click, &outcome, attempts).await;
    }
    let row = match run
        .store
        .ledger()
        .handoff_of(click.portal_id, click.contact_id)
        .await
    {
        Ok(row) => row,
        Err(err) => return run.retry_later(attempts, err.to_string()),
    };
    let verdict = match judge((&run, slack), &click, row.as_ref()).await {
        Ok(v) => v,
        Err(err) => return run.retry_later(attempts, err),
    };
    let outcome = match (verdict, row) {
        (Verdict::Apply, Some(row)) => match apply(&run, &click, &row, attempts).await {
            Ok(outcome) => outcome,
            Err(retry) => return retry,
        },
        (Verdict::Refuse(why), _) => why,
        (Verdict::Apply, None) => "unknown_lead",
    };
    if click.action != "reassign" || outcome != "reassigned" {
        // A reassignment recorded its outcome with the change; the others record it here.
        let _ = run
            .store
            .slack()
            .click_applied(click.id, outcome, run.now_ms())
            .await;
    }
    count(&run, &click, outcome);
    tracing::info!(portal_id = click.portal_id.get(), contact_id = click.contact_id.get(), action = %click.action, outcome, "slack click applied");
    click_effects::show(&run, slack, &click, outcome, attempts).await
}

/// Whether the click may change the lead as it is now.
async fn judge(
    (run, alerts): (&Run<'_>, &SlackAlerts),
    click: &ClickRow,
    row: Option<&HandoffRow>,
) -> Result<Verdict, String> {
    let Some(row) = row else {
        return Ok(Verdict::Refuse("unknown_lead"));
    };
    if click.version != row.reassignments {
        return Ok(Verdict::Refuse("stale"));
    }
    if row.status != "open" || row.disposition.is_some() {
        return Ok(Verdict::Refuse("already_closed"));
    }
    if click.action == "not_a_fit" {
        let reasons = SlackAlerts::reasons(&run.rules.playbook);
        let known = click.reason.as_deref().and_then(|r| reasons.label_of(r));
        if known.is_none() {
            return Ok(Verdict::Refuse("unknown_reason"));
        }
    }
    let slack = run.store.slack();
    let owner = slack
        .user(row.portal_id, row.owner_id)
        .await
        .map_err(|e| e.to_string())?;
    if owner.is_some_and(|u| u.slack_user_id == click.user_id) {
        return Ok(Verdict::Apply);
    }
    // The team's manager may act for the owner: on an escalation, or on a team-channel alert
    // about an owner without Slack.
    let Some(manager) = people::manager_of(run, row).await else {
        return Ok(Verdict::Refuse("not_owner"));
    };
    let manager = match people::slack_user(run, alerts, row.portal_id, manager).await {
        Ok(user) => user,
        Err(people::Unsettled::Slack(e)) => return Err(e.to_string()),
        Err(people::Unsettled::Store(e)) => return Err(e),
    };
    if manager.is_some_and(|u| u.slack_user_id == click.user_id) {
        return Ok(Verdict::Apply);
    }
    Ok(Verdict::Refuse("not_owner"))
}

/// Applies a judged click; the outcome recorded, or how the job ends instead.
async fn apply(
    run: &Run<'_>,
    click: &ClickRow,
    row: &HandoffRow,
    attempts: i64,
) -> Result<&'static str, Outcome> {
    let now = run.now_ms();
    let (outcome, reason, click_outcome) = match click.action.as_str() {
        "accept" => ("accepted", Some(ACCEPTED_REASON), "accepted"),
        "not_a_fit" => ("disqualified", click.reason.as_deref(), "not_a_fit"),
        "reassign" => return reassign(run, click, row, attempts).await,
        _ => return Ok("unknown_action"),
    };
    let change = ClickDisposition {
        handoff_id: row.id,
        lead: (row.portal_id, row.contact_id),
        version: click.version,
        click_id: click.id,
        outcome,
        reason,
        click_outcome,
        now_ms: now,
    };
    match run.store.ledger().click_disposition(&change).await {
        Ok(true) => {
            click_effects::counted(run, row, outcome, now);
            Ok(click_outcome)
        }
        // The lead changed between the judging and the change (an SLA step, a HubSpot status).
        Ok(false) => Ok("already_closed"),
        Err(err) => Err(run.retry_later(attempts, err.to_string())),
    }
}

/// Decides the lead again, never for its owner, and hands it over if it is still the clicked
/// assignment.
async fn reassign(
    run: &Run<'_>,
    click: &ClickRow,
    row: &HandoffRow,
    attempts: i64,
) -> Result<&'static str, Outcome> {
    let now = run.clock.now();
    let trigger = "slack.reassign".to_owned();
    let change = match decide_again(run, row, trigger, false, attempts, now).await? {
        Next::Reassign(change) => change,
        Next::NotReady => return Ok("not_ready"),
        Next::NoOwnerId => return Ok("no_owner_to_reassign_to"),
    };
    let ledger = run.store.ledger();
    let at = (row.id, click.version, click.id);
    match ledger
        .click_reassign(at, &change, now.as_millisecond())
        .await
    {
        Ok(true) => {
            tracing::info!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), from = %row.owner_id, to = %change.owner_id, "lead reassigned from Slack");
            Ok("reassigned")
        }
        Ok(false) => Ok("already_closed"),
        Err(err) => Err(run.retry_later(attempts, err.to_string())),
    }
}

fn count(run: &Run<'_>, click: &ClickRow, outcome: &'static str) {
    run.metrics
        .slack
        .clicks_applied
        .get_or_create(&ClickLabel {
            action: click.action.clone(),
            outcome,
        })
        .inc();
}

/// The Slack user who clicked, as Slack's id.
pub(super) fn clicker(click: &ClickRow) -> Option<UserId> {
    UserId::parse(&click.user_id).ok()
}
