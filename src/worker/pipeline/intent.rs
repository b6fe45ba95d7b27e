//! What a contact's coalesced events ask the pipeline to do, in their order: a deletion erases
//! (unless a restore follows), a merge folds the merged contacts' handoffs into the survivor,
//! creation, restore, association changes and property changes that a decision, a touch or a
//! disposition reads ask for an evaluation. Anything else costs no HubSpot call.
//!
//! The plan also keeps the times that decide whether a disposition is news from sales: when
//! the run's oldest event happened, when the contact was created (if the run carries its
//! creation), and when each disposition property changed. A disposition is judged by its
//! change's own time (`occurredAt`), not by the order the worker sees the events in
//! (`batch.rs::disposition_news`).

use std::collections::BTreeSet;

use crate::hubspot::client::ContactId;
use crate::hubspot::event::{CONTACT_OBJECT_TYPE, EventAction, HubspotEvent};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Erase the contact's personal data and cancel its SLA checks.
    pub erase: bool,
    /// Contacts merged into this one.
    pub merged: Vec<ContactId>,
    /// Read the contact and decide / look for touches and dispositions.
    pub evaluate: bool,
    /// The subscription type of the last event that asked for an evaluation (for the ledger).
    pub trigger: String,
    /// Events that changed nothing the pipeline reads.
    pub skipped: usize,
    /// When the run's oldest contact event happened (`occurredAt`, ms).
    pub window_start_ms: Option<i64>,
    /// When the contact's creation (or restore) happened, if this run carries it.
    pub created_at_ms: Option<i64>,
    /// When each change of a disposition property in this run happened.
    pub disposition_changes_ms: Vec<i64>,
}

/// The properties whose changes matter: what the pipeline reads, and among them what the
/// playbook's disposition map reads.
#[derive(Debug, Clone, Default)]
pub struct Watched {
    pub relevant: BTreeSet<String>,
    pub dispositions: BTreeSet<String>,
}

/// Folds a contact's events (oldest first) into one plan.
pub fn plan(events: &[HubspotEvent], watched: &Watched) -> Plan {
    let mut p = Plan::default();
    for e in events {
        if e.object_type_id != CONTACT_OBJECT_TYPE {
            p.skipped += 1;
            continue;
        }
        p.window_start_ms = Some(
            p.window_start_ms
                .map_or(e.occurred_at, |w| w.min(e.occurred_at)),
        );
        match e.action {
            EventAction::Deletion | EventAction::PrivacyDeletion => {
                p.erase = true;
                p.evaluate = false;
            }
            EventAction::Restore | EventAction::Creation | EventAction::AssociationChange => {
                if e.action == EventAction::Creation {
                    p.created_at_ms = Some(e.occurred_at);
                }
                p.erase = false;
                p.evaluate = true;
                p.trigger = e.subscription_type.clone();
            }
            EventAction::Merge => {
                let primary = e.primary_object_id.unwrap_or(e.object_id);
                // A contact event's merge: its records are contacts (parsed in `event.rs`).
                let merged = e
                    .merged_object_ids
                    .iter()
                    .flatten()
                    .filter(|m| **m != primary)
                    .map(|m| m.contact());
                for m in merged {
                    if !p.merged.contains(&m) {
                        p.merged.push(m);
                    }
                }
                p.evaluate = !p.erase;
                p.trigger = e.subscription_type.clone();
            }
            EventAction::PropertyChange => {
                let name = e.property_name.as_deref().unwrap_or_default();
                let reads = watched.relevant.contains(name);
                if watched.dispositions.contains(name) {
                    p.disposition_changes_ms.push(e.occurred_at);
                }
                if reads && !p.erase {
                    p.evaluate = true;
                    p.trigger = format!("{}:{name}", e.subscription_type);
                } else {
                    p.skipped += 1;
                }
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_ids::RecordId;

    fn event(action: EventAction, property: Option<&str>) -> HubspotEvent {
        HubspotEvent {
            property_name: property.map(str::to_string),
            ..HubspotEvent::new(
                handoff_ids::PortalId::new(7).unwrap(),
                1,
                "contact.x".into(),
                action,
                CONTACT_OBJECT_TYPE.into(),
                RecordId::new(5).unwrap(),
            )
        }
    }

    fn relevant() -> Watched {
        Watched {
            relevant: ["country".to_string(), "hs_lead_status".to_string()].into(),
            dispositions: ["hs_lead_status".to_string()].into(),
        }
    }

    fn at(mut e: HubspotEvent, occurred_at: i64) -> HubspotEvent {
        e.occurred_at = occurred_at;
        e
    }

    #[test]
    fn the_plan_keeps_when_the_contact_was_created_and_when_its_disposition_changed() {
        let events = [
            at(event(EventAction::PropertyChange, Some("country")), 900),
            at(event(EventAction::Creation, None), 1_000),
            at(
                event(EventAction::PropertyChange, Some("hs_lead_status")),
                1_200,
            ),
            at(
                event(EventAction::PropertyChange, Some("favorite_color")),
                1_300,
            ),
        ];
        let p = plan(&events, &relevant());
        assert_eq!(p.window_start_ms, Some(900));
        assert_eq!(p.created_at_ms, Some(1_000));
        assert_eq!(p.disposition_changes_ms, vec![1_200]);
        assert_eq!(p.trigger, "contact.x:hs_lead_status");
        let p = plan(&events[..2], &relevant());
        assert!(p.disposition_changes_ms.is_empty());
    }

    #[test]
    fn irrelevant_property_changes_ask_for_nothing() {
        let p = plan(
            &[event(EventAction::PropertyChange, Some("favorite_color"))],
            &relevant(),
        );
        assert!(!p.evaluate && !p.erase);
        assert_eq!(p.skipped, 1);
        let p = plan(
            &[event(EventAction::PropertyChange, Some("country"))],
            &relevant(),
        );
        assert!(p.evaluate);
    }

    #[test]
    fn a_deletion_wins_over_earlier_events_and_a_restore_undoes_it() {
        let created = event(EventAction::Creation, None);
        let deleted = event(EventAction::PrivacyDeletion, None);
        let p = plan(&[created.clone(), deleted.clone()], &relevant());
        assert!(p.erase && !p.evaluate);
        let p = plan(&[deleted, event(EventAction::Restore, None)], &relevant());
        assert!(!p.erase && p.evaluate);
    }

    #[test]
    fn a_merge_lists_the_merged_contacts_but_not_the_survivor() {
        let mut merge = event(EventAction::Merge, None);
        let id = |n| RecordId::new(n).unwrap();
        merge.primary_object_id = Some(id(5));
        merge.merged_object_ids = Some(vec![id(5), id(9), id(11)]);
        let p = plan(&[merge], &relevant());
        let ids: Vec<i64> = p.merged.iter().map(|id| id.get()).collect();
        assert_eq!(ids, vec![9, 11]);
        assert!(p.evaluate);
    }
}
