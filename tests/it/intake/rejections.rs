//! Every class of bad input gets its status and a message, and stores nothing.

use serde_json::Value;

use crate::support::app::*;

async fn assert_refused(
    app: &TestApp,
    body: &[u8],
    headers: &[(String, String)],
    status: u16,
    code: &str,
) {
    let response = app.post_webhook(body, headers).await;
    assert_eq!(response.status(), status, "expected {code}");
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["code"], code);
    assert!(!answer["message"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn unsigned_mis_signed_and_stale_requests_get_401_and_store_nothing() {
    let app = spawn_app().await;
    let body = fixture("contact_creation.json");
    let json = vec![("content-type".to_string(), "application/json".to_string())];
    assert_refused(&app, &body, &json, 401, "signature_missing").await;
    assert_refused(
        &app,
        &body,
        &v3_headers("wrong-secret", &body, now_ms()),
        401,
        "signature_mismatch",
    )
    .await;
    let stale = now_ms() - 5 * 60 * 1000 - 1_000;
    assert_refused(
        &app,
        &body,
        &v3_headers(SECRET, &body, stale),
        401,
        "timestamp_stale",
    )
    .await;
    let future = now_ms() + 5 * 60 * 1000 + 1_000;
    assert_refused(
        &app,
        &body,
        &v3_headers(SECRET, &body, future),
        401,
        "timestamp_future",
    )
    .await;
    let mut no_ts = v3_headers(SECRET, &body, now_ms());
    no_ts.retain(|(name, _)| name != "x-hubspot-request-timestamp");
    assert_refused(&app, &body, &no_ts, 401, "timestamp_invalid").await;
    // Signed over one body, sent with another.
    let other = fixture("contact_restore.json");
    assert_refused(
        &app,
        &other,
        &v3_headers(SECRET, &body, now_ms()),
        401,
        "signature_mismatch",
    )
    .await;
    assert_refused(
        &app,
        &body,
        &v1_headers(SECRET, &body),
        401,
        "signature_version_not_allowed",
    )
    .await;
    assert_eq!((app.inbox_rows().await, app.job_rows().await), (0, 0));
    app.stop().await;
}

#[tokio::test]
async fn malformed_and_invalid_bodies_get_400_saying_where() {
    let app = spawn_app().await;
    for (name, code, place) in [
        ("malformed/not_json.txt", "malformed_json", "not valid JSON"),
        (
            "malformed/object_not_array.json",
            "invalid_event",
            "expected a sequence",
        ),
        (
            "malformed/missing_portal_id.json",
            "invalid_event",
            "portalId",
        ),
        (
            "malformed/id_as_string.json",
            "invalid_event",
            "[1].eventId",
        ),
        (
            "malformed/generic_without_object_type.json",
            "invalid_event",
            "[0].objectTypeId",
        ),
        (
            "malformed/missing_type.json",
            "invalid_event",
            "[0].subscriptionType",
        ),
        (
            "malformed/too_many_events.json",
            "too_many_events",
            "101 events",
        ),
    ] {
        let body = fixture(name);
        let response = app.post_signed_webhook(&body).await;
        assert_eq!(response.status(), 400, "{name}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["code"], code, "{name}");
        assert!(
            answer["message"].as_str().unwrap().contains(place),
            "{name}: {answer}"
        );
    }
    assert_eq!((app.inbox_rows().await, app.job_rows().await), (0, 0));
    app.stop().await;
}

#[tokio::test]
async fn a_batch_with_one_bad_event_stores_none_of_its_events() {
    let app = spawn_app().await;
    let mut events: Vec<Value> = serde_json::from_slice(&fixture("import_burst_100.json")).unwrap();
    events[57]["portalId"] = Value::String("not a number".into());
    let body = serde_json::to_vec(&events).unwrap();
    let response = app.post_signed_webhook(&body).await;
    assert_eq!(response.status(), 400);
    let answer: Value = response.json().await.unwrap();
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("[57].portalId"),
        "{answer}"
    );
    assert_eq!((app.inbox_rows().await, app.job_rows().await), (0, 0));
    app.stop().await;
}

#[tokio::test]
async fn a_delivery_with_an_id_out_of_range_gets_400_naming_the_field_and_stores_nothing() {
    let app = spawn_app().await;
    let event = |portal: &str, merged: &str| {
        format!(
            r#"[{{"eventId":1,"subscriptionId":1,"portalId":{portal},"occurredAt":1,"subscriptionType":"contact.merge","objectId":5,"primaryObjectId":5,"mergedObjectIds":[{merged}]}}]"#
        )
    };
    for (body, place) in [
        // Past the store's BIGINT: refused, not wrapped or cut to 0.
        (event("9223372036854775808", "9"), "[0].portalId"),
        (
            event("0", "9"),
            "[0].portalId: must be a positive id, got 0",
        ),
        (
            event("62515", "9,0"),
            "[0].mergedObjectIds[1]: must be a positive id, got 0",
        ),
    ] {
        let response = app.post_signed_webhook(body.as_bytes()).await;
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["code"], "invalid_event", "{body}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.starts_with(place), "{body}: {message}");
    }
    assert_eq!((app.inbox_rows().await, app.job_rows().await), (0, 0));
    app.stop().await;
}

#[tokio::test]
async fn an_oversized_body_gets_413_and_a_wrong_content_type_415() {
    let app = spawn_app_with("[webhook]\nmax_body_bytes = 4096\n", &[]).await;
    let burst = fixture("import_burst_100.json");
    assert!(burst.len() > 4096);
    assert_refused(
        &app,
        &burst,
        &v3_headers(SECRET, &burst, now_ms()),
        413,
        "payload_too_large",
    )
    .await;
    // Without a Content-Length (chunked), the limit still holds while reading.
    assert_eq!(
        post_chunked(&app, &burst, &v3_headers(SECRET, &burst, now_ms())).await,
        413
    );
    // The same path accepts a chunked body under the limit.
    let small = fixture("contact_creation.json");
    assert_eq!(
        post_chunked(&app, &small, &v3_headers(SECRET, &small, now_ms())).await,
        200
    );
    assert_eq!(app.job_rows().await, 1);

    let body = fixture("contact_creation.json");
    let mut form = v3_headers(SECRET, &body, now_ms());
    form[0].1 = "application/x-www-form-urlencoded".into();
    assert_refused(&app, &body, &form, 415, "unsupported_media_type").await;
    let mut none = v3_headers(SECRET, &body, now_ms());
    none.remove(0);
    assert_refused(&app, &body, &none, 415, "unsupported_media_type").await;
    assert_eq!((app.inbox_rows().await, app.job_rows().await), (1, 1));
    app.stop().await;
}

/// Sends `body` with `Transfer-Encoding: chunked` (no Content-Length) over a raw socket and
/// returns the status code.
async fn post_chunked(app: &TestApp, body: &[u8], headers: &[(String, String)]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut head = format!(
        "POST /webhooks/hubspot HTTP/1.1\r\nhost: {}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n",
        app.addr
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(1024) {
        let frame = format!("{:x}\r\n", chunk.len());
        // The server may answer and close before the whole body is sent; that is the point.
        if stream.write_all(frame.as_bytes()).await.is_err()
            || stream.write_all(chunk).await.is_err()
            || stream.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
