//! 429 handling: TEN_SECONDLY_ROLLING cools down and retries; DAILY parks the portal.

use std::time::{Duration, Instant};

use handoff::hubspot::client::{ContactId, HubspotError, RateLimitPolicy};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::hubspot::*;

fn too_many(policy: &str) -> ResponseTemplate {
    ResponseTemplate::new(429).set_body_json(json!({"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT", "correlationId": "c033cdaa-2c40-4a64-ae48-b4cec88dad24", "policyName": policy,
        "requestId": "3d3e35b7-0dae-4b9f-a6e3-9c230cbcf8dd"}))
}

#[tokio::test]
async fn ten_secondly_429_waits_for_the_window_then_succeeds() {
    let server = fake().await;
    Mock::given(method("GET"))
        .and(path("/crm/objects/2026-09/contacts/1"))
        .respond_with(Sequence::new(vec![
            too_many("TEN_SECONDLY_ROLLING"),
            ResponseTemplate::new(200).set_body_json(contact_json("1")),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    // Interval scaled down to 300 ms so the cooldown is short.
    let cfg = private_app_config(
        &server.uri(),
        "",
        "quota = { requests = 100, interval_ms = 300 }",
    );
    let c = client(&cfg);
    let started = Instant::now();
    c.get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "retried before the window rolled"
    );
}

#[tokio::test]
async fn ten_secondly_429_beyond_the_inline_wait_returns_retry_at() {
    let server = fake().await;
    Mock::given(method("GET"))
        .and(path("/crm/objects/2026-09/contacts/1"))
        .respond_with(too_many("TEN_SECONDLY_ROLLING").insert_header("Retry-After", "30"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&private_app_config(&server.uri(), "", ""));
    let before = jiff::Timestamp::now();
    let err = c
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        HubspotError::RateLimited {
            policy: RateLimitPolicy::TenSecondly,
            ..
        }
    ));
    let at = err.retry_at().unwrap();
    assert!(
        at >= before + jiff::SignedDuration::from_secs(29),
        "Retry-After honoured: {at}"
    );
}

#[tokio::test]
async fn daily_429_parks_the_portal_until_midnight_without_more_requests() {
    let server = fake().await;
    Mock::given(method("GET"))
        .and(path("/crm/objects/2026-09/contacts/1"))
        .respond_with(too_many("DAILY"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&private_app_config(
        &server.uri(),
        "",
        "time_zone = \"UTC\"",
    ));
    let err = c
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap_err();
    assert_eq!(err.detail_code(), "hubspot.rate_limited.daily");
    let at = err.retry_at().unwrap();
    let midnight = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .tomorrow()
        .unwrap()
        .start_of_day()
        .unwrap()
        .timestamp();
    assert_eq!(at, midnight);
    // Parked: fails fast, nothing sent.
    let again = c
        .get_contact(PORTAL, ContactId::new(1).unwrap(), &[])
        .await
        .unwrap_err();
    assert_eq!(again.retry_at(), Some(at));
    server.verify().await;
}
