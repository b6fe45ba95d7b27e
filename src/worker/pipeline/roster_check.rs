//! At start, the roster is checked against each portal's HubSpot owners once
//! (`engine::roster::live::check_roster`), so a roster owner that drops out of rotation says so
//! in the log when the service starts: an id HubSpot does not list or lists as archived or
//! deactivated, an email no active owner has (for an owner given by email alone), or an email
//! that is not the owner's in HubSpot. Routing would skip the first two silently otherwise
//! (`explain` says "inactive"). A fallback owner among them gets a line of its own: the global
//! one means a lead that falls to it stays without an owner. It only logs; `handoff doctor`
//! reports the same with fixes.

use super::Pipeline;
use crate::engine::roster::live::{LiveOwner, OwnerFinding, check_roster, unroutable_fallbacks};
use crate::engine::{Playbook, Roster};
use crate::hubspot::client::{HubspotClient, Owner, PortalId};

/// HubSpot's owners as the engine checks them.
pub(crate) fn live_owners(owners: &[Owner]) -> Vec<LiveOwner> {
    owners
        .iter()
        .map(|o| LiveOwner {
            id: o.id,
            email: o.email.clone(),
            assignable: o.is_assignable(),
            archived: o.archived,
        })
        .collect()
}

/// Each portal's findings that need an operator (not `Ok`/`Resolved`); a portal whose owners
/// could not be read is left out and logged.
pub async fn check_portals(
    client: &HubspotClient,
    roster: &Roster,
) -> Vec<(PortalId, OwnerFinding)> {
    let mut out = Vec::new();
    for (id, findings) in every_portal(client, roster).await {
        out.extend(findings.into_iter().filter(|f| !f.is_ok()).map(|f| (id, f)));
    }
    out
}

/// Every roster owner's finding, per portal whose owners could be read (the others logged).
async fn every_portal(
    client: &HubspotClient,
    roster: &Roster,
) -> Vec<(PortalId, Vec<OwnerFinding>)> {
    let mut out = Vec::new();
    for id in client.portals() {
        match client.list_owners(id).await {
            Ok(owners) => out.push((id, check_roster(roster, &live_owners(&owners)))),
            Err(e) => {
                tracing::warn!(portal_id = id.as_u64(), error.code = e.code(), error = %e, "roster not checked against HubSpot's owners at start");
            }
        }
    }
    out
}

/// Logs one warning per roster owner that is not routable as the roster means it, and one per
/// fallback owner among them, per portal.
pub(crate) async fn check_at_start(p: &Pipeline) {
    let run = p.run();
    let roster = &run.rules.roster;
    for (id, findings) in every_portal(run.crm, roster).await {
        for finding in findings.iter().filter(|f| !f.is_ok()) {
            warn(id.as_u64(), finding);
        }
        warn_fallbacks(id.as_u64(), roster, &run.rules.playbook, &findings);
    }
}

fn warn_fallbacks(portal_id: u64, roster: &Roster, playbook: &Playbook, findings: &[OwnerFinding]) {
    for f in unroutable_fallbacks(roster, playbook, findings) {
        if f.is_global() {
            tracing::warn!(portal_id, key = %f.at, owner = %f.owner, "global fallback owner is not routable; leads that fall to it get no owner, or one who cannot work them");
        } else {
            tracing::warn!(portal_id, key = %f.at, owner = %f.owner, "team fallback owner is not routable; its team's leads go on to the global fallback owner");
        }
    }
}

fn warn(portal_id: u64, finding: &OwnerFinding) {
    match finding {
        OwnerFinding::Ok { .. } | OwnerFinding::Resolved { .. } => {}
        OwnerFinding::Unresolved { email } => tracing::warn!(
            portal_id,
            owner_email = %email,
            "roster owner has no active HubSpot owner with its email; out of rotation"
        ),
        OwnerFinding::Duplicate { email, id } => tracing::warn!(
            portal_id,
            owner_email = %email,
            owner_id = %id,
            "roster owner's email resolves to an id another roster owner has; out of rotation"
        ),
        OwnerFinding::Missing { id, .. } | OwnerFinding::Inactive { id, .. } => tracing::warn!(
            portal_id,
            owner_id = %id,
            "roster owner is not an active HubSpot owner; out of rotation"
        ),
        OwnerFinding::EmailMismatch {
            id,
            roster_email,
            hubspot_email,
        } => tracing::warn!(
            portal_id,
            owner_id = %id,
            roster_email = %roster_email,
            hubspot_email = hubspot_email.as_deref().unwrap_or(""),
            "roster owner's email differs from its HubSpot owner's"
        ),
    }
}
