//! Loading the tuning report: one read of the last decision of each lead in the period.

use super::{TuneSetup, Tuning, build};
use crate::report::ReportError;
use crate::store::Store;
use handoff_ids::PortalId;

/// The tuning report of portal `portal_id` over the leads decided in `[since_ms, until_ms)`.
pub async fn load(
    store: &Store,
    portal_id: PortalId,
    (since_ms, until_ms): (i64, i64),
    setup: &TuneSetup,
) -> Result<Tuning, ReportError> {
    let rows = store
        .kpis()
        .last_decision_facts_between(portal_id, since_ms, until_ms)
        .await?;
    Ok(build(&rows, setup))
}
