//! Clicks read from payloads shaped like Slack's (`fixtures/slack/interactions/`), and every
//! way a payload can be wrong.

use handoff_ids::{ContactId, PortalId};
use proptest::prelude::*;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::*;
use crate::signature::{SignedRequest, sign, verify};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../fixtures/slack/interactions/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `payload=<url-encoded JSON>`, as Slack posts it.
fn form(payload: &str) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", payload)
        .finish()
        .into_bytes()
}

fn parse_json(v: &Value) -> Result<Click, InteractionError> {
    let body = form(&v.to_string());
    parse(&VerifiedBody::assume_verified(&body))
}

fn the_ref() -> HandoffRef {
    HandoffRef {
        portal: PortalId::new(62515).unwrap(),
        contact: ContactId::new(987654).unwrap(),
        version: 1,
    }
}

#[test]
fn an_accept_click_names_who_where_and_which_lead() {
    let click = parse_json(&fixture("accept")).unwrap();
    assert_eq!(click.action, ClickAction::Accept);
    assert_eq!(click.handoff, the_ref());
    assert_eq!(click.user.as_str(), "U2CERLKJA");
    assert_eq!(click.team.as_str(), "T1DC2JH3J");
    assert_eq!(click.channel.as_str(), "D0123ABCDEF");
    assert_eq!(click.message_ts.as_str(), "1503435956.000247");
}

#[test]
fn a_not_a_fit_choice_carries_the_reason_and_the_lead_from_the_block() {
    let click = parse_json(&fixture("not_a_fit")).unwrap();
    assert_eq!(
        click.action,
        ClickAction::NotAFit {
            reason: "wrong_territory".into()
        }
    );
    assert_eq!(click.handoff, the_ref());
}

#[test]
fn a_reassign_click_is_read() {
    let click = parse_json(&fixture("reassign")).unwrap();
    assert_eq!(click.action, ClickAction::Reassign);
    assert_eq!(click.handoff, the_ref());
}

#[test]
fn an_org_wide_install_without_team_or_channel_reads_them_from_user_and_container() {
    let click = parse_json(&fixture("accept_org_install")).unwrap();
    assert_eq!(click.team.as_str(), "T1DC2JH3J");
    assert_eq!(click.channel.as_str(), "D0123ABCDEF");
    assert_eq!(click.message_ts.as_str(), "1503435956.000247");
}

#[test]
fn a_signed_form_body_verifies_then_parses() {
    let secret = SecretString::from("test-signing-secret".to_owned());
    let body = form(&fixture("accept").to_string());
    let sig = sign(&secret, "1700000000", &body);
    let request = SignedRequest {
        signature: Some(&sig),
        timestamp: Some("1700000000"),
        body: &body,
    };
    let verified = verify(&request, &[secret], 1_700_000_000, 300).unwrap();
    assert_eq!(parse(&verified).unwrap().action, ClickAction::Accept);
}

fn refused(v: &Value) -> &'static str {
    parse_json(v).unwrap_err().code()
}

#[test]
fn other_interaction_types_are_refused() {
    for kind in [
        "view_submission",
        "shortcut",
        "message_action",
        "interactive_message",
    ] {
        let mut v = fixture("accept");
        v["type"] = json!(kind);
        assert_eq!(refused(&v), "interaction_type_unsupported", "{kind}");
    }
    let mut v = fixture("accept");
    v.as_object_mut().unwrap().remove("type");
    assert_eq!(refused(&v), "field_missing");
}

#[test]
fn an_action_handoff_did_not_send_is_refused() {
    let mut v = fixture("accept");
    v["actions"][0]["action_id"] = json!("open_record");
    let err = parse_json(&v).unwrap_err();
    assert_eq!(err, InteractionError::UnknownAction("open_record".into()));
    v["actions"] = json!([]);
    assert_eq!(
        parse_json(&v).unwrap_err(),
        InteractionError::MissingField("actions")
    );
}

#[test]
fn missing_fields_are_named() {
    let cases: [(&[&str], &str); 5] = [
        (&["user"], "user"),
        (&["team", "user.team_id"], "team.id"),
        (&["channel", "container.channel_id"], "channel.id"),
        (&["container", "message"], "container.message_ts"),
        (&["actions.0.value"], "actions[0].value"),
    ];
    for (paths, field) in cases {
        let mut v = fixture("accept");
        for path in paths {
            remove(&mut v, path);
        }
        assert_eq!(
            parse_json(&v).unwrap_err(),
            InteractionError::MissingField(field),
            "{paths:?}"
        );
    }
    let mut v = fixture("not_a_fit");
    remove(&mut v, "actions.0.selected_option");
    assert_eq!(
        parse_json(&v).unwrap_err(),
        InteractionError::MissingField("actions[0].selected_option")
    );
}

/// Removes `a.b.0.c` from a JSON value.
fn remove(v: &mut Value, path: &str) {
    let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
    let mut at = v;
    for key in parent.split('.').filter(|k| !k.is_empty()) {
        at = match key.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[key],
        };
    }
    at.as_object_mut().unwrap().remove(last);
}

#[test]
fn references_and_ids_handoff_did_not_write_are_refused() {
    let mut v = fixture("accept");
    v["actions"][0]["value"] = json!("987654");
    assert_eq!(refused(&v), "handoff_ref_invalid");
    let mut v = fixture("not_a_fit");
    v["actions"][0]["block_id"] = json!("h1:62515:987654:1:head");
    assert_eq!(refused(&v), "handoff_ref_invalid");
    let mut v = fixture("accept");
    v["user"]["id"] = json!("<script>");
    assert!(matches!(
        parse_json(&v).unwrap_err(),
        InteractionError::BadId {
            field: "user.id",
            ..
        }
    ));
    let mut v = fixture("accept");
    v["container"]["message_ts"] = json!("yesterday");
    v["message"]["ts"] = json!("yesterday");
    assert_eq!(refused(&v), "id_invalid");
}

#[test]
fn a_reason_that_no_option_of_ours_could_carry_is_refused() {
    for reason in ["", &"x".repeat(76), "a\nb"] {
        let mut v = fixture("not_a_fit");
        v["actions"][0]["selected_option"]["value"] = json!(reason);
        assert_eq!(refused(&v), "reason_invalid", "{reason:?}");
    }
}

#[test]
fn bad_forms_and_bad_json_are_refused() {
    let cases: [(&[u8], &str); 6] = [
        (b"", "payload_missing"),
        (b"token=x&team_id=T1", "payload_missing"),
        (b"payload=%7B%7D&payload=%7B%7D", "payload_duplicate"),
        (b"payload=not+json", "payload_json_invalid"),
        (b"payload=%5B1%2C2%5D", "payload_json_invalid"),
        (b"payload=%7B%22type%22%3A5%7D", "payload_json_invalid"),
    ];
    for (body, code) in cases {
        let err = parse(&VerifiedBody::assume_verified(body)).unwrap_err();
        assert_eq!(err.code(), code, "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn an_oversized_body_is_refused_before_it_is_read() {
    let body = vec![b'a'; MAX_BODY_BYTES + 1];
    assert_eq!(
        parse(&VerifiedBody::assume_verified(&body)).unwrap_err(),
        InteractionError::TooLarge {
            bytes: MAX_BODY_BYTES + 1,
            max: MAX_BODY_BYTES
        }
    );
}

proptest! {
    #[test]
    fn no_body_makes_the_parser_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse(&VerifiedBody::assume_verified(&body));
        let mut with_payload = b"payload=".to_vec();
        with_payload.extend_from_slice(&body);
        let _ = parse(&VerifiedBody::assume_verified(&with_payload));
    }
}
