//! The alerts lane's job of sending one alert: read the claimed row, check the lead still
//! warrants it, find who it reaches (`address.rs`), mark the post in flight, post, and record
//! the message's channel and `ts` — or why it was retried, given up or skipped. A row found
//! with a post still in flight was interrupted with its outcome unknown and is given up, so no
//! alert is ever posted twice (`chat.postMessage` has no idempotency key).

use handoff_slack::client::{PostMessage, SlackError};

use super::super::{Pipeline, Run};
use super::address::{self, Post};
use super::claim::{ASSIGNMENT, ESCALATION, REPING};
use super::retry::{self, Next};
use super::{SlackAlerts, people};
use crate::jobs::SlackAlertJob;
use crate::metrics::slack::{AlertLabel, ReasonLabel};
use crate::store::ledger::HandoffRow;
use crate::store::queue::Outcome;
use crate::store::slack::AlertRow;

/// Runs one alert job; its outcome finishes the job.
pub(crate) async fn run(p: &Pipeline, job: SlackAlertJob, attempts: i64) -> Outcome {
    let run = p.run();
    let alert = match run.store.slack().alert_by_id(job.alert_id).await {
        Ok(Some(alert)) if alert.state == "pending" => alert,
        Ok(_) => return Outcome::Done,
        Err(err) => return run.retry_later(attempts, err.to_string()),
    };
    let Some(slack) = run.slack else {
        return settle(&run, &alert, "skipped", "alerts_off").await;
    };
    if alert.sending_at_ms.is_some() {
        return settle(&run, &alert, "failed", "unknown_outcome").await;
    }
    let ledger = run.store.ledger();
    let row = match ledger.handoff_of(alert.portal_id, alert.contact_id).await {
        Ok(Some(row)) => row,
        Ok(None) => return settle(&run, &alert, "skipped", "lead_gone").await,
        Err(err) => return run.retry_later(attempts, err.to_string()),
    };
    if let Some(why) = moved_on(&alert, &row) {
        return settle(&run, &alert, "skipped", why).await;
    }
    match address::address(&run, slack, &alert, &row).await {
        Ok(Ok(post)) => deliver(&run, slack, &alert, post, attempts).await,
        Ok(Err(why)) => settle(&run, &alert, "skipped", why).await,
        Err(people::Unsettled::Slack(e)) => failed(&run, &alert, &e, attempts).await,
        Err(people::Unsettled::Store(e)) => run.retry_later(attempts, e),
    }
}

/// Why the lead no longer warrants this alert: sales acted on it, it closed, or (for the
/// owner's own alerts) it went to someone else first.
fn moved_on(alert: &AlertRow, row: &HandoffRow) -> Option<&'static str> {
    let own = matches!(alert.kind.as_str(), ASSIGNMENT | REPING);
    if row.status != "open" {
        Some("lead_closed")
    } else if own && row.reassignments != alert.version {
        Some("reassigned")
    } else if matches!(alert.kind.as_str(), ASSIGNMENT | REPING | ESCALATION)
        && row.first_touch_at_ms.is_some()
    {
        Some("lead_touched")
    } else {
        None
    }
}

/// Marks the post in flight, posts, and records what came of it.
async fn deliver(
    run: &Run<'_>,
    slack: &SlackAlerts,
    alert: &AlertRow,
    post: Post,
    attempts: i64,
) -> Outcome {
    let now = run.now_ms();
    let recipient = post.recipient.as_ref().map(|u| u.as_str());
    match run
        .store
        .slack()
        .alert_sending(alert.id, recipient, now)
        .await
    {
        Ok(true) => {}
        Ok(false) => return Outcome::Done,
        Err(err) => return run.retry_later(attempts, err.to_string()),
    }
    let sent = slack
        .client
        .post_message(&PostMessage {
            channel: &post.to,
            message: &post.message,
            thread_ts: post.thread_ts.as_ref(),
            reply_broadcast: false,
        })
        .await;
    match sent {
        Ok(posted) => {
            let thread = post.thread_ts.as_ref().map(|t| t.as_str());
            let at = (posted.channel.as_str(), posted.ts.as_str(), thread);
            let now = run.now_ms();
            if let Err(err) = run.store.slack().alert_sent(alert.id, at, now).await {
                // Posted: the row keeps its in-flight mark, and the retry gives it up rather
                // than post again.
                return run.retry_later(attempts, err.to_string());
            }
            count(run, alert, "sent");
            tracing::info!(portal_id = alert.portal_id.get(), contact_id = alert.contact_id.get(), kind = %alert.kind, "slack alert sent");
            Outcome::Done
        }
        Err(e) if retry::maybe_posted(&e) => {
            let why = format!("unknown_outcome ({})", e.code());
            settle(run, alert, "failed", &why).await
        }
        Err(e) => {
            if let (SlackError::NoUser { .. }, Some(user)) = (&e, &post.user) {
                people::forget(run, user).await;
            }
            failed(run, alert, &e, attempts).await
        }
    }
}

/// A try that posted nothing: retried on the lane's schedule, or given up with its reason. A
/// user Slack no longer knows is retried at once: the next try goes to the team channel.
async fn failed(run: &Run<'_>, alert: &AlertRow, e: &SlackError, attempts: i64) -> Outcome {
    let now = run.now_ms();
    let next = match e {
        SlackError::NoUser { .. } if attempts < retry::MAX_TRIES => Next::RetryAt(now),
        _ => retry::after(e, attempts, alert.created_at_ms, now),
    };
    let slack = run.store.slack();
    match next {
        Next::RetryAt(at_ms) => {
            let _ = slack
                .alert_attempt_failed(alert.id, e.code(), Some(at_ms), now)
                .await;
            count(run, alert, "retry");
            tracing::info!(portal_id = alert.portal_id.get(), contact_id = alert.contact_id.get(), kind = %alert.kind, error.code = e.code(), error.class = e.class(), "slack alert failed; retrying");
            Outcome::Retry {
                at_ms,
                error: format!("slack {}: {e}", e.class()),
            }
        }
        Next::GiveUp(reason) => {
            let _ = slack
                .alert_attempt_failed(alert.id, &reason, None, now)
                .await;
            gave_up(run, alert, "failed", &reason);
            Outcome::Done
        }
    }
}

/// Settles the alert without posting (`failed` or `skipped`, with why).
async fn settle(run: &Run<'_>, alert: &AlertRow, state: &'static str, why: &str) -> Outcome {
    let now = run.now_ms();
    match run
        .store
        .slack()
        .alert_settled(alert.id, state, why, now)
        .await
    {
        Ok(true) => gave_up(run, alert, state, why),
        Ok(false) => {}
        Err(err) => return run.retry_later(1, err.to_string()),
    }
    Outcome::Done
}

fn gave_up(run: &Run<'_>, alert: &AlertRow, state: &'static str, why: &str) {
    count(run, alert, state);
    run.metrics
        .slack
        .alerts_given_up
        .get_or_create(&ReasonLabel {
            reason: why.split(' ').next().unwrap_or(why).to_owned(),
        })
        .inc();
    if state == "failed" {
        tracing::warn!(portal_id = alert.portal_id.get(), contact_id = alert.contact_id.get(), kind = %alert.kind, reason = why, "slack alert given up");
    } else {
        tracing::info!(portal_id = alert.portal_id.get(), contact_id = alert.contact_id.get(), kind = %alert.kind, reason = why, "slack alert skipped");
    }
}

fn count(run: &Run<'_>, alert: &AlertRow, outcome: &'static str) {
    run.metrics
        .slack
        .alerts
        .get_or_create(&AlertLabel {
            kind: alert.kind.clone(),
            outcome,
        })
        .inc();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(kind: &str, version: i64) -> AlertRow {
        AlertRow {
            id: 1,
            portal_id: handoff_ids::PortalId::new(62515).unwrap(),
            contact_id: handoff_ids::ContactId::new(7).unwrap(),
            version,
            step: "assigned".into(),
            kind: kind.into(),
            channel: None,
            ts: None,
            thread_ts: None,
            recipient: None,
            state: "pending".into(),
            attempts: 0,
            last_error: None,
            next_attempt_at_ms: Some(0),
            sending_at_ms: None,
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn an_alert_is_skipped_once_the_lead_moved_on_and_only_then() {
        let open = HandoffRow::example();
        for kind in ["assignment", "reping", "escalation", "channel"] {
            assert_eq!(
                moved_on(&alert(kind, open.reassignments), &open),
                None,
                "{kind}"
            );
        }
        let closed = HandoffRow {
            status: "closed".into(),
            ..HandoffRow::example()
        };
        assert_eq!(moved_on(&alert("channel", 0), &closed), Some("lead_closed"));
        // The owner's own alerts are about one assignment; a channel post is about the lead.
        let later = open.reassignments + 1;
        assert_eq!(
            moved_on(&alert("assignment", later), &open),
            Some("reassigned")
        );
        assert_eq!(moved_on(&alert("reping", later), &open), Some("reassigned"));
        assert_eq!(moved_on(&alert("channel", later), &open), None);
        // A touch ends the owner's and the manager's alerts, not the team channel's notice.
        let touched = HandoffRow {
            first_touch_at_ms: Some(1),
            ..HandoffRow::example()
        };
        let v = touched.reassignments;
        assert_eq!(
            moved_on(&alert("escalation", v), &touched),
            Some("lead_touched")
        );
        assert_eq!(moved_on(&alert("channel", v), &touched), None);
    }
}
