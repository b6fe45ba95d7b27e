//! The sandbox's Webhooks Journal (docs/hubspot.md "Webhooks Journal"): journal subscriptions, and
//! journal files fed from the contact changes the sandbox records (created, updated, merged,
//! deleted through the control API). Like HubSpot, only changes made while a matching `OBJECT`
//! subscription exists land in the journal ("What the journal holds"), an UPDATE entry carries the
//! changed subscribed properties ("Journal files"), and files older than the retention are gone:
//! reading after their offset answers 404 ("Journal errors"). Retention is 3 days unless a test
//! shortens it (`PUT /_sandbox/journal/retention`).
//!
//! Each recorded change is one file with one entry (HubSpot batches entries into files; the
//! reader handles both). The file URL points at `/_sandbox/journal/files/{offset}`, fetched
//! without auth like HubSpot's pre-signed URLs ("Journal files"). HTTP routes: `routes.rs`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Sandbox;
use super::state::{iso, now_ms};

mod routes;

pub(super) use routes::{control_routes, routes};

/// HubSpot keeps journal entries 3 days (docs/hubspot.md "What the journal holds").
const RETENTION_MS: i64 = 3 * 24 * 3_600_000;
/// How long a pointer's file URL stays valid.
const URL_TTL_MS: i64 = 5 * 60_000;
/// The app the sandbox's subscriptions belong to (the demo's `appId`).
const APP_ID: u64 = 54_321;
/// `actions` HubSpot accepts (docs/hubspot.md "Journal subscriptions").
const ACTIONS: [&str; 13] = [
    "CREATE",
    "UPDATE",
    "DELETE",
    "MERGE",
    "RESTORE",
    "ASSOCIATION_ADDED",
    "ASSOCIATION_REMOVED",
    "SNAPSHOT",
    "APP_INSTALL",
    "APP_UNINSTALL",
    "ADDED_TO_LIST",
    "REMOVED_FROM_LIST",
    "GDPR_DELETE",
];

/// An `OBJECT` journal subscription.
#[derive(Debug, Clone, PartialEq)]
struct Subscription {
    id: u64,
    /// HubSpot's account ids are unsigned 64-bit numbers, as the sandbox's config holds them.
    portal_id: u64,
    object_type_id: String,
    actions: Vec<String>,
    properties: Vec<String>,
    created_ms: i64,
    updated_ms: i64,
}

impl Subscription {
    fn render(&self) -> Value {
        json!({
            "id": self.id.to_string(), "appId": APP_ID, "subscriptionType": "OBJECT",
            "portalId": self.portal_id, "objectTypeId": self.object_type_id,
            "actions": self.actions, "properties": self.properties, "objectIds": [],
            "createdAt": iso(self.created_ms), "updatedAt": iso(self.updated_ms),
        })
    }
}

/// One journal file.
#[derive(Debug, Clone, PartialEq)]
struct JournalFile {
    offset: String,
    published_ms: i64,
    events: Vec<Value>,
}

impl JournalFile {
    fn render(&self) -> Value {
        json!({
            "offset": self.offset,
            "publishedAt": iso(self.published_ms),
            "journalEvents": self.events,
        })
    }
}

/// Subscriptions and files, oldest file first.
#[derive(Debug, Clone)]
pub(crate) struct Journal {
    subscriptions: Vec<Subscription>,
    files: Vec<JournalFile>,
    next_seq: u64,
    retention_ms: i64,
}

impl Default for Journal {
    fn default() -> Self {
        Self {
            subscriptions: Vec::new(),
            files: Vec::new(),
            next_seq: 1,
            retention_ms: RETENTION_MS,
        }
    }
}

/// A contact change the sandbox made.
pub(crate) enum Change<'a> {
    Created(&'a BTreeMap<String, String>),
    Updated {
        before: &'a BTreeMap<String, String>,
        after: &'a BTreeMap<String, String>,
    },
    Deleted,
    Merged(u64),
}

impl Journal {
    /// Appends a file for a change of contact `id`, if a subscription covers it.
    pub(crate) fn record(&mut self, portal_id: u64, id: u64, change: &Change<'_>) {
        let action = match change {
            Change::Created(_) => "CREATE",
            Change::Updated { .. } => "UPDATE",
            Change::Deleted => "DELETE",
            Change::Merged(_) => "MERGE",
        };
        let Some(sub) = self.subscriptions.iter().find(|s| {
            s.portal_id == portal_id
                && s.object_type_id == "0-1"
                && s.actions.iter().any(|a| a == action)
        }) else {
            return;
        };
        let watched =
            |name: &str| sub.properties.is_empty() || sub.properties.iter().any(|p| p == name);
        let mut changes = serde_json::Map::new();
        match change {
            Change::Created(props) => {
                for (k, v) in props.iter().filter(|(k, _)| watched(k)) {
                    changes.insert(k.clone(), json!(v));
                }
            }
            Change::Updated { before, after } => {
                let names = before.keys().chain(after.keys()).filter(|k| watched(k));
                for k in names {
                    if before.get(k) != after.get(k) && !changes.contains_key(k) {
                        changes.insert(k.clone(), json!(after.get(k)));
                    }
                }
                if changes.is_empty() {
                    return;
                }
            }
            Change::Deleted | Change::Merged(_) => {}
        }
        let now = now_ms();
        let mut event = json!({
            "type": "OBJECT", "portalId": portal_id, "occurredAt": iso(now),
            "objectTypeId": "0-1", "objectId": id, "action": action,
            "propertyChanges": changes,
        });
        if let Change::Merged(gone) = change {
            event["mergedObjectIds"] = json!([gone]);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.files.push(JournalFile {
            offset: format!("00000000-0000-4000-8000-{seq:012x}"),
            published_ms: now,
            events: vec![event],
        });
    }

    /// Drops the files past the retention.
    fn prune(&mut self, now: i64) {
        let keep_from = now - self.retention_ms;
        self.files.retain(|f| f.published_ms >= keep_from);
    }
}

impl Sandbox {
    /// Journals a contact change (called by the control operations in `views.rs`).
    pub(crate) fn journal_change(&self, id: u64, change: &Change<'_>) {
        // The configured id as it is: never narrowed (a portal past `i64::MAX` is not portal 0).
        let portal = self.config().portal_id;
        self.journal().record(portal, id, change);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscribed(properties: &[&str]) -> Journal {
        let mut j = Journal::default();
        j.subscriptions.push(Subscription {
            id: 1,
            portal_id: 7,
            object_type_id: "0-1".into(),
            actions: vec!["CREATE".into(), "UPDATE".into()],
            properties: properties.iter().map(|p| (*p).to_owned()).collect(),
            created_ms: 0,
            updated_ms: 0,
        });
        j
    }

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn only_subscribed_actions_and_changed_subscribed_properties_are_journaled() {
        let mut j = Journal::default();
        j.record(7, 1, &Change::Created(&props(&[("email", "a@b.c")])));
        assert!(j.files.is_empty(), "no subscription, no journal");
        let mut j = subscribed(&["email", "lifecyclestage"]);
        let before = props(&[("email", "a@b.c"), ("phone", "1")]);
        let same = props(&[("email", "a@b.c"), ("phone", "2")]);
        j.record(
            7,
            1,
            &Change::Updated {
                before: &before,
                after: &same,
            },
        );
        assert!(j.files.is_empty(), "phone is not subscribed");
        let after = props(&[("lifecyclestage", "lead"), ("phone", "1")]);
        j.record(
            7,
            1,
            &Change::Updated {
                before: &before,
                after: &after,
            },
        );
        j.record(7, 1, &Change::Deleted);
        j.record(8, 1, &Change::Created(&before));
        assert_eq!(j.files.len(), 1);
        let e = &j.files[0].events[0];
        assert_eq!(e["action"], "UPDATE");
        assert_eq!(
            e["propertyChanges"],
            json!({"email": null, "lifecyclestage": "lead"})
        );
    }

    #[test]
    fn a_configured_portal_id_past_i64_max_is_journaled_as_itself_not_as_portal_0() {
        let big = u64::MAX - 1;
        let sb = Sandbox::new(crate::SandboxConfig {
            portal_id: big,
            ..crate::SandboxConfig::default()
        })
        .unwrap();
        sb.journal().subscriptions = subscribed(&[]).subscriptions;
        sb.journal().subscriptions[0].portal_id = big;
        sb.journal_change(1, &Change::Created(&props(&[("email", "a@b.c")])));
        let j = sb.journal();
        assert_eq!(j.files.len(), 1, "journaled for the configured portal");
        assert_eq!(j.files[0].events[0]["portalId"], json!(big));
    }

    #[test]
    fn files_past_the_retention_are_dropped() {
        let mut j = subscribed(&[]);
        j.record(7, 1, &Change::Created(&props(&[("email", "a@b.c")])));
        j.prune(now_ms());
        assert_eq!(j.files.len(), 1);
        j.retention_ms = 0;
        j.prune(now_ms() + 1);
        assert!(j.files.is_empty());
    }
}
