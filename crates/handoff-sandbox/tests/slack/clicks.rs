//! Clicks: what the sandbox sends passes handoff's signature check and parses into the click on
//! the button that was actually sent.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header::CONTENT_TYPE};
use axum::routing::post as route_post;
use handoff_sandbox::sign_slack_v0;
use handoff_slack::blocks::{Act, ActKind, Alert, DispositionReasons, Lead, acted, alert};
use handoff_slack::ids::{HandoffRef, UserId};
use handoff_slack::interaction::{Click, ClickAction, parse};
use handoff_slack::signature::{self, HEADER_SIGNATURE, HEADER_TIMESTAMP, SignedRequest, WINDOW_S};
use reqwest::Method;
use serde_json::json;

use super::*;

type Got = Arc<Mutex<Vec<Click>>>;

/// A tiny handoff: verifies with handoff's verifier, parses with its parser, keeps the clicks.
async fn receiver() -> (String, Got) {
    let got = Got::default();
    let app = axum::Router::new()
        .route(handoff_slack::INTERACTIONS_PATH, route_post(receive))
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}{}",
        listener.local_addr().unwrap(),
        handoff_slack::INTERACTIONS_PATH
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

async fn receive(State(got): State<Got>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header(CONTENT_TYPE.as_str()) != Some("application/x-www-form-urlencoded") {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, String::new());
    }
    let request = SignedRequest {
        signature: header(HEADER_SIGNATURE),
        timestamp: header(HEADER_TIMESTAMP),
        body: &body,
    };
    let secrets = [SecretString::from(SIGNING_SECRET)];
    let now = jiff::Timestamp::now().as_second();
    match signature::verify(&request, &secrets, now, WINDOW_S) {
        Err(e) => (StatusCode::UNAUTHORIZED, e.code().to_owned()),
        Ok(verified) => match parse(&verified) {
            Ok(click) => {
                got.lock().unwrap().push(click);
                (StatusCode::OK, String::new())
            }
            Err(e) => (StatusCode::BAD_REQUEST, e.code().to_owned()),
        },
    }
}

fn handoff_ref() -> HandoffRef {
    HandoffRef::parse("h1:62515:1001:2").unwrap()
}

fn lead() -> Lead {
    Lead {
        handoff: handoff_ref(),
        name: "Jane Doe".into(),
        company: Some("Acme GmbH".into()),
        why_owner: "DACH territory, round robin".into(),
        score: Some(72),
        score_reasons: vec!["Pricing page visit".into()],
        sla_due: "2026-11-24T15:00:00Z".parse().unwrap(),
        record_url: "https://app.hubspot.com/contacts/62515/record/0-1/1001".into(),
        task_url: None,
    }
}

fn reasons() -> DispositionReasons {
    DispositionReasons::new([
        ("no_budget", "No budget"),
        ("competitor", "Went with a competitor"),
    ])
    .unwrap()
}

/// A sandbox with a receiver, and handoff's assignment alert posted to Katrin's DM.
async fn alerted() -> (Stand, Got, Posted) {
    let stand = start().await;
    let (url, got) = receiver().await;
    let (status, _) = stand
        .control(Method::PUT, "interactions-url", json!({"url": url}))
        .await;
    assert_eq!(status, 204);
    let message = alert(&lead(), &Alert::Assignment, &reasons());
    let posted = post(&stand.client(), &channel("D100"), &message)
        .await
        .unwrap();
    (stand, got, posted)
}

async fn click(stand: &Stand, posted: &Posted, extra: Value) -> (u16, Value) {
    let mut body = json!({
        "message": {"channel": posted.channel.as_str(), "ts": posted.ts.as_str()},
        "user": "U100",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    stand.control(Method::POST, "click", body).await
}

#[tokio::test]
async fn each_button_reaches_handoff_signed_and_parses_into_the_click_that_was_sent() {
    let (stand, got, posted) = alerted().await;
    for extra in [
        json!({"action": "accept"}),
        json!({"action": "not_a_fit", "reason": "competitor"}),
        json!({"action": "reassign", "user": "U200"}),
    ] {
        let (status, outcome) = click(&stand, &posted, extra.clone()).await;
        assert_eq!(status, 200, "{extra}: {outcome}");
        assert_eq!(outcome, json!({"status": 200, "body": ""}), "{extra}");
    }
    let expected = |user: &str, action| Click {
        team: handoff_slack::ids::TeamId::parse("T0SANDBOX").unwrap(),
        user: UserId::parse(user).unwrap(),
        channel: posted.channel.clone(),
        message_ts: posted.ts.clone(),
        action,
        handoff: handoff_ref(),
    };
    assert_eq!(
        *got.lock().unwrap(),
        vec![
            expected("U100", ClickAction::Accept),
            expected(
                "U100",
                ClickAction::NotAFit {
                    reason: "competitor".into()
                }
            ),
            expected("U200", ClickAction::Reassign),
        ]
    );
    assert_eq!(stand.stats().clicks, 3);
}

#[tokio::test]
async fn a_click_on_a_button_the_update_removed_is_refused_unless_it_raced_the_update() {
    let (stand, got, posted) = alerted().await;
    let act = Act {
        by: UserId::parse("U100").unwrap(),
        at: jiff::Timestamp::now(),
        what: ActKind::Accepted,
    };
    let done = acted(&lead(), &Alert::Assignment, &act);
    stand
        .client()
        .update_message(&posted.channel, &posted.ts, &done)
        .await
        .unwrap();
    let (status, body) = click(&stand, &posted, json!({"action": "accept"})).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("lead_accept"),
        "{body}"
    );
    let (status, raced) = click(
        &stand,
        &posted,
        json!({"action": "accept", "as_posted": true}),
    )
    .await;
    assert_eq!((status, raced["status"].as_u64()), (200, Some(200)));
    assert_eq!(got.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_click_signed_too_long_ago_is_refused_by_handoffs_check() {
    let (stand, got, posted) = alerted().await;
    let stale = jiff::Timestamp::now().as_second() - 301;
    let (status, outcome) = click(
        &stand,
        &posted,
        json!({"action": "accept", "timestamp_s": stale}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(outcome, json!({"status": 401, "body": "timestamp_stale"}));
    assert!(got.lock().unwrap().is_empty());
}

#[tokio::test]
async fn clicks_that_cannot_be_built_or_sent_say_why_and_send_nothing() {
    let (stand, got, posted) = alerted().await;
    let cases = [
        (
            json!({"action": "not_a_fit", "reason": "too_small"}),
            422,
            "no_budget",
        ),
        (json!({"action": "not_a_fit"}), 422, "competitor"),
        (json!({"action": "accept", "user": "U101"}), 404, "U101"),
        (
            json!({"action": "accept", "message": {"channel": "D100", "ts": "1.000001"}}),
            404,
            "1.000001",
        ),
        (json!({"action": "press"}), 400, "press"),
    ];
    for (extra, want, mentions) in cases {
        let (status, body) = click(&stand, &posted, extra.clone()).await;
        assert_eq!(status, want, "{extra}: {body}");
        assert!(body.to_string().contains(mentions), "{extra}: {body}");
    }
    assert!(got.lock().unwrap().is_empty());
    let (status, _) = stand
        .control(
            Method::PUT,
            "interactions-url",
            json!({"url": "http://127.0.0.1:1/x"}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = click(&stand, &posted, json!({"action": "accept"})).await;
    assert_eq!(status, 502, "{body}");
    let (status, _) = stand
        .control(Method::PUT, "interactions-url", json!({"url": "not a url"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(stand.stats().clicks, 0);
}

#[tokio::test]
async fn without_a_signing_secret_or_a_url_no_click_is_sent() {
    let stand = start_with(SlackConfig {
        signing_secret: None,
        ..slack_config()
    })
    .await;
    let posted = post(
        &stand.client(),
        &channel("D100"),
        &alert(&lead(), &Alert::Assignment, &reasons()),
    )
    .await
    .unwrap();
    let (status, body) = click(&stand, &posted, json!({"action": "accept"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("signing secret"),
        "{body}"
    );
    let stand = start().await;
    let posted = post(&stand.client(), &channel("D100"), &text("hi"))
        .await
        .unwrap();
    let (status, body) = click(&stand, &posted, json!({"action": "accept"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("interactions-url"),
        "{body}"
    );
}

#[test]
fn the_sandboxs_signer_agrees_with_handoffs_verifier() {
    let secret = SecretString::from(SIGNING_SECRET);
    let now = 1_765_000_000;
    for body in [
        &b""[..],
        b"payload=%7B%7D",
        "payload=ünïcödé".as_bytes(),
        &[0xff, 0x00, 0x7f],
    ] {
        let ts = now.to_string();
        let sig = sign_slack_v0(&secret, &ts, body);
        assert_eq!(sig, signature::sign(&secret, &ts, body));
        let request = SignedRequest {
            signature: Some(&sig),
            timestamp: Some(&ts),
            body,
        };
        assert!(signature::verify(&request, std::slice::from_ref(&secret), now, WINDOW_S).is_ok());
        let other = SecretString::from("another-secret");
        assert!(signature::verify(&request, &[other], now, WINDOW_S).is_err());
    }
}
