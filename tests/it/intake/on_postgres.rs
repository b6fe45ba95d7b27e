//! The same intake guarantees with `HANDOFF__STORE__URL=postgres://...`.

use handoff::store::Dialect;
use serde_json::Value;

use crate::support::app::*;

#[tokio::test]
async fn on_postgres_a_delivery_is_stored_once_and_a_redelivery_adds_nothing() {
    let app = spawn_app_on(Dialect::Postgres, "", &[]).await;
    assert_eq!(app.store.dialect(), Dialect::Postgres);
    let response = app
        .post_signed_fixture("contact_property_change.json")
        .await;
    assert_eq!(response.status(), 200);
    let again = app
        .post_signed_fixture("contact_property_change.json")
        .await;
    let body: Value = again.json().await.unwrap();
    assert_eq!(
        (body["enqueued"].as_u64(), body["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!((app.inbox_rows().await, app.job_rows().await), (2, 2));
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn on_postgres_concurrent_copies_of_a_burst_queue_each_event_once() {
    super::webhooks::copies_of_a_burst_queue_each_event_once(Dialect::Postgres, 6).await;
}

#[tokio::test]
async fn on_postgres_a_rejected_batch_stores_nothing() {
    let app = spawn_app_on(Dialect::Postgres, "", &[]).await;
    let body = fixture("malformed/id_as_string.json");
    assert_eq!(app.post_signed_webhook(&body).await.status(), 400);
    assert_eq!((app.inbox_rows().await, app.job_rows().await), (0, 0));
    app.stop().await;
}
