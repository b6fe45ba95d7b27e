//! The Web API methods handoff calls, at `/api/<method>` as on `https://slack.com/api/`, in
//! Slack's shapes (docs/slack.md "Web API methods"): a refused call is HTTP 200 with
//! `{"ok": false, "error": code}`; a rate limit is HTTP 429 with `Retry-After` seconds. Each call
//! is counted, then checked for the bot token (`not_authed`, `invalid_auth`), then meets the
//! injected faults; `chat.postMessage` also meets the per-channel pace.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::faults::SlackAnswer;
use super::messages::{Content, SlackMessage};
use super::users::{BOT_ID, BOT_USER, User};
use crate::Sandbox;

pub(crate) fn router(sb: Sandbox) -> Router {
    Router::new()
        .route("/api/users.lookupByEmail", get(lookup_by_email))
        .route("/api/conversations.open", post(open))
        .route("/api/chat.postMessage", post(post_message))
        .route("/api/chat.update", post(update))
        .route("/api/{method}", any(unknown_method))
        .with_state(sb)
}

/// `{"ok": true, …fields}`.
fn ok(fields: Value) -> Response {
    let mut body = json!({ "ok": true });
    if let (Some(out), Value::Object(fields)) = (body.as_object_mut(), fields) {
        out.extend(fields);
    }
    Json(body).into_response()
}

/// HTTP 200 `{"ok": false, "error": code}`.
fn fail(code: &str) -> Response {
    Json(json!({ "ok": false, "error": code })).into_response()
}

fn rate_limited(retry_after_s: u64) -> Response {
    let body = Json(json!({ "ok": false, "error": "ratelimited" }));
    let header = [(RETRY_AFTER, retry_after_s.to_string())];
    (StatusCode::TOO_MANY_REQUESTS, header, body).into_response()
}

async fn unknown_method() -> Response {
    let body = Json(json!({ "ok": false, "error": "unknown_method" }));
    (StatusCode::NOT_FOUND, body).into_response()
}

/// `Authorization: Bearer <token>`: none is `not_authed`, another than the configured one
/// `invalid_auth` (any non-empty one when none is configured).
fn authenticate(expected: Option<&SecretString>, headers: &HeaderMap) -> Result<(), &'static str> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or("not_authed")?;
    match expected {
        Some(want) if want.expose_secret() != token => Err("invalid_auth"),
        _ => Ok(()),
    }
}

/// Counts the call, checks the token and applies the faults; `Err` is the answer to send.
async fn enter(sb: &Sandbox, method: &str, headers: &HeaderMap) -> Result<(), Response> {
    let verdict = {
        let mut slack = sb.slack();
        slack.count(method);
        if let Err(code) = authenticate(sb.config().slack.bot_token.as_ref(), headers) {
            slack.stats.unauthorized += 1;
            return Err(fail(code));
        }
        slack.faults.decide(method, Instant::now())
    };
    if !verdict.delay.is_zero() {
        tokio::time::sleep(verdict.delay).await;
    }
    let mut slack = sb.slack();
    match verdict.answer {
        None | Some(SlackAnswer::Slow { .. }) => Ok(()),
        Some(SlackAnswer::RateLimited { retry_after_s }) => {
            slack.stats.rate_limited += 1;
            Err(rate_limited(retry_after_s))
        }
        Some(SlackAnswer::Error { code }) => {
            slack.stats.injected_errors += 1;
            Err(fail(&code))
        }
        Some(SlackAnswer::Status { status }) => {
            slack.stats.injected_5xx += 1;
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Err(status.into_response())
        }
    }
}

async fn lookup_by_email(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    if let Err(answer) = enter(&sb, "users.lookupByEmail", &headers).await {
        return answer;
    }
    let Some(email) = query.get("email").filter(|e| !e.trim().is_empty()) else {
        return fail("invalid_arguments");
    };
    match sb.directory().by_email(email) {
        Some(user) => ok(json!({ "user": user.render(&sb.config().slack.team_id) })),
        None => fail("users_not_found"),
    }
}

/// One user's DM; the stand-in plays no group DMs.
async fn open(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(answer) = enter(&sb, "conversations.open", &headers).await {
        return answer;
    }
    let users: Vec<String> = form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "users")
        .flat_map(|(_, v)| {
            v.split(',')
                .map(|u| u.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|u| !u.is_empty())
        .collect();
    let id = match users.as_slice() {
        [] => return fail("users_list_not_supplied"),
        [one] => one,
        _ => return fail("sandbox_group_dm_not_played"),
    };
    let dm = match sb.directory().by_id(id) {
        None => return fail("user_not_found"),
        Some(user) if user.deleted => return fail("user_disabled"),
        Some(user) => user.dm(),
    };
    let fresh = sb.slack().opened.insert(dm.clone());
    let mut answer = json!({ "channel": { "id": dm } });
    if !fresh {
        answer["no_op"] = json!(true);
        answer["already_open"] = json!(true);
    }
    ok(answer)
}

/// A JSON body's object, or `invalid_json`.
fn json_body(body: &Bytes) -> Result<Value, &'static str> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err("invalid_json"),
    }
}

/// Where a post goes: a user's id or DM is their DM, a channel the bot is in is itself.
fn resolve(sb: &Sandbox, channel: &str) -> Result<String, &'static str> {
    let person = |user: Option<&User>| {
        user.filter(|u| !u.deleted)
            .map(User::dm)
            .ok_or("channel_not_found")
    };
    let cfg = &sb.config().slack;
    match channel.chars().next() {
        Some('U' | 'W') => person(sb.directory().by_id(channel)),
        Some('D') => person(sb.directory().by_dm(channel)),
        _ if cfg.channels.iter().any(|c| c == channel) => Ok(channel.to_owned()),
        _ if cfg.channels_not_joined.iter().any(|c| c == channel) => Err("not_in_channel"),
        _ => Err("channel_not_found"),
    }
}

/// A message as `chat.postMessage` and `chat.update` return it.
fn render(m: &SlackMessage) -> Value {
    let mut out = json!({
        "type": "message", "user": m.user, "text": m.text, "blocks": m.blocks, "ts": m.ts,
    });
    if m.user == BOT_USER {
        out["bot_id"] = json!(BOT_ID);
    }
    if let Some(parent) = &m.thread_ts {
        out["thread_ts"] = json!(parent);
    }
    out
}

async fn post_message(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(answer) = enter(&sb, "chat.postMessage", &headers).await {
        return answer;
    }
    let read = json_body(&body).and_then(|b| Content::read(&b).map(|c| (b, c)));
    let (body, content) = match read {
        Ok(read) => read,
        Err(code) => return fail(code),
    };
    if content.is_empty() {
        return fail("no_text");
    }
    let target = body["channel"].as_str().unwrap_or_default();
    let channel = match resolve(&sb, target) {
        Ok(channel) => channel,
        Err(code) => return fail(code),
    };
    let thread_ts = body["thread_ts"].as_str().map(str::to_owned);
    let mut slack = sb.slack();
    if let Err(retry_after_s) = slack.pace.admit(&channel, Instant::now()) {
        slack.stats.rate_limited += 1;
        slack.stats.channel_rate_limited += 1;
        return rate_limited(retry_after_s);
    }
    let answer = match slack.messages.post(channel, BOT_USER, content, thread_ts) {
        Ok(m) => ok(json!({ "channel": m.channel, "ts": m.ts, "message": render(m) })),
        Err(code) => return fail(code),
    };
    slack.stats.posted += 1;
    answer
}

async fn update(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(answer) = enter(&sb, "chat.update", &headers).await {
        return answer;
    }
    let body = match json_body(&body) {
        Ok(body) => body,
        Err(code) => return fail(code),
    };
    let channel = body["channel"].as_str().unwrap_or_default();
    // Not a user id: `chat.update` needs the conversation (docs/slack.md "Direct messages and
    // chat.update").
    let known = !channel.starts_with(['U', 'W']) && resolve(&sb, channel).is_ok();
    if !known {
        return fail("channel_not_found");
    }
    let Some(ts) = body["ts"].as_str() else {
        return fail("message_not_found");
    };
    let content = match Content::read(&body) {
        Ok(content) => content,
        Err(code) => return fail(code),
    };
    let mut slack = sb.slack();
    let answer = match slack.messages.update(channel, ts, content) {
        Ok(m) => ok(json!({
            "channel": m.channel, "ts": m.ts, "text": m.text, "message": render(m),
        })),
        Err(code) => return fail(code),
    };
    slack.stats.updated += 1;
    answer
}
