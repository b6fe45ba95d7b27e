//! Valid deliveries: stored and queued before the 2xx; redeliveries harmless.

use serde_json::{Value, json};

use crate::support::app::*;

#[tokio::test]
async fn a_signed_creation_delivery_is_stored_and_queued_before_the_200() {
    let app = spawn_app().await;
    let response = app.post_signed_fixture("contact_creation.json").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"events": 1, "enqueued": 1, "duplicates": 0, "ignored": 0})
    );
    assert_eq!(app.inbox_rows().await, 1);
    let jobs = app.jobs().await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].0, "62515:0-1:123");
    assert_eq!(jobs[0].1["event"]["subscriptionType"], "contact.creation");
    assert_eq!(jobs[0].1["event"]["objectId"], 123);
    assert!(!jobs[0].1["requestId"].as_str().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn every_lifecycle_fixture_is_accepted_and_queued_per_event() {
    let app = spawn_app().await;
    let mut expected_jobs = 0;
    for (name, events) in [
        ("contact_property_change.json", 2),
        ("contact_property_change_event_type_key.json", 2),
        ("contact_merge.json", 1),
        ("contact_deletion.json", 1),
        ("contact_privacy_deletion.json", 2),
        ("contact_association_change.json", 2),
        ("contact_restore.json", 1),
        ("generic_object_property_change.json", 3),
        ("sensitive_property_change.json", 1),
    ] {
        let response = app.post_signed_fixture(name).await;
        assert_eq!(response.status(), 200, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["enqueued"], events, "{name}");
        expected_jobs += events;
    }
    assert_eq!(app.job_rows().await, expected_jobs);
    assert_eq!(app.inbox_rows().await, expected_jobs);
    app.stop().await;
}

#[tokio::test]
async fn a_redelivery_answers_200_and_adds_no_job() {
    let app = spawn_app().await;
    let first = fixture("contact_property_change.json");
    assert_eq!(app.post_signed_webhook(&first).await.status(), 200);
    // HubSpot's retry: same events, new attemptNumber, freshly signed.
    let retry = String::from_utf8(first)
        .unwrap()
        .replace("\"attemptNumber\": 0", "\"attemptNumber\": 3");
    let response = app.post_signed_webhook(retry.as_bytes()).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["enqueued"].as_u64(), body["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(app.job_rows().await, 2);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_duplicate_deliveries_queue_each_event_once() {
    copies_of_a_burst_queue_each_event_once(handoff::store::Dialect::Sqlite, 8).await;
}

/// `copies` concurrent deliveries of one 100-event burst on `engine`: each answered 200,
/// 100 events enqueued among them, 100 jobs stored.
pub(super) async fn copies_of_a_burst_queue_each_event_once(
    engine: handoff::store::Dialect,
    copies: usize,
) {
    let app = spawn_app_on(engine, "", &[]).await;
    let body = fixture("import_burst_100.json");
    let mut posts = tokio::task::JoinSet::new();
    for _ in 0..copies {
        let request = app.signed_request(&body);
        posts.spawn(async move { request.send().await.unwrap() });
    }
    let mut enqueued = 0;
    while let Some(response) = posts.join_next().await {
        let response = response.unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        enqueued += body["enqueued"].as_u64().unwrap();
    }
    assert_eq!(enqueued, 100);
    assert_eq!(app.job_rows().await, 100);
    app.stop().await;
}

#[tokio::test]
async fn an_import_burst_of_100_events_becomes_100_jobs_with_their_own_keys() {
    let app = spawn_app().await;
    let response = app.post_signed_fixture("import_burst_100.json").await;
    assert_eq!(response.status(), 200);
    let jobs = app.jobs().await;
    let keys: std::collections::HashSet<_> = jobs.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(keys.len(), 100);
    assert!(keys.contains("62515:0-1:3000099"));
    app.stop().await;
}

#[tokio::test]
async fn unknown_subscription_types_are_acknowledged_counted_and_not_queued() {
    let app = spawn_app().await;
    let response = app
        .post_signed_fixture("mixed_with_unknown_types.json")
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"events": 1, "enqueued": 1, "duplicates": 0, "ignored": 2})
    );
    assert_eq!(app.job_rows().await, 1);
    let only_unknown = br#"[{"eventId":9,"subscriptionId":1,"portalId":62515,"occurredAt":1,"subscriptionType":"deal.creation","objectId":5}]"#;
    assert_eq!(app.post_signed_webhook(only_unknown).await.status(), 200);
    assert_eq!(app.job_rows().await, 1);
    app.stop().await;
}

#[tokio::test]
async fn a_v2_signature_is_accepted_only_where_configured() {
    let body = fixture("contact_creation.json");
    let strict = spawn_app().await;
    assert_eq!(
        strict
            .post_webhook(&body, &v2_headers(SECRET, &body))
            .await
            .status(),
        401
    );
    assert_eq!(strict.job_rows().await, 0);
    strict.stop().await;

    let legacy = spawn_app_with("[webhook]\nlegacy_signatures = [\"v2\"]\n", &[]).await;
    assert_eq!(
        legacy
            .post_webhook(&body, &v2_headers(SECRET, &body))
            .await
            .status(),
        200
    );
    // v1 stays refused: only v2 was enabled.
    assert_eq!(
        legacy
            .post_webhook(&body, &v1_headers(SECRET, &body))
            .await
            .status(),
        401
    );
    assert_eq!(legacy.job_rows().await, 1);
    legacy.stop().await;
}

#[tokio::test]
async fn several_apps_share_one_receiver_each_with_its_own_secret() {
    let toml = "[webhook]\napp_id = 54321\n\n[[webhook.apps]]\napp_id = 7906213\nclient_secret_env = \"SECOND_APP_SECRET\"\n";
    let app = spawn_app_with(toml, &[("SECOND_APP_SECRET", "second-secret")]).await;
    let first_app = fixture("contact_creation.json");
    assert_eq!(app.post_signed_webhook(&first_app).await.status(), 200);
    let second_app = String::from_utf8(fixture("sensitive_property_change.json"))
        .unwrap()
        .replace("54321", "7906213");
    let headers = v3_headers("second-secret", second_app.as_bytes(), now_ms());
    assert_eq!(
        app.post_webhook(second_app.as_bytes(), &headers)
            .await
            .status(),
        200
    );
    // The second app's secret does not vouch for the first app's events.
    let forged = v3_headers("second-secret", &first_app, now_ms());
    let response = app.post_webhook(&first_app, &forged).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "app_mismatch");
    assert_eq!(app.job_rows().await, 2);
    app.stop().await;
}

/// The load generator signs with the sandbox's own signer, written apart from the service's
/// verifier: what it signs is accepted, and a delivery signed with another secret is not.
#[tokio::test]
async fn a_delivery_signed_by_the_sandboxs_own_signer_is_accepted() {
    let app = spawn_app().await;
    let body = fixture("contact_creation.json");
    let signed = |secret: &str| {
        let ts = now_ms().to_string();
        let secret = secrecy::SecretString::from(secret);
        let sig = handoff_sandbox::sign_v3(&secret, "POST", PUBLIC_URL, &body, &ts).unwrap();
        vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("x-hubspot-signature-v3".to_owned(), sig),
            ("x-hubspot-request-timestamp".to_owned(), ts),
        ]
    };
    let accepted = app.post_webhook(&body, &signed(SECRET)).await;
    assert_eq!(accepted.status(), 200);
    let refused = app.post_webhook(&body, &signed("another-secret")).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(app.job_rows().await, 1);
    app.stop().await;
}
