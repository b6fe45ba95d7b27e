//! A reassigned handoff's HubSpot Lead follows it (`[playbook.leads]`): the lead's owner is
//! updated to the handoff's new owner. A transient failure retries the job a few times; after
//! that, or when HubSpot refuses, the lead keeps its old owner (logged and counted) and the
//! handoff goes on.

use std::collections::HashMap;

use super::PortalRun;
use super::leads::{MAX_LEAD_ATTEMPTS, count, why};
use super::steps::Failures;
use crate::hubspot::client::{HubspotError, ItemError, LeadOwnerUpdate};
use crate::store::ledger::HandoffRow;

/// After a reassignment: each lead gets its handoff's new owner. A transient failure retries
/// the job a few times; after that, or when HubSpot refuses, the lead keeps its old owner
/// (logged and counted) and the handoff goes on.
pub(super) async fn move_owners(
    b: &PortalRun<'_>,
    moved: &[(&HandoffRow, String)],
    failures: &mut Failures,
) {
    let (run, portal_id) = (b.run, b.portal_id);
    let updates: Vec<LeadOwnerUpdate> = moved
        .iter()
        .map(|(row, lead_id)| LeadOwnerUpdate {
            lead_id: lead_id.clone(),
            owner_id: row.owner_id,
        })
        .collect();
    if updates.is_empty() {
        return;
    }
    let by_lead: HashMap<&str, &HandoffRow> = moved.iter().map(|(r, l)| (l.as_str(), *r)).collect();
    for item in run.crm.update_lead_owners(portal_id, updates).await {
        let Some(row) = by_lead.get(item.key.as_str()) else {
            continue;
        };
        let lead_id = item.key.as_str();
        if let Err(e) = item.result {
            owner_not_moved(b, row, lead_id, &e, failures);
            continue;
        }
        let _ = run
            .store
            .leads()
            .owner_written(row.id, row.owner_id, run.now_ms())
            .await;
        count(run, "owner_updated");
        b.each.span(row.contact_id).in_scope(|| {
            tracing::info!(portal_id = portal_id.get(), contact_id = row.contact_id.get(), lead_id, owner_id = %row.owner_id, "lead owner updated");
        });
    }
}

/// A lead owner update HubSpot did not make: retried while a transient failure has attempts
/// left; else the lead keeps the owner HubSpot has (the next reassignment tries again).
fn owner_not_moved(
    b: &PortalRun<'_>,
    row: &HandoffRow,
    lead_id: &str,
    e: &ItemError,
    failures: &mut Failures,
) {
    let (run, attempts) = (b.run, b.attempts);
    let transient = matches!(
        e,
        ItemError::Unconfirmed
            | ItemError::Request(HubspotError::Transient { .. } | HubspotError::RateLimited { .. })
    );
    if transient && attempts < MAX_LEAD_ATTEMPTS {
        failures.insert(row.contact_id, run.retry_later(attempts, why(e)));
        return;
    }
    count(run, "owner_update_failed");
    b.each.span(row.contact_id).in_scope(|| {
        tracing::warn!(portal_id = b.portal_id.get(), contact_id = row.contact_id.get(), lead_id, error = %why(e), "lead owner update failed; the lead keeps its previous owner");
    });
}
