//! The job of one SLA check: what the pipeline schedules at handoff (the ladder, then
//! close-the-loop) and what the SLA lane runs.

use handoff_ids::{ContactId, PortalId};
use serde::{Deserialize, Serialize};

use super::{KIND_SLA, LANE_SLA};
use crate::store::NewJob;
use crate::store::ledger::sla_key;

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
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    pub trace_id: String,
    pub action: SlaAction,
    /// Its place in the ladder (0-based); `close_loop` comes after the ladder.
    pub step: usize,
}

impl SlaCheck {
    /// The check as a job of the SLA lane, due at `at_ms`, keyed by its contact.
    pub fn job(&self, at_ms: i64) -> Result<NewJob, serde_json::Error> {
        Ok(NewJob {
            lane: LANE_SLA,
            key: sla_key(self.portal_id, self.contact_id),
            kind: KIND_SLA,
            payload: serde_json::value::to_raw_value(self)?,
            // Per-key order runs the checks in ladder order.
            occurred_at_ms: at_ms,
        })
    }
}
