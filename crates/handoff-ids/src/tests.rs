//! The range every id is held to, and the forms serde reads and writes.

use super::*;

#[test]
fn parsing_refuses_zero_negative_too_large_and_text_and_never_gives_zero() {
    for bad in [
        "0",
        "-1",
        "9223372036854775808",
        "18446744073709551615",
        "abc",
        "",
        "1.5",
    ] {
        let err = bad.parse::<ContactId>().unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("contact id `{bad}` is not an id")),
            "{err}"
        );
    }
    assert_eq!("  42 ".parse::<ContactId>().unwrap().get(), 42);
    assert_eq!(
        "9223372036854775807".parse::<PortalId>().unwrap().get(),
        i64::MAX
    );
}

#[test]
fn rows_read_back_convert_only_in_range() {
    assert!(OwnerId::try_from(0_i64).is_err());
    assert!(OwnerId::try_from(-5_i64).is_err());
    assert!(TaskId::try_from(u64::MAX).is_err());
    let id = TaskId::try_from(17_687_016_786_i64).unwrap();
    assert_eq!(
        (id.get(), id.as_u64(), id.to_string()),
        (17_687_016_786, 17_687_016_786, "17687016786".into())
    );
}

#[test]
fn serde_reads_numbers_and_strings_writes_strings_or_numbers_as_asked() {
    let a: ContactId = serde_json::from_str("123").unwrap();
    let b: ContactId = serde_json::from_str("\"123\"").unwrap();
    assert_eq!(a, b);
    assert_eq!(serde_json::to_string(&a).unwrap(), "\"123\"");
    for bad in [
        "0",
        "-3",
        "\"0\"",
        "\"x\"",
        "18446744073709551615",
        "1.5",
        "null",
    ] {
        let err = serde_json::from_str::<ContactId>(bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("contact id"), "{bad}: {err}");
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Row {
        #[serde(with = "crate::number")]
        portal_id: PortalId,
    }
    let row: Row = serde_json::from_str(r#"{"portal_id":"62515"}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&row).unwrap(),
        r#"{"portal_id":62515}"#
    );
    assert!(serde_json::from_str::<Row>(r#"{"portal_id":0}"#).is_err());
}

#[test]
fn text_columns_read_back_convert_only_in_range() {
    assert_eq!(OwnerId::try_from("101".to_string()).unwrap().get(), 101);
    for bad in ["", "0", "jonas@example.com", "-1"] {
        let err = TaskId::try_from(bad.to_string()).unwrap_err();
        assert!(err.to_string().starts_with("task id"), "{err}");
    }
}

#[test]
fn optional_ids_and_lists_keep_the_number_form_and_refuse_out_of_range() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Event {
        #[serde(default, with = "crate::number::option")]
        primary: Option<RecordId>,
        #[serde(default, with = "crate::number::option_vec")]
        merged: Option<Vec<RecordId>>,
    }
    let e: Event = serde_json::from_str(r#"{"primary":"5","merged":[9,"11"]}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&e).unwrap(),
        r#"{"primary":5,"merged":[9,11]}"#
    );
    let none: Event = serde_json::from_str("{}").unwrap();
    assert_eq!(
        serde_json::to_string(&none).unwrap(),
        r#"{"primary":null,"merged":null}"#
    );
    for bad in [r#"{"primary":0}"#, r#"{"merged":[9,-1]}"#] {
        let err = serde_json::from_str::<Event>(bad).unwrap_err().to_string();
        assert!(err.contains("record id"), "{bad}: {err}");
    }
    let contact = RecordId::new(42).unwrap().contact();
    assert_eq!(contact, ContactId::new(42).unwrap());
}
