//! `POST /slack/interactions`: a click signed as Slack signs it is stored once and answered
//! with an empty 200; anything unsigned, stale, tampered, oversized or not a click is refused
//! with its code and stores nothing; with Slack alerts off the route does not exist. The last
//! test sends real clicks through the sandbox's Slack stand-in.

use std::time::Duration;

use handoff::sandbox::{
    ClickAction as SlackClickAction, MessageRef, SandboxConfig, SlackClick, SlackConfig,
};
use handoff::slack::blocks::{Alert, DispositionReasons, Lead, alert};
use handoff::slack::client::{PostMessage, SlackClient, SlackSettings};
use handoff::slack::ids::{ChannelId, HandoffRef};
use handoff::slack::signature::sign;
use handoff::store::slack::ClickRow;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::support::app::{TestApp, spawn_app, spawn_app_with, spawn_stepped_app_with};
use crate::support::scrape::scrape;

const SIGNING_SECRET: &str = "slack-signing-secret-for-tests-8f74";
const OLD_SIGNING_SECRET: &str = "slack-signing-secret-before-rotation";
const PATH: &str = "/slack/interactions";

/// `[alerts.slack]` on, its secrets named; the environment holds them.
const SLACK_ON: &str = "[alerts.slack]\nenabled = true\nbot_token_env = \"SLACK_BOT_TOKEN\"\n\
     signing_secret_env = [\"SLACK_SIGNING_SECRET\", \"SLACK_SIGNING_SECRET_OLD\"]\n";
const ENV: [(&str, &str); 3] = [
    ("SLACK_BOT_TOKEN", "xoxb-test-bot-token"),
    ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
    ("SLACK_SIGNING_SECRET_OLD", OLD_SIGNING_SECRET),
];

async fn slack_app() -> TestApp {
    spawn_app_with(SLACK_ON, &ENV).await
}

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A fixture of `fixtures/slack/interactions/` as Slack posts it: `payload=<json>`.
fn form(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/fixtures/slack/interactions/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let payload: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    form_of(&payload)
}

fn form_of(payload: &Value) -> Vec<u8> {
    let mut out = String::from("payload=");
    out.extend(form_urlencoded::byte_serialize(
        payload.to_string().as_bytes(),
    ));
    out.into_bytes()
}

type Headers = Vec<(&'static str, String)>;

/// The two headers Slack sends, signed with `secret` at `timestamp_s`.
fn signed(secret: &str, timestamp_s: i64, body: &[u8]) -> Headers {
    let ts = timestamp_s.to_string();
    let signature = sign(&SecretString::from(secret), &ts, body);
    vec![
        ("x-slack-request-timestamp", ts),
        ("x-slack-signature", signature),
    ]
}

async fn post(app: &TestApp, body: &[u8], headers: &[(&str, String)]) -> (u16, String) {
    let mut request = app
        .client
        .post(app.url(PATH))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v["code"].as_str().unwrap().to_owned()
}

async fn clicks(app: &TestApp, contact: u64) -> Vec<ClickRow> {
    let portal = handoff_ids::PortalId::new(62515).unwrap();
    let contact = handoff_ids::ContactId::new(contact).unwrap();
    app.store.slack().clicks_of(portal, contact).await.unwrap()
}

async fn all_clicks(app: &TestApp) -> usize {
    app.store
        .slack()
        .unapplied_clicks(1_000)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_signed_click_is_stored_and_answered_with_an_empty_200() {
    let app = slack_app().await;
    let body = form("accept");
    let (status, answer) = post(&app, &body, &signed(SIGNING_SECRET, now_s(), &body)).await;
    assert_eq!((status, answer.as_str()), (200, ""));
    let rows = clicks(&app, 987654).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(
        (row.action.as_str(), row.reason.as_deref(), row.version),
        ("accept", None, 1)
    );
    assert_eq!(
        (row.team_id.as_str(), row.user_id.as_str()),
        ("T1DC2JH3J", "U2CERLKJA")
    );
    assert_eq!(
        (row.channel_id.as_str(), row.message_ts.as_str()),
        ("D0123ABCDEF", "1503435956.000247")
    );
    assert_eq!(row.action_ts, "1548426417.840180");
    assert_eq!((row.applied_at_ms, row.outcome.as_deref()), (None, None));
    // Signed with the secret being rotated out: still Slack's.
    let body = form("not_a_fit");
    let (status, _) = post(&app, &body, &signed(OLD_SIGNING_SECRET, now_s(), &body)).await;
    assert_eq!(status, 200);
    let rows = clicks(&app, 987654).await;
    assert_eq!(rows[1].action, "not_a_fit");
    assert_eq!(rows[1].reason.as_deref(), Some("wrong_territory"));
}

#[tokio::test]
async fn a_click_sent_again_is_stored_once() {
    let app = slack_app().await;
    let body = form("reassign");
    let headers = signed(SIGNING_SECRET, now_s(), &body);
    assert_eq!(post(&app, &body, &headers).await, (200, String::new()));
    // Slack sending the same click again, signed afresh.
    let again = signed(SIGNING_SECRET, now_s() + 1, &body);
    assert_eq!(post(&app, &body, &again).await, (200, String::new()));
    assert_eq!(all_clicks(&app).await, 1);
    let metrics = scrape(&app.url("")).await;
    let series = |o: &str| format!("handoff_slack_interactions_total{{outcome=\"{o}\"}}");
    assert_eq!(metrics.value(&series("accepted")), 1.0);
    assert_eq!(metrics.value(&series("duplicate")), 1.0);
}

#[tokio::test]
async fn refused_clicks_store_nothing_and_say_why() {
    let app = slack_app().await;
    let body = form("accept");
    let now = now_s();
    let mut tampered = body.clone();
    let last = tampered.len() - 5;
    tampered[last] ^= 1;
    let good = signed(SIGNING_SECRET, now, &body);
    let cases: Vec<(&str, Vec<u8>, Headers, &str)> = vec![
        (
            "stale",
            body.clone(),
            signed(SIGNING_SECRET, now - 301, &body),
            "timestamp_stale",
        ),
        (
            "future",
            body.clone(),
            signed(SIGNING_SECRET, now + 301, &body),
            "timestamp_future",
        ),
        (
            "tampered body",
            tampered,
            good.clone(),
            "signature_mismatch",
        ),
        (
            "wrong secret",
            body.clone(),
            signed("not-the-signing-secret", now, &body),
            "signature_mismatch",
        ),
        (
            "no signature",
            body.clone(),
            vec![good[0].clone()],
            "signature_missing",
        ),
        (
            "no timestamp",
            body.clone(),
            vec![good[1].clone()],
            "timestamp_invalid",
        ),
        ("no headers", body.clone(), vec![], "signature_missing"),
    ];
    for (what, body, headers, expected) in cases {
        let (status, answer) = post(&app, &body, &headers).await;
        assert_eq!(status, 401, "{what}: {answer}");
        assert_eq!(code(&answer), expected, "{what}");
        assert!(!answer.contains(SIGNING_SECRET), "{what}: {answer}");
    }
    assert_eq!(all_clicks(&app).await, 0);
    let metrics = scrape(&app.url("")).await;
    let refused = "handoff_slack_interactions_total{outcome=\"signature_mismatch\"}";
    assert_eq!(metrics.value(refused), 2.0);
    assert_eq!(
        metrics.get("handoff_slack_interactions_total{outcome=\"accepted\"}"),
        None
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_before_it_is_verified() {
    let app = slack_app().await;
    let body = vec![b'a'; handoff::slack::interaction::MAX_BODY_BYTES + 1];
    let (status, answer) = post(&app, &body, &signed(SIGNING_SECRET, now_s(), &body)).await;
    assert_eq!((status, code(&answer).as_str()), (413, "payload_too_large"));
    assert_eq!(all_clicks(&app).await, 0);
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_click_on_our_buttons_is_refused_with_400() {
    let app = slack_app().await;
    let mut other_type: Value = serde_json::from_slice(
        &std::fs::read(format!(
            "{}/fixtures/slack/interactions/accept.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    other_type["type"] = json!("view_submission");
    let mut foreign = other_type.clone();
    foreign["type"] = json!("block_actions");
    foreign["actions"][0]["action_id"] = json!("open_record");
    for (body, expected) in [
        (form_of(&other_type), "interaction_type_unsupported"),
        (form_of(&foreign), "action_unknown"),
        (b"text=hello".to_vec(), "payload_missing"),
        (b"payload=%7Bnot%20json".to_vec(), "payload_json_invalid"),
    ] {
        let (status, answer) = post(&app, &body, &signed(SIGNING_SECRET, now_s(), &body)).await;
        assert_eq!((status, code(&answer).as_str()), (400, expected));
    }
    assert_eq!(all_clicks(&app).await, 0);
}

#[tokio::test]
async fn with_slack_alerts_off_the_route_does_not_exist() {
    let app = spawn_app().await;
    let body = form("accept");
    let (status, answer) = post(&app, &body, &signed(SIGNING_SECRET, now_s(), &body)).await;
    assert_eq!((status, code(&answer).as_str()), (404, "not_found"));
    assert_eq!(all_clicks(&app).await, 0);
}

#[tokio::test]
async fn the_five_minute_window_is_judged_on_the_service_clock() {
    let app = spawn_stepped_app_with(SLACK_ON, &ENV).await;
    let body = form("accept");
    // Six minutes later on the service's clock, a click signed at the wall clock's now is old.
    app.advance(Duration::from_secs(360));
    let (status, answer) = post(&app, &body, &signed(SIGNING_SECRET, now_s(), &body)).await;
    assert_eq!((status, code(&answer).as_str()), (401, "timestamp_stale"));
    let later = now_s() + 360;
    let (status, _) = post(&app, &body, &signed(SIGNING_SECRET, later, &body)).await;
    assert_eq!(status, 200);
}

/// Katrin's (owner 100) DM alert for contact 1001, posted through the stand-in.
async fn posted_alert(sb: &handoff::sandbox::RunningSandbox) -> (ChannelId, String) {
    let settings = SlackSettings {
        base_url: sb.slack_base_url.clone(),
        ..SlackSettings::default()
    };
    let client = SlackClient::new(SecretString::from("xoxb-test-bot-token"), &settings).unwrap();
    let lead = Lead {
        handoff: HandoffRef::parse("h1:62515:1001:2").unwrap(),
        name: "Jane Doe".into(),
        company: Some("Acme GmbH".into()),
        why_owner: "DACH territory".into(),
        score: Some(72),
        score_reasons: vec!["Pricing page visit".into()],
        sla_due: "2026-11-24T15:00:00Z".parse().unwrap(),
        record_url: "https://app.hubspot.com/contacts/62515/record/0-1/1001".into(),
        task_url: None,
    };
    let reasons = DispositionReasons::new([("no_budget", "No budget")]).unwrap();
    let message = alert(&lead, &Alert::Assignment, &reasons);
    let dm = ChannelId::parse("D100").unwrap();
    let post = PostMessage {
        channel: &dm.clone().into(),
        message: &message,
        thread_ts: None,
        reply_broadcast: false,
    };
    let posted = client.post_message(&post).await.unwrap();
    (posted.channel, posted.ts.as_str().to_owned())
}

#[tokio::test]
async fn clicks_sent_by_the_slack_stand_in_land_in_slack_clicks() {
    let sb = handoff::sandbox::spawn(SandboxConfig {
        slack: SlackConfig {
            signing_secret: Some(SecretString::from(SIGNING_SECRET)),
            ..SlackConfig::default()
        },
        ..crate::support::sandbox::seeded()
    })
    .await
    .unwrap();
    let app = slack_app().await;
    sb.sandbox
        .set_slack_interactions_url(&app.url(PATH))
        .unwrap();
    let (channel, ts) = posted_alert(&sb).await;
    let click = |action, reason: Option<&str>, user: &str| SlackClick {
        message: MessageRef {
            channel: channel.to_string(),
            ts: ts.clone(),
        },
        action,
        reason: reason.map(str::to_owned),
        user: user.into(),
        as_posted: false,
        timestamp_s: None,
    };
    for c in [
        click(SlackClickAction::Accept, None, "U100"),
        click(SlackClickAction::NotAFit, Some("no_budget"), "U100"),
        click(SlackClickAction::Reassign, None, "U101"),
    ] {
        let outcome = sb.sandbox.slack_click(c).await.unwrap();
        assert_eq!((outcome.status, outcome.body.as_str()), (200, ""));
    }
    // A click signed ten minutes ago is refused and stored nowhere.
    let mut stale = click(SlackClickAction::Accept, None, "U100");
    stale.timestamp_s = Some(now_s() - 600);
    let outcome = sb.sandbox.slack_click(stale).await.unwrap();
    assert_eq!(outcome.status, 401, "{}", outcome.body);
    let rows = clicks(&app, 1001).await;
    let seen: Vec<_> = rows
        .iter()
        .map(|r| (r.action.as_str(), r.reason.as_deref(), r.user_id.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("accept", None, "U100"),
            ("not_a_fit", Some("no_budget"), "U100"),
            ("reassign", None, "U101"),
        ]
    );
    for r in &rows {
        assert_eq!(
            (r.portal_id.get(), r.contact_id.get(), r.version),
            (62515, 1001, 2)
        );
        assert_eq!(
            (r.channel_id.as_str(), r.message_ts.as_str()),
            ("D100", ts.as_str())
        );
        assert_eq!(r.team_id, "T0SANDBOX");
    }
}
