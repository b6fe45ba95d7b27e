//! `POST /slack/interactions`: a click on a lead alert's button, from Slack (docs/slack.md
//! "Interaction payloads"). The raw body is read within `MAX_BODY_BYTES` (413), its signature
//! checked against every configured signing secret on the service's clock before a byte is
//! decoded (401), parsed into a click (400), stored in `slack_clicks`, and answered with an
//! empty 200 — well within Slack's 3 seconds; the worker applies the click later. A refused
//! request stores nothing; a click sent again (same `action_ts`) is stored once and answered
//! 200 again. The route exists only while `[alerts.slack]` is enabled: otherwise the path is
//! the listener's JSON 404.
//!
//! Logs: `slack click accepted` (info) per stored or repeated click, `slack interaction
//! refused` (warn) per refusal, `could not store a slack click` (error).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use secrecy::SecretString;

use super::error::ApiError;
use super::state::AppState;
use super::verified::read_limited;
use crate::hubspot::client::Clock;
use crate::metrics::OutcomeLabel;
use crate::slack::interaction::{self, Click, ClickAction, MAX_BODY_BYTES};
use crate::slack::signature::{self, HEADER_SIGNATURE, HEADER_TIMESTAMP, SignedRequest, WINDOW_S};
use crate::store::slack::NewClick;

/// What the route needs when Slack alerts are on.
#[derive(Debug, Clone)]
pub struct SlackIntake {
    /// Every configured signing secret (several while one is regenerated).
    pub signing_secrets: Vec<SecretString>,
    /// The service's clock: the signature's five-minute window is judged on it.
    pub clock: Arc<dyn Clock>,
}

pub(super) fn router() -> Router<AppState> {
    Router::new().route(crate::slack::INTERACTIONS_PATH, post(receive))
}

async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let metrics = state.metrics();
    match accept(&state, &headers, body, &request_id).await {
        Ok((click, new)) => {
            let outcome = if new { "accepted" } else { "duplicate" };
            metrics
                .slack_interactions
                .get_or_create(&OutcomeLabel { outcome })
                .inc();
            tracing::info!(
                request_id,
                portal_id = click.handoff.portal.get(),
                contact_id = click.handoff.contact.get(),
                version = click.handoff.version,
                action = action_name(&click.action),
                slack_team = %click.team,
                slack_user = %click.user,
                slack_channel = %click.channel,
                duplicate = !new,
                "slack click accepted"
            );
            // Slack reads nothing from the answer to a click (docs/slack.md "Interaction
            // payloads"): an empty 200 acknowledges it.
            StatusCode::OK.into_response()
        }
        Err(err) => {
            metrics
                .slack_interactions
                .get_or_create(&OutcomeLabel { outcome: err.code })
                .inc();
            tracing::warn!(
                request_id,
                status = err.status.as_u16(),
                error.code = err.code,
                "slack interaction refused"
            );
            err.into_response()
        }
    }
}

/// Verify → parse → store; true when the click is new.
async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    request_id: &str,
) -> Result<(Click, bool), ApiError> {
    let Some(slack) = &state.settings().slack else {
        // The route is only mounted with Slack on; this keeps the handler total.
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no route at this path",
        ));
    };
    let bytes = read_limited(headers, body, MAX_BODY_BYTES).await?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let request = SignedRequest {
        signature: header(HEADER_SIGNATURE),
        timestamp: header(HEADER_TIMESTAMP),
        body: &bytes,
    };
    let now = slack.clock.now();
    let verified = signature::verify(&request, &slack.signing_secrets, now.as_second(), WINDOW_S)
        .map_err(|e| ApiError::new(StatusCode::UNAUTHORIZED, e.code(), e.to_string()))?;
    let click = interaction::parse(&verified)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.code(), e.to_string()))?;
    let reason = match &click.action {
        ClickAction::NotAFit { reason } => Some(reason.as_str()),
        _ => None,
    };
    let row = NewClick {
        received_at_ms: now.as_millisecond(),
        team_id: click.team.as_str(),
        user_id: click.user.as_str(),
        channel_id: click.channel.as_str(),
        message_ts: click.message_ts.as_str(),
        action_ts: click.action_ts.as_str(),
        action: action_name(&click.action),
        reason,
        portal_id: click.handoff.portal,
        contact_id: click.handoff.contact,
        version: i64::from(click.handoff.version),
    };
    let new = state
        .store()
        .slack()
        .record_click(&row)
        .await
        .map_err(|err| {
            tracing::error!(request_id, error = %err, "could not store a slack click");
            ApiError::from(err)
        })?;
    Ok((click, new))
}

/// The action's name as stored and logged.
fn action_name(action: &ClickAction) -> &'static str {
    match action {
        ClickAction::Accept => "accept",
        ClickAction::NotAFit { .. } => "not_a_fit",
        ClickAction::Reassign => "reassign",
    }
}
