//! `POST /oauth/v3/token` (docs/hubspot.md "OAuth token refresh and expiry"): a form body with
//! `grant_type=refresh_token`, `refresh_token`, `client_id` and `client_secret`; answers
//! `AccessTokenResponse` with a fresh access token that the CRM routes then accept until
//! `expires_in` runs out. Also `grant_type=client_credentials` (an app token, docs/hubspot.md
//! "Journal authentication").

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::time::Instant;

use crate::Sandbox;
use crate::error::correlation_id;

/// HubSpot's OAuth errors put a code in `status`, e.g. `BAD_REFRESH_TOKEN`.
fn oauth_error(code: &str, message: &str) -> Response {
    let body = json!({"status": code, "message": message, "correlationId": correlation_id()});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

pub(super) async fn token(
    State(sb): State<Sandbox>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            "BAD_REQUEST",
            "expected an application/x-www-form-urlencoded body",
        );
    };
    let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let grant = field("grant_type");
    if !matches!(grant, Some("refresh_token" | "client_credentials")) {
        return oauth_error(
            "BAD_GRANT_TYPE",
            "the sandbox supports grant_type=refresh_token and client_credentials",
        );
    }
    if field("client_id").is_none() || field("client_secret").is_none() {
        return oauth_error("BAD_CLIENT_ID", "missing client_id or client_secret");
    }
    let cfg = sb.config();
    if grant == Some("client_credentials") {
        return app_token(&sb, field("scope").unwrap_or_default());
    }
    let Some(refresh) = field("refresh_token")
        .filter(|r| cfg.refresh_tokens.is_empty() || cfg.refresh_tokens.iter().any(|t| t == r))
    else {
        return oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token");
    };
    let ttl = cfg.token_ttl_s;
    let access = sb.gate().issue(Duration::from_secs(ttl), Instant::now());
    Json(json!({
        "token_type": "bearer",
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": ttl,
        "hub_id": cfg.portal_id,
        "scopes": ["crm.objects.contacts.read", "crm.objects.contacts.write",
                   "crm.objects.companies.read", "crm.objects.owners.read"],
    }))
    .into_response()
}

/// `grant_type=client_credentials` (the Webhooks Journal's app token, docs/hubspot.md "Journal
/// authentication"): `ClientCredentialsTokenResponse`, no refresh token.
fn app_token(sb: &Sandbox, scope: &str) -> Response {
    let ttl = sb.config().token_ttl_s;
    let access = sb.gate().issue(Duration::from_secs(ttl), Instant::now());
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    Json(json!({
        "token_type": "bearer",
        "token_use": "client_credentials",
        "access_token": access,
        "expires_in": ttl,
        "scopes": scopes,
    }))
    .into_response()
}
