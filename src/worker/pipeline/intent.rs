//! What a contact's coalesced events ask the pipeline to do, in their order: a deletion erases
//! (unless a restore follows), a merge folds the merged contacts' handoffs into the survivor,
//! creation, restore, association changes and property changes that a decision, a touch or a
//! disposition reads ask for an evaluation. Anything else costs no HubSpot call.

use std::collections::BTreeSet;

use crate::hubspot::event::{CONTACT_OBJECT_TYPE, EventAction, HubspotEvent};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Erase the contact's personal data and cancel its SLA checks.
    pub erase: bool,
    /// Contacts merged into this one.
    pub merged: Vec<i64>,
    /// Read the contact and decide / look for touches and dispositions.
    pub evaluate: bool,
    /// The subscription type of the last event that asked for an evaluation (for the ledger).
    pub trigger: String,
    /// Events that changed nothing the pipeline reads.
    pub skipped: usize,
}

/// Folds a contact's events (oldest first) into one plan.
pub fn plan(events: &[HubspotEvent], relevant: &BTreeSet<String>) -> Plan {
    let mut p = Plan::default();
    for e in events {
        if e.object_type_id != CONTACT_OBJECT_TYPE {
            p.skipped += 1;
            continue;
        }
        match e.action {
            EventAction::Deletion | EventAction::PrivacyDeletion => {
                p.erase = true;
                p.evaluate = false;
            }
            EventAction::Restore | EventAction::Creation | EventAction::AssociationChange => {
                p.erase = false;
                p.evaluate = true;
                p.trigger = e.subscription_type.clone();
            }
            EventAction::Merge => {
                let primary = e.primary_object_id.unwrap_or(e.object_id);
                for m in e.merged_object_ids.iter().flatten() {
                    if *m != primary && !p.merged.contains(m) {
                        p.merged.push(*m);
                    }
                }
                p.evaluate = !p.erase;
                p.trigger = e.subscription_type.clone();
            }
            EventAction::PropertyChange => {
                let reads = e
                    .property_name
                    .as_deref()
                    .is_some_and(|name| relevant.contains(name));
                if reads && !p.erase {
                    p.evaluate = true;
                    p.trigger = format!(
                        "{}:{}",
                        e.subscription_type,
                        e.property_name.as_deref().unwrap_or_default()
                    );
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

    fn event(action: EventAction, property: Option<&str>) -> HubspotEvent {
        HubspotEvent {
            property_name: property.map(str::to_string),
            ..HubspotEvent::new(
                7,
                1,
                "contact.x".into(),
                action,
                CONTACT_OBJECT_TYPE.into(),
                5,
            )
        }
    }

    fn relevant() -> BTreeSet<String> {
        ["country".to_string()].into()
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
        merge.primary_object_id = Some(5);
        merge.merged_object_ids = Some(vec![5, 9, 11]);
        let p = plan(&[merge], &relevant());
        assert_eq!(p.merged, vec![9, 11]);
        assert!(p.evaluate);
    }
}
