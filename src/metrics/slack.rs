//! Slack alert metrics (`worker::pipeline::slack`), registered under `handoff_slack_*`; the
//! intake's click counter (`handoff_slack_interactions_total`) stays with the intake's.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// An alert attempt: its kind (`assignment`, `reping`, `escalation`, `channel`) and what became
/// of it (`sent`, `retry`, `failed`, `skipped`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AlertLabel {
    pub kind: String,
    pub outcome: &'static str,
}

/// Why an alert was given up or skipped: Slack's error code or handoff's own reason.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

/// A click applied by the worker: its button and what it did (`accepted`, `not_a_fit`,
/// `reassigned`, or why it changed nothing: `not_owner`, `stale`, `closed` ...).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClickLabel {
    pub action: String,
    pub outcome: &'static str,
}

#[derive(Debug, Default)]
pub struct SlackMetrics {
    pub alerts: Family<AlertLabel, Counter>,
    pub alerts_given_up: Family<ReasonLabel, Counter>,
    pub clicks_applied: Family<ClickLabel, Counter>,
    /// `chat.update` calls that could not show a click's result (the click still applied).
    pub updates_failed: Counter,
}

impl SlackMetrics {
    pub fn new(r: &mut Registry) -> Self {
        let m = Self::default();
        // Every kind and outcome from the start, at 0: an alert rule on failures then has a
        // series to read before the first failure (and a dashboard shows the 0).
        for kind in ["assignment", "reping", "escalation", "channel"] {
            for outcome in ["sent", "retry", "failed", "skipped"] {
                let _ = m.alerts.get_or_create(&AlertLabel {
                    kind: kind.to_owned(),
                    outcome,
                });
            }
        }
        let s = r.sub_registry_with_prefix("slack");
        register!(s, m, {
            "alerts" => alerts:
                "Slack alert attempts by kind and outcome: sent, retry, failed (given up), skipped (the lead moved on first)",
            "alerts_given_up" => alerts_given_up:
                "Slack alerts given up or skipped, by reason (Slack's error code or handoff's)",
            "clicks_applied" => clicks_applied:
                "Slack button clicks applied by the worker, by button and outcome",
            "updates_failed" => updates_failed:
                "chat.update calls that failed to show a click's result (the click still applied)",
        });
        m
    }
}
