//! The jobs of the queue: their lanes, kinds and payloads, below both the stages that write
//! them (intake, the journal backfill, the pipeline's SLA ladder, `queue probe`) and the
//! worker that reads them, so a writer and its reader share one type per wire format. A
//! claimed job is parsed once, from `(kind, payload)`, into [`Job`].

mod event;
mod sla;

use serde::{Deserialize, Serialize};

use crate::store::queue::ClaimedJob;

pub use event::EventJob;
pub(crate) use event::event_entry;
pub use sla::{SlaAction, SlaCheck};

/// Lane of webhook events (written by the receiver and the journal backfill).
pub const LANE_EVENTS: &str = "events";
/// Lane of SLA checks (ladder steps and close-the-loop), scheduled at handoff. The ledger
/// cancels a contact's pending checks in its own transactions, so the store names this lane.
pub const LANE_SLA: &str = crate::store::ledger::LANE_SLA;
/// Lane of canary jobs.
pub const LANE_PROBE: &str = "probe";
/// Lane of Slack alerts and clicks (`[alerts.slack]`): its jobs are written by the store with
/// their rows, so the store names it.
pub const LANE_ALERTS: &str = crate::store::slack::LANE_ALERTS;
/// Every lane this build runs: webhook events, SLA checks, canary probes, Slack alerts.
pub const LANES: [&str; 4] = [LANE_EVENTS, LANE_SLA, LANE_PROBE, LANE_ALERTS];

/// The kind of job an incoming webhook event becomes; its payload is [`EventJob`].
pub const KIND_HUBSPOT_EVENT: &str = "hubspot_event.v1";
/// An SLA check; its payload is [`SlaCheck`].
pub const KIND_SLA: &str = "sla_check.v1";
/// A canary; its payload is [`Probe`].
pub const KIND_PROBE: &str = "probe.v1";
/// Sends one Slack alert; its payload is [`SlackAlertJob`].
pub const KIND_SLACK_ALERT: &str = crate::store::slack::KIND_SLACK_ALERT;
/// Applies one Slack click; its payload is [`SlackClickJob`].
pub const KIND_SLACK_CLICK: &str = crate::store::slack::KIND_SLACK_CLICK;

/// The alert a `slack_alert.v1` job sends (a `slack_alerts` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlackAlertJob {
    pub alert_id: i64,
}

/// The click a `slack_click.v1` job applies (a `slack_clicks` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlackClickJob {
    pub click_id: i64,
}

/// A canary: waits `work_ms`, then records its run atomically with its completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub enqueued_at_ms: i64,
    #[serde(default)]
    pub work_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    Probe(Probe),
    Event(Box<EventJob>),
    Sla(SlaCheck),
    SlackAlert(SlackAlertJob),
    SlackClick(SlackClickJob),
}

impl Job {
    /// Parses a claimed job; the error is the dead-letter reason.
    pub fn parse(job: &ClaimedJob) -> Result<Self, String> {
        Self::parse_parts(&job.kind, &job.payload)
    }

    pub fn parse_parts(kind: &str, payload: &str) -> Result<Self, String> {
        match kind {
            KIND_PROBE => serde_json::from_str(payload)
                .map(Job::Probe)
                .map_err(|e| format!("invalid {KIND_PROBE} payload: {e}")),
            KIND_HUBSPOT_EVENT => serde_json::from_str(payload)
                .map(|e| Job::Event(Box::new(e)))
                .map_err(|e| format!("invalid {KIND_HUBSPOT_EVENT} payload: {e}")),
            KIND_SLA => serde_json::from_str(payload)
                .map(Job::Sla)
                .map_err(|e| format!("invalid {KIND_SLA} payload: {e}")),
            KIND_SLACK_ALERT => serde_json::from_str(payload)
                .map(Job::SlackAlert)
                .map_err(|e| format!("invalid {KIND_SLACK_ALERT} payload: {e}")),
            KIND_SLACK_CLICK => serde_json::from_str(payload)
                .map(Job::SlackClick)
                .map_err(|e| format!("invalid {KIND_SLACK_CLICK} payload: {e}")),
            other => Err(format!("no handler for job kind {other:?} in this build")),
        }
    }
}
