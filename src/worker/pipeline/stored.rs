//! What a handoff keeps in the ledger between its steps about its SLA: the ladder as decided
//! (`sla_plan`), with the disposition it already showed and the window its changes are judged
//! by. (The task text it keeps is `task_text.rs`'s.) Erased with the handoff.

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
