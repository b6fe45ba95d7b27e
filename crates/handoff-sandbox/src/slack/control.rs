//! The Slack control routes under `/_sandbox/slack/` (no auth, JSON in Slack's snake_case):
//! `GET messages` (`?channel=` to filter), `POST messages` (a person's message, e.g. a rep's
//! reply, which the bot may not update), `POST click`, `GET|PUT faults` (`{"faults": […]}`),
//! `GET stats`, `PUT interactions-url` (`{"url": "…"}`). Errors use the control API's body.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::click::{ClickError, ClickOutcome, SlackClick};
use super::faults::SlackFault;
use super::messages::{Content, SlackMessage};
use crate::Sandbox;
use crate::error::{ApiError, HsJson, HsQuery};
use crate::stats::SlackStats;
use crate::views::ControlError;

pub(crate) fn router(sb: Sandbox) -> Router {
    Router::new()
        .route("/slack/messages", get(messages).post(say))
        .route("/slack/click", post(click))
        .route("/slack/faults", get(faults).put(set_faults))
        .route("/slack/stats", get(stats))
        .route("/slack/interactions-url", put(set_url))
        .with_state(sb)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Filter {
    #[serde(default)]
    channel: Option<String>,
}

async fn messages(State(sb): State<Sandbox>, HsQuery(f): HsQuery<Filter>) -> Json<Value> {
    let list: Vec<SlackMessage> = (sb.slack_messages().into_iter())
        .filter(|m| f.channel.as_ref().is_none_or(|c| *c == m.channel))
        .collect();
    Json(json!({ "messages": list }))
}

/// `{"channel": "D…", "user": "U…", "text": "…"}`: a message a person wrote.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Said {
    channel: String,
    user: String,
    text: String,
    #[serde(default)]
    thread_ts: Option<String>,
}

async fn say(
    State(sb): State<Sandbox>,
    HsJson(said): HsJson<Said>,
) -> Result<(StatusCode, Json<SlackMessage>), ApiError> {
    let invalid = |m: String| ApiError::from(ControlError::Invalid(m));
    if sb.directory().by_id(&said.user).is_none() {
        return Err(invalid(format!(
            "{} is not a Slack user of the sandbox",
            said.user
        )));
    }
    let content = Content {
        text: Some(said.text),
        blocks: None,
    };
    let mut slack = sb.slack();
    let stored = (slack
        .messages
        .post(said.channel, &said.user, content, said.thread_ts))
    .map_err(|code| invalid(format!("the message was refused: {code}")))?;
    Ok((StatusCode::CREATED, Json(stored.clone())))
}

impl From<ClickError> for ApiError {
    fn from(e: ClickError) -> Self {
        let status = match &e {
            ClickError::NoSecret | ClickError::NoUrl => StatusCode::CONFLICT,
            ClickError::NoMessage { .. } | ClickError::NoUser(_) => StatusCode::NOT_FOUND,
            ClickError::NoElement(_) | ClickError::NoReason(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ClickError::Unreachable { .. } => StatusCode::BAD_GATEWAY,
        };
        ApiError::new(status, "SLACK_CLICK_NOT_SENT", e.to_string())
    }
}

async fn click(
    State(sb): State<Sandbox>,
    HsJson(click): HsJson<SlackClick>,
) -> Result<Json<ClickOutcome>, ApiError> {
    Ok(Json(sb.slack_click(click).await?))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultList {
    faults: Vec<SlackFault>,
}

async fn faults(State(sb): State<Sandbox>) -> Json<FaultList> {
    Json(FaultList {
        faults: sb.slack_faults(),
    })
}

async fn set_faults(
    State(sb): State<Sandbox>,
    HsJson(list): HsJson<FaultList>,
) -> Result<Json<FaultList>, ApiError> {
    sb.set_slack_faults(list.faults)?;
    Ok(faults(State(sb)).await)
}

async fn stats(State(sb): State<Sandbox>) -> Json<SlackStats> {
    Json(sb.slack_stats())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Url {
    url: String,
}

async fn set_url(
    State(sb): State<Sandbox>,
    HsJson(url): HsJson<Url>,
) -> Result<StatusCode, ApiError> {
    sb.set_slack_interactions_url(&url.url)?;
    Ok(StatusCode::NO_CONTENT)
}
