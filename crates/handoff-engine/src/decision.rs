//! The decision and its explanation: what `decide` returns, serializable to JSON for the ledger
//! and rendered as text (`explain/render.rs`) for admins.

use handoff_ids::ContactId;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::playbook::{DispositionOutcome, LadderAction};
use crate::routing::RoutingTrace;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    pub contact_id: ContactId,
    pub decided_at: Timestamp,
    pub playbook: String,
    pub playbook_hash: String,
    pub outcome: Outcome,
    /// Named conditions (`flags.<id>`) that held, e.g. `icp`.
    pub flags: Vec<String>,
    pub buying_role: Option<String>,
    pub disqualified_by: Vec<Disqualification>,
    pub score: Score,
    pub readiness: Readiness,
    /// Present when the lead is handed off.
    pub routing: Option<RoutingTrace>,
    pub sla: Option<SlaPlan>,
    /// What sales already said about the lead, if anything.
    pub disposition: Option<Disposition>,
    /// Data or rule problems met on the way (unparseable values, failing conditions).
    pub warnings: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    HandOff,
    NotReady,
    Disqualified,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disqualification {
    pub id: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Score {
    pub fit: GroupScore,
    pub engagement: GroupScore,
    pub total: i64,
    pub tier: Option<String>,
    pub threshold: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GroupScore {
    pub matched: Vec<RuleHit>,
    /// Sum of matched points before the cap.
    pub raw: i64,
    pub cap: Option<i64>,
    /// What the group contributes: `raw` capped.
    pub points: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleHit {
    pub id: String,
    /// Points counted (after decay).
    pub points: i64,
    pub base_points: i64,
    /// e.g. "45 days old: 50% kept".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decay: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub meets_threshold: bool,
    /// Readiness requirements that applied (ids).
    pub requirements: Vec<String>,
    pub missing_fields: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlaPlan {
    pub tier: String,
    pub calendar: String,
    /// Business time to first touch.
    #[serde(serialize_with = "jiff::fmt::serde::duration::friendly::compact::required")]
    pub first_touch: SignedDuration,
    pub due_at: Timestamp,
    pub ladder: Vec<LadderStep>,
    /// When a disposition is expected (close the loop).
    pub close_loop_due: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LadderStep {
    pub action: LadderAction,
    pub at: Timestamp,
    /// Who is notified or receives the lead (manager, fallback queue), when known now.
    pub target: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disposition {
    pub outcome: DispositionOutcome,
    /// `property = value` that decided it.
    pub source: String,
    pub reason: Option<String>,
}
