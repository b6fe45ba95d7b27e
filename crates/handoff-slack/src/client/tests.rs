//! The client against a local fake Slack (wiremock) answering with Slack's shapes
//! (docs/slack.md "Web API methods", "Errors and how handoff classes them").

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::blocks::Message;
use crate::ids::{ChannelId, Conversation, MessageTs, UserId};

const TOKEN: &str = "xoxb-17-secret-token-value";

fn client(server: &MockServer) -> SlackClient {
    let settings = SlackSettings {
        base_url: format!("{}/api", server.uri()),
        timeout: Duration::from_secs(5),
        ..SlackSettings::default()
    };
    SlackClient::new(SecretString::from(TOKEN.to_owned()), &settings).unwrap()
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn slack_error(code: &str) -> ResponseTemplate {
    ok(json!({"ok": false, "error": code}))
}

async fn answer(server: &MockServer, slack_method: &str, response: ResponseTemplate) {
    Mock::given(path(format!("/api/{slack_method}")))
        .respond_with(response)
        .mount(server)
        .await;
}

fn message() -> Message {
    Message {
        text: "New lead for you: Jane Doe. Respond by Tue Nov 24 2026 15:00 UTC.".into(),
        blocks: vec![
            json!({"type": "section", "block_id": "b1", "text": {"type": "mrkdwn", "text": "hi"}}),
        ],
    }
}

/// Posts [`message`] to [`dm`], not in a thread.
async fn post_to_dm(c: &SlackClient) -> Result<Posted, SlackError> {
    let m = message();
    let post = PostMessage {
        channel: &dm().into(),
        message: &m,
        thread_ts: None,
        reply_broadcast: false,
    };
    c.post_message(&post).await
}

fn dm() -> ChannelId {
    ChannelId::parse("D0123ABCDEF").unwrap()
}

#[tokio::test]
async fn a_user_is_found_by_email_with_the_bot_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/users.lookupByEmail"))
        .and(query_param("email", "jane+sales@example.com"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ok(json!({"ok": true, "user": {
            "id": "U2CERLKJA", "team_id": "T1DC2JH3J", "deleted": false, "tz": "Europe/Berlin",
            "profile": {"email": "jane+sales@example.com"}}})))
        .expect(1)
        .mount(&server)
        .await;
    let user = client(&server)
        .lookup_user_by_email("jane+sales@example.com")
        .await
        .unwrap();
    assert_eq!(user.id.as_str(), "U2CERLKJA");
    assert_eq!(user.team_id.unwrap().as_str(), "T1DC2JH3J");
    assert_eq!(user.time_zone.as_deref(), Some("Europe/Berlin"));
}

#[tokio::test]
async fn an_unknown_or_deactivated_user_is_no_user() {
    let server = MockServer::start().await;
    answer(
        &server,
        "users.lookupByEmail",
        slack_error("users_not_found"),
    )
    .await;
    let err = client(&server)
        .lookup_user_by_email("x@example.com")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SlackError::NoUser {
            code: "users_not_found".into()
        }
    );

    let server = MockServer::start().await;
    let deleted = ok(json!({"ok": true, "user": {"id": "U2CERLKJA", "deleted": true}}));
    answer(&server, "users.lookupByEmail", deleted).await;
    let err = client(&server)
        .lookup_user_by_email("x@example.com")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "user_deleted");
    assert_eq!(err.class(), "no_user");
}

#[tokio::test]
async fn a_dm_is_opened_with_a_form_and_its_d_id_returned() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/conversations.open"))
        .and(body_string("users=U2CERLKJA"))
        .respond_with(ok(json!({"ok": true, "no_op": true, "already_open": true,
            "channel": {"id": "D0123ABCDEF"}})))
        .expect(1)
        .mount(&server)
        .await;
    let user = UserId::parse("U2CERLKJA").unwrap();
    assert_eq!(client(&server).open_dm(&user).await.unwrap(), dm());

    let server = MockServer::start().await;
    answer(&server, "conversations.open", slack_error("user_disabled")).await;
    let err = client(&server).open_dm(&user).await.unwrap_err();
    assert_eq!(err.class(), "no_user");
}

#[tokio::test]
async fn a_thread_reply_is_posted_as_json_and_its_place_returned() {
    let server = MockServer::start().await;
    let parent = MessageTs::parse("1503435956.000247").unwrap();
    let m = message();
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .and(header("content-type", "application/json; charset=utf-8"))
        .and(body_partial_json(json!({
            "channel": "D0123ABCDEF", "text": m.text, "blocks": m.blocks,
            "thread_ts": "1503435956.000247", "reply_broadcast": true, "unfurl_links": false})))
        .respond_with(ok(
            json!({"ok": true, "channel": "D0123ABCDEF", "ts": "1503435999.000300",
            "message": {"text": "…"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let post = PostMessage {
        channel: &dm().into(),
        message: &m,
        thread_ts: Some(&parent),
        reply_broadcast: true,
    };
    let posted = client(&server).post_message(&post).await.unwrap();
    assert_eq!(posted.channel, dm());
    assert_eq!(posted.ts.as_str(), "1503435999.000300");
}

#[tokio::test]
async fn an_update_sends_text_and_blocks_together() {
    let server = MockServer::start().await;
    let m = message();
    Mock::given(path("/api/chat.update"))
        .and(body_partial_json(
            json!({"channel": "D0123ABCDEF", "ts": "1503435956.000247",
            "text": m.text, "blocks": m.blocks}),
        ))
        .respond_with(ok(
            json!({"ok": true, "channel": "D0123ABCDEF", "ts": "1503435956.000247",
            "text": m.text}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let ts = MessageTs::parse("1503435956.000247").unwrap();
    let c = client(&server);
    assert_eq!(c.update_message(&dm(), &ts, &m).await.unwrap().ts, ts);

    let server = MockServer::start().await;
    answer(&server, "chat.update", slack_error("cant_update_message")).await;
    let err = client(&server)
        .update_message(&dm(), &ts, &m)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SlackError::Permanent {
            code: "cant_update_message".into()
        }
    );
}

#[tokio::test]
async fn a_refused_token_is_an_auth_failure_naming_a_missing_scope() {
    let server = MockServer::start().await;
    answer(
        &server,
        "chat.postMessage",
        ok(json!({"ok": false, "error": "missing_scope",
        "needed": "chat:write", "provided": "users:read"})),
    )
    .await;
    let err = post_to_dm(&client(&server)).await.unwrap_err();
    assert_eq!(
        err,
        SlackError::Auth {
            code: "missing_scope".into(),
            needed: Some("chat:write".into())
        }
    );
    for code in [
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
    ] {
        let server = MockServer::start().await;
        answer(&server, "users.lookupByEmail", slack_error(code)).await;
        let err = client(&server)
            .lookup_user_by_email("a@b.c")
            .await
            .unwrap_err();
        assert_eq!((err.class(), err.code()), ("auth", code));
    }
}

#[tokio::test]
async fn a_429_returns_retry_after_and_pauses_that_method_but_no_other() {
    let server = MockServer::start().await;
    Mock::given(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30"))
        .expect(1)
        .mount(&server)
        .await;
    answer(
        &server,
        "users.lookupByEmail",
        ok(json!({"ok": true, "user": {"id": "U2CERLKJA"}})),
    )
    .await;
    let c = client(&server);
    let m = message();
    let post = PostMessage {
        channel: &dm().into(),
        message: &m,
        thread_ts: None,
        reply_broadcast: false,
    };
    let limited = SlackError::RateLimited {
        method: Method::PostMessage,
        retry_after: Duration::from_secs(30),
    };
    assert_eq!(c.post_message(&post).await.unwrap_err(), limited);
    // The pause holds for every channel of the workspace, without a request to Slack
    // (`expect(1)` above); the clones of a client share it.
    let other = Conversation::parse("#team").unwrap();
    let to_other = PostMessage {
        channel: &other,
        ..post
    };
    let err = c.clone().post_message(&to_other).await.unwrap_err();
    assert!(
        matches!(err, SlackError::RateLimited { method: Method::PostMessage, retry_after }
        if retry_after > Duration::from_secs(25))
    );
    assert!(c.lookup_user_by_email("a@b.c").await.is_ok());
}

#[tokio::test]
async fn a_ratelimited_body_is_a_rate_limit_too() {
    let server = MockServer::start().await;
    answer(
        &server,
        "chat.update",
        slack_error("ratelimited").insert_header("Retry-After", "12"),
    )
    .await;
    let ts = MessageTs::parse("1.2").unwrap();
    let err = client(&server)
        .update_message(&dm(), &ts, &message())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        SlackError::RateLimited {
            method: Method::Update,
            retry_after: Duration::from_secs(12)
        }
    );
}

#[tokio::test]
async fn server_failures_are_transient_and_other_refusals_permanent() {
    let cases = [
        (ResponseTemplate::new(503), "transient", "http_503"),
        (ResponseTemplate::new(500), "transient", "http_500"),
        (slack_error("internal_error"), "transient", "internal_error"),
        (slack_error("fatal_error"), "transient", "fatal_error"),
        (
            ResponseTemplate::new(200).set_body_string("<html>bad gateway</html>"),
            "transient",
            "unreadable_response",
        ),
        (
            ok(json!({"channel": "D0123ABCDEF"})),
            "transient",
            "unreadable_response",
        ),
        (ResponseTemplate::new(404), "permanent", "http_404"),
        (
            slack_error("channel_not_found"),
            "permanent",
            "channel_not_found",
        ),
        (slack_error("not_in_channel"), "permanent", "not_in_channel"),
        (slack_error("invalid_blocks"), "permanent", "invalid_blocks"),
        (
            ok(json!({"ok": true, "channel": "D0123ABCDEF"})),
            "permanent",
            "unexpected_response",
        ),
    ];
    for (response, class, code) in cases {
        let server = MockServer::start().await;
        answer(&server, "chat.postMessage", response).await;
        let err = post_to_dm(&client(&server)).await.unwrap_err();
        assert_eq!((err.class(), err.code()), (class, code));
    }
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_transient() {
    let server = MockServer::start().await;
    answer(
        &server,
        "conversations.open",
        ok(json!({"ok": true})).set_delay(Duration::from_secs(5)),
    )
    .await;
    let settings = SlackSettings {
        base_url: format!("{}/api/", server.uri()),
        timeout: Duration::from_millis(50),
        ..SlackSettings::default()
    };
    let c = SlackClient::new(SecretString::from(TOKEN.to_owned()), &settings).unwrap();
    let user = UserId::parse("U2CERLKJA").unwrap();
    assert_eq!(c.open_dm(&user).await.unwrap_err().code(), "timeout");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let settings = SlackSettings {
        base_url: format!("http://{}/api/", closed.local_addr().unwrap()),
        ..SlackSettings::default()
    };
    drop(closed);
    let c = SlackClient::new(SecretString::from(TOKEN.to_owned()), &settings).unwrap();
    assert_eq!(c.open_dm(&user).await.unwrap_err().class(), "transient");
}

#[test]
fn a_bad_base_url_or_token_is_refused_when_the_client_is_built() {
    let bad = |base: &str| SlackSettings {
        base_url: base.into(),
        ..SlackSettings::default()
    };
    let token = || SecretString::from(TOKEN.to_owned());
    for base in ["", "slack.com/api", "ftp://slack.com/api/", "https://"] {
        assert!(
            matches!(
                SlackClient::new(token(), &bad(base)),
                Err(BuildError::BaseUrl(_))
            ),
            "{base}"
        );
    }
    for t in ["", "  ", "xoxb-line\nbreak"] {
        let err = SlackClient::new(SecretString::from(t.to_owned()), &SlackSettings::default())
            .unwrap_err();
        assert_eq!(err, BuildError::Token);
    }
}
