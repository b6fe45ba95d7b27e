//! At start, the sequence ids of `[[playbook.sequences]]` are read from HubSpot once per portal
//! in `pipeline.sequence_portals` (`GET …/{sequenceId}?userId=`, as docs/hubspot.md "Enrolling on
//! behalf of an owner" suggests), as the portal's first assignable owner, so a mistyped or deleted
//! sequence shows in the log when the service starts, not only later as `unknown_sequence` skips.
//! It only logs: a sequence another user cannot see, or a check HubSpot could not answer, never
//! stops the service (enrollments record their own outcome).

use std::collections::BTreeSet;

use super::Pipeline;
use crate::hubspot::client::{HubspotClient, PortalId};

/// What the check found for one sequence id in one portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Found,
    /// HubSpot answered 404: no such sequence (for that user).
    Missing,
    /// Not checked: no assignable owner with a user id, or HubSpot failed (the error code).
    Unchecked(String),
}

/// Reads each of `sequence_ids` in each of `portals`.
pub async fn check_sequences(
    client: &HubspotClient,
    portals: &[PortalId],
    sequence_ids: &[String],
) -> Vec<(PortalId, String, Checked)> {
    let mut out = Vec::new();
    for &portal in portals {
        let user = match client.assignable_owners(portal).await {
            Ok(owners) => owners.iter().find_map(|o| o.user_id),
            Err(e) => {
                for s in sequence_ids {
                    out.push((portal, s.clone(), Checked::Unchecked(e.detail_code())));
                }
                continue;
            }
        };
        for s in sequence_ids {
            let checked = match user {
                None => Checked::Unchecked("no assignable owner with a user id".into()),
                Some(user) => match client.sequence(portal, s, user).await {
                    Ok(Some(_)) => Checked::Found,
                    Ok(None) => Checked::Missing,
                    Err(e) => Checked::Unchecked(e.detail_code()),
                },
            };
            out.push((portal, s.clone(), checked));
        }
    }
    out
}

/// Checks the current playbook's sequences and logs what is missing or unchecked.
pub(crate) async fn check_at_start(p: &Pipeline) {
    let run = p.run();
    let portals = &run.settings.sequence_portals;
    let ids: BTreeSet<String> = run
        .rules
        .playbook
        .doc
        .sequences
        .iter()
        .map(|r| r.sequence_id.trim().to_owned())
        .collect();
    if portals.is_empty() || ids.is_empty() {
        return;
    }
    let ids: Vec<String> = ids.into_iter().collect();
    for (portal, sequence_id, checked) in check_sequences(run.crm, portals, &ids).await {
        match checked {
            Checked::Found => {}
            Checked::Missing => {
                tracing::warn!(
                    portal_id = portal.as_u64(),
                    sequence_id,
                    "playbook sequence not found in HubSpot"
                );
            }
            Checked::Unchecked(why) => {
                tracing::warn!(
                    portal_id = portal.as_u64(),
                    sequence_id,
                    reason = why,
                    "playbook sequence not checked"
                );
            }
        }
    }
}
