//! Sequences (docs/hubspot.md "Sales sequences (first touch)") through the real client: enroll on
//! behalf of a user, read the contact's enrollment, read one sequence, and each refusal the sandbox
//! models, classified as the pipeline records it.

use handoff::hubspot::client::{ContactId, EnrollmentRequest, refusal_reason};
use reqwest::Method;
use serde_json::json;

use crate::support::sandbox::*;

/// Katrin Vogel: owner 100, user 9100 (fixtures/sandbox/owners.json).
const USER: u64 = 9100;
const INBOX: &str = "katrin.vogel@example.com";
/// A seeded contact (fixtures/sandbox/contacts.json).
const CONTACT: u64 = 51003;

fn request(sequence_id: &str, sender: &str) -> EnrollmentRequest {
    EnrollmentRequest {
        contact_id: CONTACT.to_string(),
        sequence_id: sequence_id.into(),
        sender_email: sender.into(),
    }
}

#[tokio::test]
async fn a_contact_is_enrolled_once_and_its_enrollment_can_be_read() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    assert_eq!(
        c.sequence_enrollment(PORTAL, ContactId::new(CONTACT).unwrap())
            .await
            .unwrap(),
        None,
        "not enrolled: 404"
    );
    let e = c
        .enroll_in_sequence(PORTAL, USER, &request("4001", INBOX))
        .await
        .unwrap();
    let now = c
        .sequence_enrollment(PORTAL, ContactId::new(CONTACT).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (now.id.as_str(), now.sequence_id.as_str()),
        (e.id.as_str(), "4001")
    );
    assert_eq!(now.enrolled_by.as_deref(), Some("9100"));

    let again = c
        .enroll_in_sequence(PORTAL, USER, &request("4002", INBOX))
        .await
        .unwrap_err();
    assert_eq!(refusal_reason(&again), Some("already_enrolled"), "{again}");
}

#[tokio::test]
async fn refusals_for_seat_inbox_and_sequence_are_classified() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let users = json!({"withoutSeat": [9101], "withoutInbox": [9102]});
    let resp = raw(
        &sb,
        Method::PUT,
        "/_sandbox/sequences/users",
        None,
        Some(users),
    )
    .await;
    assert_eq!(resp.status(), 200);

    let cases = [
        (9101, "jonas.becker@example.com", "4001", "no_seat"),
        (9102, "lea.hofmann@example.com", "4001", "no_inbox"),
        (USER, "someone.else@example.com", "4001", "no_inbox"),
        (USER, INBOX, "999", "unknown_sequence"),
    ];
    for (user, sender, sequence, want) in cases {
        let err = c
            .enroll_in_sequence(PORTAL, user, &request(sequence, sender))
            .await
            .unwrap_err();
        assert_eq!(refusal_reason(&err), Some(want), "{err}");
    }
    assert!(sb.sandbox.sequence_enrollments().is_empty());
}

#[tokio::test]
async fn a_sequence_is_read_by_id_and_an_unknown_one_is_none() {
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let s = c.sequence(PORTAL, "4001", USER).await.unwrap().unwrap();
    assert_eq!(s.name.as_deref(), Some("Demo request: first touch"));
    assert_eq!(c.sequence(PORTAL, "999", USER).await.unwrap(), None);
}

#[tokio::test]
async fn the_start_check_finds_a_seeded_sequence_and_reports_a_missing_one() {
    use handoff::worker::pipeline::sequence_check::{Checked, check_sequences};
    let sb = start(seeded()).await;
    let c = client_for(&sb);
    let ids = ["4001".to_owned(), "999".to_owned()];
    let found: Vec<Checked> = check_sequences(&c, &[PORTAL], &ids)
        .await
        .into_iter()
        .map(|(_, _, checked)| checked)
        .collect();
    assert_eq!(found, [Checked::Found, Checked::Missing]);
}
