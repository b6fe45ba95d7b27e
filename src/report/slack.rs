//! The Slack alerts' figures of a period (issue #18): alerts sent, failed (and why) and still
//! pending, and what the clicks on their buttons did. Pure: built from the store's counts
//! (`Kpis::slack_counts`). Slack alerts are optional per portal: where they were never used
//! (no alert, no click, no handoff accepted in Slack) there are no figures at all, so the
//! scoreboard and the review say nothing about Slack.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::ledger::SlackCounts;

/// A reason or outcome with how often it occurred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeCount {
    pub code: String,
    pub count: u64,
}

/// What a failed alert without a recorded reason is shown as.
pub(crate) const NO_REASON: &str = "(none)";

/// Alerts created and clicks received in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SlackAlerts {
    pub alerts_sent: u64,
    /// Given up: retried until the lane stopped, or refused for good.
    pub alerts_failed: u64,
    /// Due or being retried.
    pub alerts_pending: u64,
    /// Why the failed ones failed (Slack's error code or handoff's own), most first.
    pub failed_by_reason: Vec<CodeCount>,
    /// **Accept** clicks that accepted the lead.
    pub accept_clicks: u64,
    /// **Not a fit** clicks that set that disposition.
    pub not_a_fit_clicks: u64,
    /// **Reassign** clicks that reassigned the lead.
    pub reassign_clicks: u64,
    /// Clicks applied with another outcome (a second click, a lead since reassigned or
    /// closed, someone other than the owner): answered and changed nothing.
    pub clicks_refused: u64,
    /// The refused clicks by outcome, most first.
    pub refused_by_outcome: Vec<CodeCount>,
    /// Stored but not applied by the worker yet.
    pub clicks_unapplied: u64,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl SlackAlerts {
    /// The figures of `counts`; `None` when Slack alerts were never used: no alert or click
    /// ever, and no handoff of the period accepted in Slack (`accepted_in_slack`).
    pub(crate) fn of(counts: &SlackCounts, accepted_in_slack: bool) -> Option<Self> {
        if !counts.ever && !accepted_in_slack {
            return None;
        }
        let mut out = Self::default();
        let mut failed: BTreeMap<&str, u64> = BTreeMap::new();
        for (state, reason, n) in &counts.alerts {
            let n = count(*n);
            match state.as_str() {
                "sent" => out.alerts_sent += n,
                "failed" => {
                    out.alerts_failed += n;
                    *failed
                        .entry(reason.as_deref().unwrap_or(NO_REASON))
                        .or_default() += n;
                }
                _ => out.alerts_pending += n,
            }
        }
        let mut refused: BTreeMap<&str, u64> = BTreeMap::new();
        for (action, outcome, n) in &counts.clicks {
            let n = count(*n);
            let Some(outcome) = outcome.as_deref() else {
                out.clicks_unapplied += n;
                continue;
            };
            // Each action counts as done only with the outcome that says it changed the lead.
            match (action.as_str(), outcome) {
                ("accept", "accepted") => out.accept_clicks += n,
                ("not_a_fit", "not_a_fit") => out.not_a_fit_clicks += n,
                ("reassign", "reassigned") => out.reassign_clicks += n,
                _ => {
                    out.clicks_refused += n;
                    *refused.entry(outcome).or_default() += n;
                }
            }
        }
        out.failed_by_reason = most_first(failed);
        out.refused_by_outcome = most_first(refused);
        Some(out)
    }
}

/// Most first, ties by code.
fn most_first(by: BTreeMap<&str, u64>) -> Vec<CodeCount> {
    let mut out: Vec<CodeCount> = by
        .into_iter()
        .map(|(code, count)| CodeCount {
            code: code.to_owned(),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    out
}

/// `channel_not_found 3, invalid_auth 1 and 2 more`: the first `top` counts, then how many
/// other codes there are.
pub(crate) fn top(counts: &[CodeCount], top: usize) -> String {
    let shown: Vec<String> = counts
        .iter()
        .take(top)
        .map(|c| format!("{} {}", c.code, c.count))
        .collect();
    let rest = counts.len().saturating_sub(top);
    if rest == 0 {
        shown.join(", ")
    } else {
        format!("{} and {rest} more", shown.join(", "))
    }
}

#[cfg(test)]
#[path = "slack_tests.rs"]
mod tests;
