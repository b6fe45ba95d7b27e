//! The jobs this build runs, parsed once from `(kind, payload)`.

use serde::{Deserialize, Serialize};

use crate::hubspot::event::HubspotEvent;
use crate::store::queue::ClaimedJob;
use crate::store::{KIND_HUBSPOT_EVENT, QUEUE_EVENTS};

/// Lane of webhook events (written by the receiver).
pub const LANE_EVENTS: &str = QUEUE_EVENTS;
/// Lane of SLA checks (ladder steps and close-the-loop), scheduled at handoff.
pub const LANE_SLA: &str = crate::store::ledger::QUEUE_SLA;
pub const KIND_SLA: &str = "sla_check.v1";
/// Lane of canary jobs.
pub const LANE_PROBE: &str = "probe";
pub const KIND_PROBE: &str = "probe.v1";

/// A canary: waits `work_ms`, then records its run atomically with its completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub enqueued_at_ms: i64,
    #[serde(default)]
    pub work_ms: u64,
}

/// A webhook event as the receiver enqueued it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventJob {
    pub request_id: String,
    pub event: HubspotEvent,
}

/// What an SLA check does when it finds no touch (or, for `close_loop`, no disposition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaAction {
    Remind,
    Escalate,
    Reassign,
    FallbackQueue,
    CloseLoop,
}

impl SlaAction {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaAction::Remind => "remind",
            SlaAction::Escalate => "escalate",
            SlaAction::Reassign => "reassign",
            SlaAction::FallbackQueue => "fallback_queue",
            SlaAction::CloseLoop => "close_loop",
        }
    }
}

/// One scheduled check of a handoff. `trace_id` is the handoff's at scheduling time: after a
/// reassignment the handoff has a new one, so checks of the old assignment do nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaCheck {
    pub handoff_id: i64,
    pub portal_id: i64,
    pub contact_id: i64,
    pub trace_id: String,
    pub action: SlaAction,
    /// Its place in the ladder (0-based); `close_loop` comes after the ladder.
    pub step: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    Probe(Probe),
    Event(Box<EventJob>),
    Sla(SlaCheck),
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
            other => Err(format!("no handler for job kind {other:?} in this build")),
        }
    }
}
