//! Probes and the metrics on-call reads.

use crate::support::app::*;

#[tokio::test]
async fn metrics_count_accepted_rejected_duplicate_and_queued_events() {
    let app = spawn_app().await;
    app.post_signed_fixture("contact_property_change.json")
        .await;
    app.post_signed_fixture("contact_property_change.json")
        .await;
    app.post_signed_fixture("mixed_with_unknown_types.json")
        .await;
    let body = fixture("contact_creation.json");
    app.post_webhook(&body, &v3_headers("bad", &body, now_ms()))
        .await;
    app.post_webhook(&body, &v3_headers(SECRET, &body, now_ms() - 3_600_000))
        .await;

    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "handoff_webhook_deliveries_accepted_total 3",
        "handoff_webhook_events_received_total 7",
        "handoff_webhook_events_enqueued_total 3",
        "handoff_webhook_events_duplicate_total 2",
        "handoff_webhook_events_ignored_total 2",
        "handoff_webhook_deliveries_rejected_total{reason=\"signature_mismatch\"} 1",
        "handoff_webhook_deliveries_rejected_total{reason=\"timestamp_stale\"} 1",
        "handoff_queue_jobs{queue=\"events\",status=\"due\"} 3",
        "handoff_webhook_ack_seconds_count 3",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn health_and_readiness_answer_and_carry_a_request_id() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        app.client
            .get(app.url("/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let get_webhook = app
        .client
        .get(app.url("/webhooks/hubspot"))
        .send()
        .await
        .unwrap();
    assert_eq!(get_webhook.status(), 405);
    app.stop().await;
}
