//! 5xx and timeouts: retried in place for reads, never blindly for creates.

use std::time::Duration;

use handoff::hubspot::client::error::TransientReason;
use handoff::hubspot::client::{ContactId, HubspotError, ItemError, NewTask};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::hubspot::*;

#[tokio::test]
async fn a_5xx_then_success_is_retried_in_place() {
    let server = fake().await;
    Mock::given(method("GET"))
        .and(path("/crm/objects/2026-09/contacts/1"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(500),
            ResponseTemplate::new(200).set_body_json(contact_json("1")),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    assert!(
        c.get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn persistent_5xx_gives_up_with_retry_at_after_max_attempts() {
    let server = fake().await;
    Mock::given(method("GET"))
        .and(path("/crm/objects/2026-09/contacts/1"))
        .respond_with(ResponseTemplate::new(500))
        .expect(3)
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let err = c
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap_err();
    assert_eq!(err.detail_code(), "hubspot.transient.server");
    assert!(err.retry_at().is_some());
}

#[tokio::test]
async fn a_timeout_then_success_is_retried_for_reads() {
    let server = fake().await;
    Mock::given(method("GET"))
        .and(path("/crm/objects/2026-09/contacts/1"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(200)
                .set_body_json(contact_json("1"))
                .set_delay(Duration::from_secs(3)),
            ResponseTemplate::new(200).set_body_json(contact_json("1")),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    let cfg = private_app_config(&server.uri(), "", "");
    let mut cfg = cfg;
    cfg.request_timeout_ms = 300;
    let c = client(&cfg);
    assert!(
        c.get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_timed_out_task_create_is_not_resent_and_says_it_may_have_applied() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/crm/objects/2026-09/tasks/batch/create"))
        .respond_with(ResponseTemplate::new(201).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    let mut cfg = private_app_config(&server.uri(), "", "");
    cfg.request_timeout_ms = 300;
    let c = client(&cfg);
    let due = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let out = c
        .create_tasks(
            PORTAL,
            vec![NewTask::new(ContactId::new(1).unwrap(), "Call", due)],
        )
        .await;
    match &out[0].result {
        Err(ItemError::Request(HubspotError::Transient {
            reason,
            maybe_applied,
            ..
        })) => {
            assert_eq!(*reason, TransientReason::Timeout);
            assert!(maybe_applied);
        }
        other => panic!("expected a transient timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn other_4xx_are_permanent_with_hubspot_details() {
    let server = fake().await;
    Mock::given(method("GET"))
        .and(path("/crm/objects/2026-09/contacts/1"))
        .respond_with(ResponseTemplate::new(403).set_body_json(serde_json::json!({"status": "error",
            "message": "This app hasn't been granted all required scopes", "category": "MISSING_SCOPES",
            "correlationId": "9bd4b1bc-0000-4000-8000-000000000000"})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    match c
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap_err()
    {
        HubspotError::Permanent { detail, .. } => {
            assert_eq!(detail.status, Some(403));
            assert_eq!(detail.category.as_deref(), Some("MISSING_SCOPES"));
            assert_eq!(
                detail.correlation_id.as_deref(),
                Some("9bd4b1bc-0000-4000-8000-000000000000")
            );
        }
        other => panic!("expected permanent, got {other:?}"),
    }
}
