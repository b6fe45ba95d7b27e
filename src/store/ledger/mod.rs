//! The handoff ledger (`handoffs`, `decisions`, `routing_state`), written by the worker and
//! read by report: what the pipeline decided and how far each handoff got. A handoff row moves
//! through explicit [`Step`]s so a retry or a crash resumes where it stopped; decisions and the
//! routing state they used commit together. SQL is shared by both engines (`$N` placeholders);
//! only locking the routing state differs.
//!
//! [`Ledger`] is the store's part for handoffs and decisions: reads (`handoffs.rs`), deciding
//! (`decide.rs`), the write-back steps (`steps.rs`), what sales does next (`sales.rs`), merges
//! and erasure (`contacts.rs`). The Lead record of each handoff is [`Leads`] (`leads.rs`); the
//! KPI views are [`Kpis`] (`kpis.rs`, the weekly review's in `review.rs` and its trend
//! weeks' totals in `trend.rs`, the Slack alerts' counts in `slack_kpis.rs`, the tuning
//! report's and replays' in `tune.rs`, its leads read in batches in `lead_batches.rs`).
//! `lead_facts` (migration 0017: each lead's last decision) is kept by triggers on
//! `decisions`, so every writer of decisions keeps it without code here.

use handoff_ids::{ContactId, OwnerId, PortalId, TaskId};
use serde::Serialize;

use super::dispatch::Db;

/// One handoff as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct HandoffRow {
    pub id: i64,
    /// A row whose id is not `1 ..= i64::MAX` fails to load (a `StoreError`), never reads as 0.
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    pub status: String,
    pub step: Step,
    /// An owner id (text column) that is not an id fails the row's load.
    #[sqlx(try_from = "String")]
    pub owner_id: OwnerId,
    pub team: Option<String>,
    pub score: i64,
    pub tier: Option<String>,
    pub sla_tier: Option<String>,
    pub source: Option<String>,
    pub trace_id: String,
    /// A task id that is not an id fails the row's load, like the record ids.
    #[sqlx(try_from = "crate::store::id_columns::NullableText")]
    pub task_id: Option<TaskId>,
    pub task_attempted_at_ms: Option<i64>,
    pub handed_off_at_ms: i64,
    pub sla_due_at_ms: Option<i64>,
    pub close_loop_due_ms: Option<i64>,
    pub sla_plan: Option<String>,
    pub task_text: Option<String>,
    pub first_touch_at_ms: Option<i64>,
    pub sla_met: Option<i64>,
    pub escalations: i64,
    pub reassignments: i64,
    pub missed_by: String,
    pub disposition: Option<String>,
    pub disposition_reason: Option<String>,
    pub disposition_at_ms: Option<i64>,
    pub deal_amount: Option<f64>,
    pub updated_at_ms: i64,
}

#[cfg(test)]
impl HandoffRow {
    /// An open handoff of contact 1 to owner 101, handed off at 0 and due at 10 s.
    pub(crate) fn example() -> Self {
        HandoffRow {
            id: 1,
            portal_id: PortalId::new(1).unwrap(),
            contact_id: ContactId::new(1).unwrap(),
            status: "open".into(),
            step: Step::SlaScheduled,
            owner_id: OwnerId::new(101).unwrap(),
            team: None,
            score: 80,
            tier: None,
            sla_tier: Some("A".into()),
            source: None,
            trace_id: "t".into(),
            task_id: None,
            task_attempted_at_ms: None,
            handed_off_at_ms: 0,
            sla_due_at_ms: Some(10_000),
            close_loop_due_ms: None,
            sla_plan: None,
            task_text: None,
            first_touch_at_ms: None,
            sla_met: None,
            escalations: 0,
            reassignments: 0,
            missed_by: "[]".into(),
            disposition: None,
            disposition_reason: None,
            disposition_at_ms: None,
            deal_amount: None,
            updated_at_ms: 0,
        }
    }
}

impl HandoffRow {
    /// Whether its remaining steps (owner written, task created, SLA scheduled) still run:
    /// open, or closed by a disposition that came before they were done — the owner must still
    /// reach HubSpot. Not when merged into another, nor erased (which drops the task text).
    pub fn steps_pending(&self) -> bool {
        self.step < Step::SlaScheduled
            && match self.status.as_str() {
                "open" => true,
                "closed" => self.disposition.is_some() && self.task_text.is_some(),
                _ => false,
            }
    }

    /// Owners who already missed this lead's SLA (an entry that is not an owner id, or an
    /// unreadable list, names nobody).
    pub fn missed_by(&self) -> Vec<OwnerId> {
        owner_list(&self.missed_by)
    }
}

/// A stored JSON list of owner ids (`missed_by`), typed; what is not an owner id is left out.
pub(crate) fn owner_list(json: &str) -> Vec<OwnerId> {
    let stored: Vec<String> = serde_json::from_str(json).unwrap_or_default();
    stored.iter().filter_map(|o| o.parse().ok()).collect()
}

/// A new handoff, recorded with the decision that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewHandoff {
    pub owner_id: OwnerId,
    pub team: Option<String>,
    pub score: i64,
    pub tier: Option<String>,
    pub sla_tier: Option<String>,
    pub source: Option<String>,
    pub trace_id: String,
    pub handed_off_at_ms: i64,
    pub sla_due_at_ms: Option<i64>,
    pub close_loop_due_ms: Option<i64>,
    pub sla_plan: Option<String>,
    pub task_text: Option<String>,
}

/// A decision to record, with its explanation (the engine's `Decision` as JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    pub contact_id: ContactId,
    pub decided_at_ms: i64,
    /// What woke the worker, e.g. `contact.creation`, `sla.reassign`.
    pub trigger: String,
    pub outcome: String,
    pub owner_id: Option<OwnerId>,
    pub explanation: String,
    /// What the decision was, as columns (`handoff tune`); `None` records none.
    pub facts: Option<DecisionFacts>,
    /// Set when the decision hands the lead off.
    pub handoff: Option<NewHandoff>,
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct DecisionRow {
    pub id: i64,
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    #[sqlx(try_from = "i64")]
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    pub decided_at_ms: i64,
    pub trigger: String,
    pub outcome: String,
    #[sqlx(try_from = "crate::store::id_columns::NullableText")]
    pub owner_id: Option<OwnerId>,
    pub explanation: String,
}

/// The columns of a `DecisionFactRow` (the tuning report's lead): a decision's facts from the
/// table aliased `$t` (`decisions` or `lead_facts`) and the lead's handoff aliased `h`.
macro_rules! fact_columns {
    ($t:literal) => {
        concat!(
            $t,
            ".contact_id, ",
            $t,
            ".decided_at_ms, ",
            $t,
            ".outcome, ",
            $t,
            ".owner_id, ",
            $t,
            ".score_total, ",
            $t,
            ".tier, ",
            $t,
            ".source, ",
            $t,
            ".buying_role, ",
            $t,
            ".route_kind, ",
            $t,
            ".route_pool, ",
            $t,
            ".fallback_from, ",
            $t,
            ".rules, ",
            "h.owner_id AS handoff_owner, h.handed_off_at_ms, h.first_touch_at_ms, ",
            "h.disposition, h.deal_amount"
        )
    };
}

mod clicks;
mod contacts;
mod decide;
mod handoffs;
mod kpis;
mod lead_batches;
mod leads;
mod review;
mod sales;
mod slack_kpis;
mod step;
mod steps;
mod trend;
mod tune;
pub use clicks::ClickDisposition;
pub use decide::DecisionFacts;
pub use kpis::{KpiHandoff, Kpis, LeadOutcome, ReadyLead, Unassigned};
pub use leads::{LeadRow, LeadSettled, Leads};
pub use review::{LoopOverdue, PoolPick, Reassigned};
pub use sales::Reassignment;
pub use slack_kpis::SlackCounts;
pub use step::Step;
pub use trend::{HandoffTotals, TrendTotals};
pub use tune::{DecisionFactRow, RecordedContact};

/// The ledger part of a [`super::Store`].
#[derive(Debug, Clone, Copy)]
pub struct Ledger<'s> {
    pub(in crate::store) db: &'s Db,
}

/// The SLA lane's key for a contact: it starts with the portal like every key, so
/// `dlq --portal` finds it, and differs from the events key so the lanes never block each other.
pub fn sla_key(portal_id: PortalId, contact_id: ContactId) -> String {
    format!("{portal_id}:sla:{contact_id}")
}

/// The events lane's key for a contact (as the receiver writes it).
pub fn contact_key(portal_id: PortalId, contact_id: ContactId) -> String {
    format!("{portal_id}:0-1:{contact_id}")
}

/// The lane of SLA checks (`jobs::LANE_SLA`), whose pending jobs the ledger cancels.
pub const LANE_SLA: &str = "sla";

#[cfg(test)]
mod owner_list_tests {
    use super::*;

    #[test]
    fn a_missed_by_entry_that_is_not_an_owner_id_names_nobody_and_the_rest_stay() {
        let mut row = HandoffRow::example();
        row.missed_by = r#"["101","queue@example.com","103"]"#.into();
        let missed: Vec<i64> = row.missed_by().iter().map(|o| o.get()).collect();
        assert_eq!(missed, [101, 103]);
        row.missed_by = "not json".into();
        assert!(row.missed_by().is_empty());
    }
}
