//! What an applied click shows, after the ledger changed: the disposition written to HubSpot
//! the way the playbook maps it (its first rule for that outcome: the status value, and the
//! reason into the rule's `reason_property`), a reassigned lead's steps resumed (new owner,
//! task, ladder and the new owner's alert), the alert updated in place (`chat.update`) to say
//! who did what and when — or, for a click that changed nothing, an answer in the alert's
//! thread to the person who clicked. All of it may run again on a retry and is the same twice.

use std::collections::BTreeMap;

use handoff_slack::blocks::{self, Act, ActKind, Alert, FallbackWhy};
use handoff_slack::client::SlackError;
use handoff_slack::ids::{ChannelId, Conversation, MessageTs};

use super::super::Run;
use super::claim::{ASSIGNMENT, CHANNEL, ESCALATION};
use super::clicks::clicker;
use super::retry::{self, Next};
use super::{SlackAlerts, lead};
use crate::engine::playbook::DispositionOutcome;
use crate::hubspot::client::ContactUpdate;
use crate::metrics::pipeline::OutcomeLabel;
use crate::store::ledger::HandoffRow;
use crate::store::queue::Outcome;
use crate::store::slack::{AlertRow, ClickRow};

/// Counts a disposition given in Slack, and the first touch it is when the lead had none.
pub(super) fn counted(run: &Run<'_>, row: &HandoffRow, outcome: &'static str, now_ms: i64) {
    let metrics = &run.metrics.pipeline;
    metrics
        .dispositions
        .get_or_create(&OutcomeLabel {
            outcome: outcome.into(),
        })
        .inc();
    if row.first_touch_at_ms.is_none() {
        let met = row.sla_due_at_ms.is_none_or(|due| now_ms <= due);
        let label = if met { "met" } else { "missed" };
        metrics
            .touches
            .get_or_create(&OutcomeLabel {
                outcome: label.into(),
            })
            .inc();
        if crate::worker::pipeline::breach::late_touch_counts(row, now_ms) {
            crate::worker::pipeline::breach::count(metrics, row);
        }
    }
}

/// Shows what the click did (or why it did nothing); how the job ends.
pub(super) async fn show(
    run: &Run<'_>,
    slack: &SlackAlerts,
    click: &ClickRow,
    outcome: &str,
    attempts: i64,
) -> Outcome {
    let row = match run
        .store
        .ledger()
        .handoff_of(click.portal_id, click.contact_id)
        .await
    {
        Ok(row) => row,
        Err(err) => return run.retry_later(attempts, err.to_string()),
    };
    let done = match (outcome, &row) {
        ("accepted", Some(row)) => {
            let status = (DispositionOutcome::Accepted, None);
            write_disposition(run, row, status, attempts).await
        }
        ("not_a_fit", Some(row)) => {
            let status = (DispositionOutcome::Disqualified, click.reason.as_deref());
            write_disposition(run, row, status, attempts).await
        }
        ("reassigned", Some(row)) => match super::super::sla::resume(run, row.id, attempts).await {
            Outcome::Done => Ok(()),
            other => Err(other),
        },
        _ => Ok(()),
    };
    if let Err(outcome) = done {
        return outcome;
    }
    let Some(row) = row else {
        return Outcome::Done;
    };
    let answer = match applied_as(outcome, click, run) {
        Some(what) => update(run, slack, click, &row, what).await,
        None => refuse(slack, click, &row, outcome).await,
    };
    match answer {
        Ok(()) => Outcome::Done,
        Err(e) => after_slack_error(run, click, &e, attempts),
    }
}

/// The "acted" line of an applied click; `None` for a click that changed nothing.
fn applied_as(outcome: &str, click: &ClickRow, run: &Run<'_>) -> Option<ActKind> {
    match outcome {
        "accepted" => Some(ActKind::Accepted),
        "not_a_fit" => {
            let reasons = SlackAlerts::reasons(&run.rules.playbook);
            let value = click.reason.clone().unwrap_or_default();
            let reason = reasons
                .label_of(&value)
                .map_or(value.clone(), str::to_owned);
            Some(ActKind::NotAFit { reason })
        }
        "reassigned" => Some(ActKind::Reassigned),
        _ => None,
    }
}

/// Writes a disposition given in Slack to HubSpot: the contact's status, and the stage of the
/// handoff's Lead when the playbook creates leads.
async fn write_disposition(
    run: &Run<'_>,
    row: &HandoffRow,
    status: (DispositionOutcome, Option<&str>),
    attempts: i64,
) -> Result<(), Outcome> {
    write_status(run, row, status, attempts).await?;
    super::lead_stage::move_lead(run, row, status, attempts).await
}

/// Writes the playbook's status for `outcome` to the contact (and the reason, when its rule
/// keeps one). A refusal HubSpot will not change is logged and left: the ledger has the
/// disposition either way.
async fn write_status(
    run: &Run<'_>,
    row: &HandoffRow,
    (outcome, reason): (DispositionOutcome, Option<&str>),
    attempts: i64,
) -> Result<(), Outcome> {
    let properties = status_properties(&run.rules.playbook, outcome, reason);
    if properties.is_empty() {
        return Ok(());
    }
    let update = ContactUpdate {
        id: row.contact_id,
        properties,
    };
    let results = run
        .crm
        .batch_update_contacts(row.portal_id, vec![update])
        .await;
    let Some(Err(e)) = results.into_iter().next().map(|i| i.result) else {
        return Ok(());
    };
    let what = "disposition status";
    match crate::worker::pipeline::steps::item_outcome(run, &e, attempts, what) {
        Outcome::Dead { reason } => {
            tracing::warn!(portal_id = row.portal_id.get(), contact_id = row.contact_id.get(), error = %reason, "HubSpot refused the status of a disposition given in Slack; the disposition stands in handoff");
            Ok(())
        }
        retry => Err(retry),
    }
}

/// The contact properties the playbook's first rule for `outcome` maps to it.
pub(super) fn status_properties(
    playbook: &crate::engine::Playbook,
    outcome: DispositionOutcome,
    reason: Option<&str>,
) -> BTreeMap<String, String> {
    let mut props = BTreeMap::new();
    let rules = &playbook.doc.dispositions.map;
    let Some(rule) = rules.iter().find(|r| r.outcome == outcome) else {
        return props;
    };
    if let Some(value) = rule.values.first() {
        props.insert(rule.property.clone(), value.clone());
    }
    if let (Some(property), Some(reason)) = (&rule.reason_property, reason) {
        props.insert(property.clone(), reason.to_owned());
    }
    props
}

/// `chat.update` of the clicked alert: the lead, and who did what and when.
async fn update(
    run: &Run<'_>,
    slack: &SlackAlerts,
    click: &ClickRow,
    row: &HandoffRow,
    what: ActKind,
) -> Result<(), SlackError> {
    let Some((channel, ts, by)) = clicked_message(click) else {
        return Ok(());
    };
    let clicked = run
        .store
        .slack()
        .alert_at(&click.channel_id, &click.message_ts)
        .await;
    let kind = kind_of(clicked.ok().flatten().as_ref());
    let at = run.clock.now();
    let message = blocks::acted(&lead::lead(slack, row), &kind, &Act { by, at, what });
    slack
        .client
        .update_message(&channel, &ts, &message)
        .await
        .map(drop)
}

/// Where the click was (the message's conversation and `ts`) and who clicked, as Slack's ids.
fn clicked_message(click: &ClickRow) -> Option<(ChannelId, MessageTs, handoff_slack::ids::UserId)> {
    Some((
        ChannelId::parse(&click.channel_id).ok()?,
        MessageTs::parse(&click.message_ts).ok()?,
        clicker(click)?,
    ))
}

/// The alert kind to draw the update with, as the clicked alert was sent.
fn kind_of(alert: Option<&AlertRow>) -> Alert {
    match alert.map(|a| a.kind.as_str()) {
        Some(ESCALATION) => Alert::Escalation { owner: None },
        Some(CHANNEL) => Alert::ChannelFallback(FallbackWhy::FallbackQueue),
        Some(ASSIGNMENT) | Some(_) | None => Alert::Assignment,
    }
}

/// Answers a click that changed nothing, in the alert's thread, to whoever clicked.
async fn refuse(
    slack: &SlackAlerts,
    click: &ClickRow,
    row: &HandoffRow,
    outcome: &str,
) -> Result<(), SlackError> {
    let Some(why) = refusal_text(outcome) else {
        return Ok(());
    };
    let Some((channel, ts, by)) = clicked_message(click) else {
        return Ok(());
    };
    let message = blocks::refused(&lead::lead(slack, row), &by, why);
    let post = handoff_slack::client::PostMessage {
        channel: &Conversation::from(channel),
        message: &message,
        thread_ts: Some(&ts),
        reply_broadcast: false,
    };
    slack.client.post_message(&post).await.map(drop)
}

/// What a person reads when their click changed nothing.
pub(super) fn refusal_text(outcome: &str) -> Option<&'static str> {
    Some(match outcome {
        "stale" => "This lead was reassigned after this alert was sent.",
        "already_closed" => "This lead already has a disposition.",
        "not_owner" => "Only the lead's owner or their manager can act on it.",
        "unknown_reason" => "That reason is not one the playbook offers.",
        "unknown_lead" => "handoff no longer has this lead.",
        "not_ready" => "The lead is no longer ready for sales, so it was not reassigned.",
        "no_owner_to_reassign_to" => "There is no other owner to hand this lead to.",
        _ => return None,
    })
}

/// A Slack failure while showing a click: retried on the lane's schedule (the click stays
/// applied), or given up (counted); a reply Slack may have posted is not posted again.
fn after_slack_error(run: &Run<'_>, click: &ClickRow, e: &SlackError, attempts: i64) -> Outcome {
    let now = run.now_ms();
    let next = if retry::maybe_posted(e) {
        Next::GiveUp(e.code().to_owned())
    } else {
        retry::after(e, attempts, click.received_at_ms, now)
    };
    match next {
        Next::RetryAt(at_ms) => Outcome::Retry {
            at_ms,
            error: format!("slack {}: {e}", e.class()),
        },
        Next::GiveUp(code) => {
            run.metrics.slack.updates_failed.inc();
            tracing::warn!(portal_id = click.portal_id.get(), contact_id = click.contact_id.get(), error.code = %code, "could not show a click's result in Slack; the click is applied");
            Outcome::Done
        }
    }
}
