//! What a handoff keeps in the ledger between its steps: the SLA ladder as decided
//! (`sla_plan`) and the task as rendered at decision time (`task_text`: subject, body, the
//! template it came from, the placeholder values its `properties` are rendered with when the
//! task or lead is created, the sequence and the lead's name). Erased with the handoff.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::jobs::SlaAction;
use crate::store::ledger::HandoffRow;

/// The SLA ladder as decided, with absolute times.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPlan {
    pub ladder: Vec<StoredStep>,
    pub close_loop_due_ms: Option<i64>,
    /// The disposition (outcome, reason) the contact already showed when it was handed off —
    /// e.g. a lead status set before: only a different one is news from sales.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_at_handoff: Option<(String, Option<String>)>,
    /// When the oldest event of the run that decided the handoff happened: a disposition
    /// property change from then on is news from sales, whenever the worker sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_start_ms: Option<i64>,
}

impl StoredPlan {
    /// The plan a handoff row carries (empty for a row without one).
    pub fn of(row: &HandoffRow) -> StoredPlan {
        row.sla_plan
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredStep {
    pub action: SlaAction,
    pub at_ms: i64,
}

/// The task text as rendered at decision time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTask {
    pub subject: String,
    pub body: String,
    pub priority: Option<String>,
    pub task_type: Option<String>,
    /// The first-touch sequence `[[playbook.sequences]]` chose (`sequence.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_id: Option<String>,
    /// The HubSpot Lead's name when the playbook creates leads (`[playbook.leads]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_name: Option<String>,
    /// The `[[playbook.tasks]]` template the text came from (`built-in` without templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Placeholder values at decision time, for the templates' `properties`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
}

impl StoredTask {
    /// The task text a handoff row carries (empty for a row without one).
    pub fn of(row: &HandoffRow) -> StoredTask {
        row.task_text
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }
}

/// The token a handoff's task body carries: letters and digits only, so HubSpot's search
/// (`CONTAINS_TOKEN`) finds it as one word.
pub fn marker(trace_id: &str) -> String {
    format!("horef{trace_id}")
}
