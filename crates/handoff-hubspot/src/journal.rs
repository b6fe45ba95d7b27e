//! Webhooks Journal files (docs/hubspot.md "Journal files"), parsed once and mapped to the same
//! [`HubspotEvent`] the push receiver produces, so both paths share one inbox and one dedup key.
//!
//! The file format is not in HubSpot's spec; field names come from two third-party clients
//! (docs/hubspot.md "Journal files"), so parsing is lenient: unknown fields are ignored,
//! `occurredAt` may be an ISO string or epoch milliseconds, and an entry that cannot be mapped is
//! counted as skipped, not fatal.

use handoff_ids::{PortalId, RecordId};
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::event::{CONTACT_OBJECT_TYPE, EventAction, HubspotEvent};

/// One journal file: its offset and its entries.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalFile {
    #[serde(default)]
    pub offset: Option<String>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub published_at: Option<i64>,
    #[serde(default)]
    pub journal_events: Vec<JournalEntry>,
}

/// One entry of a journal file (docs/hubspot.md "Journal files").
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    #[serde(default)]
    pub portal_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub occurred_at: Option<i64>,
    #[serde(default)]
    pub object_type_id: Option<String>,
    #[serde(default)]
    pub object_id: Option<i64>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub property_changes: BTreeMap<String, Option<serde_json::Value>>,
    #[serde(default)]
    pub merged_object_ids: Option<Vec<i64>>,
}

/// `occurredAt` / `publishedAt`: ISO-8601 text or epoch milliseconds (not pinned, "Journal files").
fn lenient_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_millisecond())
            .or_else(|| s.parse().ok()),
        _ => None,
    })
}

/// Parses a journal file body.
pub(crate) fn parse_file(body: &[u8]) -> Result<JournalFile, String> {
    serde_json::from_slice(body).map_err(|e| format!("journal file is not valid: {e}"))
}

/// What one file became: the events to enqueue and the entries left aside.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MappedEntries {
    pub events: Vec<HubspotEvent>,
    /// Entries of another portal or object type, or of an action handoff does not act on.
    pub skipped: usize,
    /// Entries missing a field the mapping needs, or with an id out of range (logged by the
    /// caller with the count).
    pub malformed: usize,
}

/// Maps the entries of `portal` to classic-shaped events (docs/hubspot.md "Journal entries as
/// webhook events"): CREATE → `creation`, UPDATE → one `propertyChange` per changed property (the
/// push path sends one event per property), DELETE/MERGE/RESTORE/GDPR_DELETE → their classic
/// action. Only contacts (`0-1`) are kept, as on the push path.
pub fn map_entries(portal: PortalId, entries: &[JournalEntry]) -> MappedEntries {
    let mut out = MappedEntries::default();
    for entry in entries {
        let (Some(occurred_at), Some(object_id), Some(action)) =
            (entry.occurred_at, entry.object_id, entry.action.as_deref())
        else {
            out.malformed += 1;
            continue;
        };
        // An id out of range is malformed, never record 0 (crates/handoff-ids).
        let merged = entry.merged_object_ids.as_ref().map(|ids| {
            ids.iter()
                .map(|m| RecordId::try_from(*m))
                .collect::<Result<Vec<_>, _>>()
        });
        let (Ok(object_id), Ok(merged)) = (RecordId::try_from(object_id), merged.transpose())
        else {
            out.malformed += 1;
            continue;
        };
        let object_type = entry
            .object_type_id
            .as_deref()
            .unwrap_or(CONTACT_OBJECT_TYPE);
        if entry.portal_id.is_some_and(|p| p != portal.get()) || object_type != CONTACT_OBJECT_TYPE
        {
            out.skipped += 1;
            continue;
        }
        // The journal has no eventId or subscriptionId ("Journal entries as webhook events"); the
        // dedup key does not use them.
        let base = |action: EventAction| {
            HubspotEvent::new(
                portal,
                occurred_at,
                format!("contact.{}", action.suffix()),
                action,
                CONTACT_OBJECT_TYPE.to_owned(),
                object_id,
            )
        };
        match action {
            "CREATE" => out.events.push(base(EventAction::Creation)),
            "UPDATE" => {
                for (name, value) in &entry.property_changes {
                    out.events.push(HubspotEvent {
                        property_name: Some(name.clone()),
                        property_value: value.as_ref().and_then(scalar_text),
                        ..base(EventAction::PropertyChange)
                    });
                }
            }
            "DELETE" => out.events.push(base(EventAction::Deletion)),
            "RESTORE" => out.events.push(base(EventAction::Restore)),
            "GDPR_DELETE" => out.events.push(base(EventAction::PrivacyDeletion)),
            "MERGE" => out.events.push(HubspotEvent {
                primary_object_id: Some(object_id),
                merged_object_ids: merged,
                ..base(EventAction::Merge)
            }),
            _ => out.skipped += 1,
        }
    }
    out
}

/// A property value as the push path keeps it: text, with numbers and booleans as their text.
fn scalar_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_delivery;

    const FILE: &str = r#"{"offset":"550e8400-e29b-41d4-a716-446655440000","publishedAt":"2026-09-03T10:15:02Z",
      "journalEvents":[
        {"type":"x","portalId":62515,"occurredAt":"2026-09-03T10:14:58.123Z","objectTypeId":"0-1","objectId":7,"action":"CREATE","propertyChanges":{"email":"a@b.c"}},
        {"portalId":62515,"occurredAt":1788430498200,"objectTypeId":"0-1","objectId":7,"action":"UPDATE","propertyChanges":{"lifecyclestage":"lead","num_employees":250,"phone":null}},
        {"portalId":62515,"occurredAt":1788430498300,"objectTypeId":"0-2","objectId":9,"action":"CREATE"},
        {"portalId":99,"occurredAt":1788430498300,"objectTypeId":"0-1","objectId":9,"action":"CREATE"},
        {"portalId":62515,"objectTypeId":"0-1","objectId":9,"action":"CREATE"},
        {"portalId":62515,"occurredAt":1788430498400,"objectTypeId":"0-1","objectId":7,"action":"MERGE","mergedObjectIds":[8]}
      ]}"#;

    #[test]
    fn entries_map_to_classic_events_one_per_changed_property() {
        let file = parse_file(FILE.as_bytes()).unwrap();
        assert_eq!(file.published_at, Some(1_788_430_502_000));
        let mapped = map_entries(
            handoff_ids::PortalId::new(62515).unwrap(),
            &file.journal_events,
        );
        let kinds: Vec<_> = mapped
            .events
            .iter()
            .map(|e| (e.subscription_type.as_str(), e.property_name.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("contact.creation", None),
                ("contact.propertyChange", Some("lifecyclestage")),
                ("contact.propertyChange", Some("num_employees")),
                ("contact.propertyChange", Some("phone")),
                ("contact.merge", None),
            ]
        );
        assert_eq!(mapped.events[0].occurred_at, 1_788_430_498_123);
        assert_eq!(mapped.events[2].property_value.as_deref(), Some("250"));
        assert_eq!(mapped.events[3].property_value, None);
        assert_eq!(
            mapped.events[4].merged_object_ids,
            Some(vec![handoff_ids::RecordId::new(8).unwrap()])
        );
        // A company and another portal's entry are skipped; one without occurredAt is malformed.
        assert_eq!((mapped.skipped, mapped.malformed), (2, 1));
    }

    #[test]
    fn an_entry_whose_object_or_merged_id_is_out_of_range_is_malformed_not_record_0() {
        let entries: Vec<JournalEntry> = serde_json::from_str(
            r#"[{"portalId":62515,"occurredAt":1,"objectTypeId":"0-1","objectId":0,"action":"CREATE"},
                {"portalId":62515,"occurredAt":1,"objectTypeId":"0-1","objectId":-4,"action":"DELETE"},
                {"portalId":62515,"occurredAt":1,"objectTypeId":"0-1","objectId":7,"action":"MERGE","mergedObjectIds":[8,0]},
                {"portalId":62515,"occurredAt":1,"objectTypeId":"0-1","objectId":7,"action":"CREATE"}]"#,
        )
        .unwrap();
        let mapped = map_entries(handoff_ids::PortalId::new(62515).unwrap(), &entries);
        assert_eq!(mapped.malformed, 3);
        let ids: Vec<i64> = mapped.events.iter().map(|e| e.object_id.get()).collect();
        assert_eq!(ids, [7]);
    }

    #[test]
    fn a_journal_entry_and_the_push_event_for_the_same_change_share_a_dedup_key() {
        let push = parse_delivery(
            br#"[{"eventId":11,"subscriptionId":4001,"portalId":62515,"appId":54321,"occurredAt":1788430498200,
                 "subscriptionType":"contact.propertyChange","attemptNumber":2,"objectId":7,
                 "propertyName":"lifecyclestage","propertyValue":"lead","changeSource":"CRM"}]"#,
        )
        .unwrap();
        let file = parse_file(FILE.as_bytes()).unwrap();
        let journal = map_entries(
            handoff_ids::PortalId::new(62515).unwrap(),
            &file.journal_events,
        );
        assert_eq!(push.events[0].dedup_key(), journal.events[1].dedup_key());
        assert_ne!(push.events[0].dedup_key(), journal.events[2].dedup_key());
    }

    #[test]
    fn a_file_that_is_not_json_is_an_error_not_a_panic() {
        assert!(parse_file(b"<html>expired</html>").is_err());
        let empty = parse_file(b"{}").unwrap();
        assert!(empty.journal_events.is_empty());
    }
}
