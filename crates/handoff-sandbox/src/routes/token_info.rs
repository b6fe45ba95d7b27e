//! What a token is allowed (docs/hubspot.md "Which scopes a token has"):
//! - `POST /oauth/v2/private-apps/get/access-token-info` with `{"tokenKey": "…"}`: a static
//!   token the sandbox accepts is described as `{"userId", "hubId", "appId", "scopes"}`; an
//!   unknown one is a 401; when turned off (`PUT /_sandbox/scopes` with `"tokenInfo": false`)
//!   every token is refused with a 400, as HubSpot might refuse a project app's token;
//! - `POST /oauth/{v3|2026-09}/token/introspect` (form: `client_id`, `client_secret`, and the
//!   token as `token` or `access_token`): an access token the sandbox issued and that has not
//!   expired is `{"active": true, "hub_id", "scopes", …}`, anything else `{"active": false}`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::time::Instant;

use crate::Sandbox;
use crate::error::{ApiError, HsJson};

/// The app id the sandbox reports.
const APP_ID: u64 = 4_242_001;
/// The installing user the sandbox reports.
const USER_ID: u64 = 9_100;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TokenKey {
    #[serde(default)]
    token_key: String,
}

pub(super) async fn access_token_info(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    HsJson(body): HsJson<TokenKey>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let access = sb.access();
    if !access.token_info {
        return Err(ApiError::validation(
            "tokenKey is not a private app access token",
        ));
    }
    let token = body.token_key.trim();
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let tokens = &sb.config().tokens;
    let known = !token.is_empty() && (tokens.is_empty() || tokens.iter().any(|t| t == token));
    if !known || bearer != Some(token) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_AUTHENTICATION",
            "The access token is not valid.",
        ));
    }
    Ok(Json(json!({
        "userId": USER_ID,
        "hubId": sb.config().portal_id,
        "appId": APP_ID,
        "scopes": access.scopes,
    })))
}

pub(super) async fn introspect(
    State(sb): State<Sandbox>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error("invalid_request", "expected a form body");
    };
    let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if field("client_id").is_none() || field("client_secret").is_none() {
        return oauth_error("invalid_client", "missing client_id or client_secret");
    }
    let Some(token) = field("token").or(field("access_token")) else {
        return oauth_error("invalid_request", "missing token");
    };
    let Some(left) = sb.gate().remaining(token, Instant::now()) else {
        return Json(json!({ "active": false })).into_response();
    };
    let cfg = sb.config();
    Json(json!({
        "active": true,
        "token_use": "access_token",
        "token_type": "Bearer",
        "hub_id": cfg.portal_id,
        "user_id": USER_ID,
        "app_id": APP_ID,
        "client_id": field("client_id"),
        "scopes": sb.access().scopes,
        "expires_in": left.as_secs(),
        "is_private_distribution": true,
    }))
    .into_response()
}

/// RFC 6749 errors, with HubSpot's `status` and `message` too.
fn oauth_error(code: &str, description: &str) -> Response {
    let body = json!({"error": code, "error_description": description,
                      "status": "BAD_REQUEST", "message": description});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}
