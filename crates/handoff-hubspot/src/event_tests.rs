//! Parsing of the real delivery shapes in `fixtures/hubspot/webhooks/`.

use proptest::prelude::*;

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/hubspot/webhooks/",
            $name
        ))
    };
}

#[test]
fn the_official_sdk_creation_event_parses_with_64_bit_ids() {
    let parsed = parse_delivery(fixture!("contact_creation.json")).unwrap();
    assert_eq!(parsed.ignored, 0);
    let event = &parsed.events[0];
    assert_eq!(event.action, EventAction::Creation);
    assert_eq!(event.object_type_id, "0-1");
    assert_eq!(
        (event.portal_id.get(), event.object_id.get(), event.app_id),
        (62515, 123, Some(54321))
    );
    assert_eq!(event.object_key(), "62515:0-1:123");
}

#[test]
fn the_event_type_key_is_accepted_like_subscription_type() {
    let parsed = parse_delivery(fixture!("contact_property_change_event_type_key.json")).unwrap();
    let kinds: Vec<_> = parsed.events.iter().map(|e| e.action).collect();
    assert_eq!(kinds, [EventAction::PropertyChange, EventAction::Creation]);
    assert_eq!(
        parsed.events[0].property_value.as_deref(),
        Some("subscriber")
    );
}

#[test]
fn merge_association_and_generic_events_find_their_object() {
    let merge = parse_delivery(fixture!("contact_merge.json")).unwrap();
    assert_eq!(merge.events[0].object_id.get(), 57_156_923_994);
    let merged = merge.events[0].merged_object_ids.iter().flatten();
    let merged: Vec<i64> = merged.map(|id| id.get()).collect();
    assert_eq!(merged, [1_246_965, 1_246_978]);
    let assoc = parse_delivery(fixture!("contact_association_change.json")).unwrap();
    assert_eq!(assoc.events[0].object_id.get(), 1_246_965);
    assert_eq!(assoc.events[0].action, EventAction::AssociationChange);
    let generic = parse_delivery(fixture!("generic_object_property_change.json")).unwrap();
    let types: Vec<_> = generic
        .events
        .iter()
        .map(|e| e.object_type_id.as_str())
        .collect();
    assert_eq!(types, ["0-1", "0-1", "0-136"]);
    // Only a contact event's record is a contact; a lead's is not.
    let contacts: Vec<bool> = generic
        .events
        .iter()
        .map(|e| e.contact_id().is_some())
        .collect();
    assert_eq!(contacts, [true, true, false]);
}

#[test]
fn the_job_payload_keeps_record_ids_as_numbers_and_reads_them_back() {
    let merge = parse_delivery(fixture!("contact_merge.json")).unwrap();
    let event = &merge.events[0];
    let json = serde_json::to_value(event).unwrap();
    assert_eq!(json["objectId"], serde_json::json!(57_156_923_994_i64));
    assert_eq!(
        json["primaryObjectId"],
        serde_json::json!(57_156_923_994_i64)
    );
    assert_eq!(
        json["mergedObjectIds"],
        serde_json::json!([1_246_965, 1_246_978])
    );
    assert!(json.get("toObjectId").is_none(), "absent ids stay absent");
    let back: HubspotEvent = serde_json::from_value(json).unwrap();
    assert_eq!(&back, event);
}

#[test]
fn every_fixture_delivery_parses_and_the_burst_has_100_events() {
    for (name, bytes, events) in [
        ("deletion", &fixture!("contact_deletion.json")[..], 1),
        ("privacy", &fixture!("contact_privacy_deletion.json")[..], 2),
        ("restore", &fixture!("contact_restore.json")[..], 1),
        (
            "sensitive",
            &fixture!("sensitive_property_change.json")[..],
            1,
        ),
        ("burst", &fixture!("import_burst_100.json")[..], 100),
    ] {
        let parsed = parse_delivery(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed.events.len(), events, "{name}");
    }
}

#[test]
fn unknown_subscription_types_are_counted_not_kept() {
    let parsed = parse_delivery(fixture!("mixed_with_unknown_types.json")).unwrap();
    assert_eq!(parsed.events.len(), 1);
    assert_eq!(parsed.ignored, 2);
}

#[test]
fn malformed_deliveries_say_what_and_where() {
    let cases: [(&[u8], &str, &str); 7] = [
        (
            fixture!("malformed/not_json.txt"),
            "malformed_json",
            "not valid JSON",
        ),
        (
            fixture!("malformed/object_not_array.json"),
            "invalid_event",
            "body: invalid type: map, expected a sequence",
        ),
        (
            fixture!("malformed/missing_portal_id.json"),
            "invalid_event",
            "[0]: missing field `portalId`",
        ),
        (
            fixture!("malformed/id_as_string.json"),
            "invalid_event",
            "[1].eventId: invalid type: string \"two\"",
        ),
        (
            fixture!("malformed/generic_without_object_type.json"),
            "invalid_event",
            "[0].objectTypeId: missing",
        ),
        (
            fixture!("malformed/too_many_events.json"),
            "too_many_events",
            "101 events",
        ),
        (
            fixture!("malformed/missing_type.json"),
            "invalid_event",
            "[0].subscriptionType: missing",
        ),
    ];
    for (bytes, code, text) in cases {
        let err = parse_delivery(bytes).unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert!(
            err.to_string().contains(text),
            "{err} should contain {text}"
        );
    }
}

#[test]
fn negative_ids_and_trailing_garbage_are_refused() {
    let neg = br#"[{"eventId":-1,"subscriptionId":1,"portalId":1,"occurredAt":1,"subscriptionType":"contact.creation","objectId":1}]"#;
    assert_eq!(
        parse_delivery(neg).unwrap_err().to_string(),
        "[0].eventId: must be a positive id, got -1"
    );
    assert_eq!(
        parse_delivery(b"[] []").unwrap_err().code(),
        "malformed_json"
    );
}

#[test]
fn a_merged_or_associated_record_id_out_of_range_refuses_the_delivery() {
    let merge = br#"[{"eventId":1,"subscriptionId":1,"portalId":1,"occurredAt":1,"subscriptionType":"contact.merge","objectId":5,"primaryObjectId":5,"mergedObjectIds":[9,0]}]"#;
    assert_eq!(
        parse_delivery(merge).unwrap_err().to_string(),
        "[0].mergedObjectIds[1]: must be a positive id, got 0"
    );
    let assoc = br#"[{"eventId":1,"subscriptionId":1,"portalId":1,"occurredAt":1,"subscriptionType":"contact.associationChange","objectId":5,"fromObjectId":5,"toObjectId":-2}]"#;
    assert_eq!(
        parse_delivery(assoc).unwrap_err().to_string(),
        "[0].toObjectId: must be a positive id, got -2"
    );
}

#[test]
fn a_numeric_property_value_is_kept_as_text() {
    let body = br#"[{"eventId":1,"subscriptionId":1,"portalId":1,"occurredAt":1,"subscriptionType":"contact.propertyChange","objectId":1,"propertyName":"num_employees","propertyValue":250}]"#;
    let parsed = parse_delivery(body).unwrap();
    assert_eq!(parsed.events[0].property_value.as_deref(), Some("250"));
}

#[test]
fn dedup_key_ignores_attempt_number_but_not_the_property_value() {
    let parsed = parse_delivery(fixture!("contact_property_change.json")).unwrap();
    let a = parsed.events[0].clone();
    let retry = HubspotEvent {
        attempt_number: Some(3),
        ..a.clone()
    };
    assert_eq!(a.dedup_key(), retry.dedup_key());
    let other_value = HubspotEvent {
        property_value: Some("lead".into()),
        ..a.clone()
    };
    assert_ne!(a.dedup_key(), other_value.dedup_key());
    let moved = HubspotEvent {
        property_name: None,
        property_value: Some("lifecyclestage".into()),
        ..a.clone()
    };
    assert_ne!(a.dedup_key(), moved.dedup_key());
}

#[test]
fn the_job_payload_round_trips() {
    let parsed = parse_delivery(fixture!("contact_merge.json")).unwrap();
    let json = serde_json::to_string(&parsed.events[0]).unwrap();
    let back: HubspotEvent = serde_json::from_str(&json).unwrap();
    assert_eq!(back, parsed.events[0]);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_delivery(&bytes);
    }

    #[test]
    fn arbitrary_json_values_never_panic(text in r#"\[\{("[a-zA-Z]{1,16}":(-?[0-9]{1,20}|"[a-z.]{0,24}"|null|true|\[\]),?){0,12}\}\]"#) {
        let _ = parse_delivery(text.as_bytes());
    }
}

#[test]
fn dedup_key_is_the_same_for_one_change_whichever_subscription_or_event_id_brought_it() {
    let parsed = parse_delivery(fixture!("contact_property_change.json")).unwrap();
    let push = parsed.events[0].clone();
    // The journal carries no eventId or subscriptionId (docs/hubspot.md "Journal entries as webhook
    // events").
    let from_journal = HubspotEvent {
        event_id: 0,
        subscription_id: 0,
        subscription_type: "object.propertyChange".into(),
        app_id: None,
        ..push.clone()
    };
    assert_eq!(push.dedup_key(), from_journal.dedup_key());
    let later = HubspotEvent {
        occurred_at: push.occurred_at + 1,
        ..push.clone()
    };
    assert_ne!(push.dedup_key(), later.dedup_key());
}
