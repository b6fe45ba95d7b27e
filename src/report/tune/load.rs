//! Loading the tuning report: one query that totals the portal's leads of the period in the
//! store (`Kpis::tune_totals`), folded by `totals.rs` into what `build` makes of the rows.

use super::{TuneSetup, Tuning};
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
    let totals = store
        .kpis()
        .tune_totals(portal_id, since_ms, until_ms)
        .await?;
    Ok(super::totals::from_totals(&totals, setup))
}
