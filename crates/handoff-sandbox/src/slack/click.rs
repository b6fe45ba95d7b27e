//! A click, as Slack sends it (docs/slack.md "Interaction payloads"): `POST
//! /_sandbox/slack/click` names a stored message, the button (`accept`, `not_a_fit` with its
//! reason, `reassign`) and who clicks; the stand-in finds that element in the message's current
//! blocks — so it clicks what was actually sent — builds the `block_actions` payload (user, team,
//! channel, container, the message with its blocks, state, actions[]), form-encodes it as
//! `payload=…`, signs it (`signing.rs`) and posts it to handoff's interactions URL, returning
//! handoff's status and body.

use std::time::Duration;

use axum::http::header::CONTENT_TYPE;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::signing::sign_slack_v0;
use super::users::{BOT_ID, BOT_USER, User};
use crate::Sandbox;

/// `POST /_sandbox/slack/click`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackClick {
    /// The message clicked.
    pub message: MessageRef,
    /// Which element.
    pub action: ClickAction,
    /// For `not_a_fit`: the option's value, one the message offers.
    #[serde(default)]
    pub reason: Option<String>,
    /// Who clicks (`U…`): anyone in the workspace can.
    pub user: String,
    /// Click the blocks as first posted, not as updated: a click that raced the update.
    #[serde(default)]
    pub as_posted: bool,
    /// Sign with this `X-Slack-Request-Timestamp` (Unix seconds) instead of now.
    #[serde(default)]
    pub timestamp_s: Option<i64>,
}

/// A message by its conversation and `ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRef {
    /// `D…`, `C…` or `G…`.
    pub channel: String,
    /// The message's `ts`.
    pub ts: String,
}

/// The alert's elements, by the `action_id` handoff gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClickAction {
    /// The **Accept** button.
    Accept,
    /// The **Not a fit** select.
    NotAFit,
    /// The **Reassign** button (its confirm dialog taken as confirmed).
    Reassign,
}

impl ClickAction {
    /// The element's `action_id` in handoff's alerts (docs/slack.md "Block Kit messages").
    fn action_id(self) -> &'static str {
        match self {
            Self::Accept => "lead_accept",
            Self::NotAFit => "lead_not_a_fit",
            Self::Reassign => "lead_reassign",
        }
    }
}

/// handoff's answer to the click.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClickOutcome {
    /// The HTTP status.
    pub status: u16,
    /// The body, as text.
    pub body: String,
}

/// Why no click was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClickError {
    /// Nothing to sign with.
    #[error("no Slack signing secret is configured, so a click cannot be signed")]
    NoSecret,
    /// Nowhere to send it.
    #[error("no interactions URL is set: PUT /_sandbox/slack/interactions-url first")]
    NoUrl,
    /// The message is not in the workspace.
    #[error("no message {ts} in {channel}")]
    NoMessage {
        /// The channel asked for.
        channel: String,
        /// The ts asked for.
        ts: String,
    },
    /// The clicker is not an active user of the workspace.
    #[error("{0} is not an active Slack user of the sandbox")]
    NoUser(String),
    /// The message has no such element (never sent, or replaced by an update).
    #[error("the message has no element with action_id {0}")]
    NoElement(&'static str),
    /// `not_a_fit` without a reason the select offers.
    #[error("not_a_fit needs a reason the message offers: one of {0:?}")]
    NoReason(Vec<String>),
    /// handoff did not answer.
    #[error("handoff did not answer at {url} ({why})")]
    Unreachable {
        /// Where the click went.
        url: String,
        /// `timeout`, `connect` or `request_failed`.
        why: &'static str,
    },
}

/// The element with `action_id` in the message's actions blocks, with its block's id.
fn find_element<'a>(blocks: &'a [Value], action_id: &str) -> Option<(&'a str, &'a Value)> {
    blocks
        .iter()
        .filter(|b| b["type"] == "actions")
        .find_map(|b| {
            let element = b["elements"]
                .as_array()?
                .iter()
                .find(|e| e["action_id"] == action_id)?;
            Some((b["block_id"].as_str().unwrap_or_default(), element))
        })
}

/// `actions[0]`: a button with its `value`, or a select with the chosen `selected_option`.
fn action(
    element: &Value,
    block_id: &str,
    reason: Option<&str>,
    action_ts: &str,
) -> Result<Value, ClickError> {
    let mut out = json!({
        "type": element["type"], "action_id": element["action_id"], "block_id": block_id,
        "action_ts": action_ts,
    });
    if element["type"] == "static_select" {
        let options = element["options"].as_array().cloned().unwrap_or_default();
        let offered = || {
            options
                .iter()
                .filter_map(|o| o["value"].as_str().map(str::to_owned))
        };
        let chosen = options
            .iter()
            .find(|o| reason.is_some_and(|r| o["value"] == r))
            .ok_or_else(|| ClickError::NoReason(offered().collect()))?;
        out["selected_option"] = json!({ "text": chosen["text"], "value": chosen["value"] });
        out["placeholder"] = element["placeholder"].clone();
    } else {
        for key in ["text", "value", "style"] {
            if !element[key].is_null() {
                out[key] = element[key].clone();
            }
        }
    }
    Ok(out)
}

/// `state.values`: every select of the message, the clicked one with its choice.
fn state(blocks: &[Value], clicked: &Value) -> Value {
    let mut values = serde_json::Map::new();
    for block in blocks.iter().filter(|b| b["type"] == "actions") {
        let selects = block["elements"].as_array().into_iter().flatten();
        for select in selects.filter(|e| e["type"] == "static_select") {
            let chosen = if clicked["action_id"] == select["action_id"] {
                clicked["selected_option"].clone()
            } else {
                Value::Null
            };
            let id = block["block_id"].as_str().unwrap_or_default().to_owned();
            let entry = values.entry(id).or_insert_with(|| json!({}));
            entry[select["action_id"].as_str().unwrap_or_default()] =
                json!({ "type": "static_select", "selected_option": chosen });
        }
    }
    json!({ "values": values })
}

/// The whole `block_actions` payload.
fn payload(team: &str, user: &User, message: &Value, action: Value, action_ts: &str) -> Value {
    let channel = message["channel"].as_str().unwrap_or_default();
    let ts = &message["ts"];
    let blocks = message["blocks"].as_array().cloned().unwrap_or_default();
    let mut shown = json!({
        "type": "message", "user": BOT_USER, "bot_id": BOT_ID, "text": message["text"],
        "blocks": blocks, "ts": ts,
    });
    if !message["thread_ts"].is_null() {
        shown["thread_ts"] = message["thread_ts"].clone();
    }
    let name = if channel.starts_with('D') {
        "directmessage"
    } else {
        "sandbox-channel"
    };
    json!({
        "type": "block_actions",
        "user": { "id": user.id(), "username": user.handle(), "name": user.handle(), "team_id": team },
        "api_app_id": "A0SANDBOX",
        "token": "sandbox-deprecated-verification-token",
        "container": { "type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false },
        "trigger_id": format!("{}.{}", action_ts.replace('.', ""), user.owner),
        "team": { "id": team, "domain": "sandbox" },
        "enterprise": null,
        "is_enterprise_install": false,
        "channel": { "id": channel, "name": name },
        "message": shown,
        "state": state(&blocks, &action),
        "response_url": format!("https://hooks.slack.com/actions/{team}/sandbox/{action_ts}"),
        "actions": [action],
    })
}

/// The form body Slack posts: one `payload` field.
fn form(payload: &Value) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish()
}

impl Sandbox {
    /// Builds, signs and sends one click; handoff's answer, whatever its status.
    pub async fn slack_click(&self, click: SlackClick) -> Result<ClickOutcome, ClickError> {
        let secret = (self.config().slack.signing_secret.clone()).ok_or(ClickError::NoSecret)?;
        let (url, stored) = {
            let slack = self.slack();
            let url = slack.interactions_url.clone().ok_or(ClickError::NoUrl)?;
            let stored = slack
                .messages
                .find(&click.message.channel, &click.message.ts)
                .cloned();
            (url, stored)
        };
        let stored = stored.ok_or_else(|| ClickError::NoMessage {
            channel: click.message.channel.clone(),
            ts: click.message.ts.clone(),
        })?;
        let user = (self
            .directory()
            .by_id(&click.user)
            .filter(|u| !u.deleted)
            .cloned())
        .ok_or_else(|| ClickError::NoUser(click.user.clone()))?;
        let blocks = if click.as_posted {
            &stored.posted_blocks
        } else {
            &stored.blocks
        };
        let action_id = click.action.action_id();
        let (block_id, element) =
            find_element(blocks, action_id).ok_or(ClickError::NoElement(action_id))?;
        let now = jiff::Timestamp::now();
        let action_ts = format!("{}.{:06}", now.as_second(), now.subsec_microsecond());
        let action = action(element, block_id, click.reason.as_deref(), &action_ts)?;
        let mut message = serde_json::to_value(&stored).unwrap_or_default();
        message["blocks"] = json!(blocks);
        let team = &self.config().slack.team_id;
        let body = form(&payload(team, &user, &message, action, &action_ts));
        let timestamp = click.timestamp_s.unwrap_or(now.as_second()).to_string();
        let signature = sign_slack_v0(&secret, &timestamp, body.as_bytes());
        let outcome = deliver(&url, body, &timestamp, &signature).await?;
        self.slack().stats.clicks += 1;
        Ok(outcome)
    }
}

async fn deliver(
    url: &str,
    body: String,
    timestamp: &str,
    signature: &str,
) -> Result<ClickOutcome, ClickError> {
    let unreachable = |e: reqwest::Error| ClickError::Unreachable {
        url: url.to_owned(),
        why: if e.is_timeout() {
            "timeout"
        } else if e.is_connect() {
            "connect"
        } else {
            "request_failed"
        },
    };
    let response = reqwest::Client::new()
        .post(url)
        .timeout(Duration::from_secs(10))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", timestamp)
        .header("x-slack-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(unreachable)?;
    Ok(ClickOutcome { status, body })
}
