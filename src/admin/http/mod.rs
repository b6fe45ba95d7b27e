//! The admin routes over HTTP, served only on the admin listener (`server.admin_bind`), never on the
//! public one. With an admin token configured every call needs `Authorization: Bearer <token>`
//! (compared in constant time); without one (allowed on loopback only) they are open to
//! whoever reaches the address. JSON in and out; every refusal is `{"code", "message"}`.
//!
//! - `POST /admin/rules/reload` (`rules.rs`);
//! - `GET /admin/portals`, `POST /admin/portals/{portalId}/pause|resume` (`portals.rs`);
//! - `GET /admin/dlq`, `GET /admin/dlq/{id}`, `POST /admin/dlq/{id}/replay`,
//!   `POST /admin/dlq/replay` (`dlq.rs`);
//! - `GET /review` (`review.rs`): the weekly review page, HTML.

mod dlq;
mod portals;
mod review;
mod rules;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;

use super::AdminError;
use crate::hubspot::client::{HubspotClient, PortalId};
use crate::intake::ApiError;
use crate::store::Store;
use crate::worker::pipeline::RulesHandle;
use crate::worker::pipeline::pause::Pauses;

/// What the admin routes share.
#[derive(Debug, Clone)]
pub struct AdminState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    token: Option<SecretString>,
    store: Store,
    live: Option<Live>,
    /// The configured portals (`[[hubspot.portals]]`), in configuration order.
    portals: Vec<PortalId>,
    /// Each configured portal with its time zone, in which the review cuts its weeks.
    time_zones: Vec<(PortalId, String)>,
}

/// What the admin routes reach of a running pipeline (there is none without portals): its
/// rules, to reload them; its HubSpot client, whose auth pauses a portal's status shows; and
/// the pauses it follows, so a resume lifts this process's auth pause at once.
#[derive(Debug, Clone)]
pub struct Live {
    pub rules: RulesHandle,
    pub client: HubspotClient,
    pub pauses: Arc<Pauses>,
}

impl AdminState {
    pub fn new(
        token: Option<SecretString>,
        store: Store,
        live: Option<Live>,
        time_zones: Vec<(PortalId, String)>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                token,
                store,
                live,
                portals: time_zones.iter().map(|(id, _)| *id).collect(),
                time_zones,
            }),
        }
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    fn client(&self) -> Option<&HubspotClient> {
        self.inner.live.as_ref().map(|l| &l.client)
    }
}

/// Every admin route, for the admin listener only.
pub fn router(state: AdminState, request_timeout: Duration) -> Router {
    Router::new()
        .route("/admin/rules/reload", post(rules::reload))
        .route("/admin/portals", get(portals::list))
        .route("/admin/portals/{portal_id}/pause", post(portals::pause))
        .route("/admin/portals/{portal_id}/resume", post(portals::resume))
        .route("/admin/dlq", get(dlq::list))
        .route("/admin/dlq/replay", post(dlq::replay_matching))
        .route("/admin/dlq/{id}", get(dlq::show))
        .route("/admin/dlq/{id}/replay", post(dlq::replay_one))
        .route("/review", get(review::page))
        .fallback(not_found)
        // Outermost first: the token is checked before anything, unknown paths included.
        .layer(middleware::from_fn_with_state(state.clone(), require_token))
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([
                    header::AUTHORIZATION,
                ]))
                .layer(CatchPanicLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    request_timeout,
                )),
        )
        .with_state(state)
}

async fn require_token(State(admin): State<AdminState>, request: Request, next: Next) -> Response {
    if let Some(token) = &admin.inner.token
        && !bearer_matches(token, request.headers())
    {
        tracing::warn!(path = %request.uri().path(), "admin request refused: missing or wrong token");
        let refusal = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "admin token missing or wrong (Authorization: Bearer <server.admin_token>)",
        );
        return ([(header::WWW_AUTHENTICATE, "Bearer")], refusal).into_response();
    }
    next.run(request).await
}

fn bearer_matches(token: &SecretString, headers: &HeaderMap) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let want = token.expose_secret().as_bytes();
    !want.is_empty() && bool::from(given.as_bytes().ct_eq(want))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such admin route")
}

/// A JSON answer.
type Answer = Result<Json<serde_json::Value>, ApiError>;

/// A request body: empty means `T::default()`; anything else must be a JSON object of `T`.
fn body<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("the body is not the JSON this route takes: {e}"),
        )
    })
}

/// A numeric path segment (`{portalId}`, `{id}`).
fn id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_id",
                format!("{what} {raw:?} is not a positive integer"),
            )
        })
}

/// A portal id from a path: parsed once here, like every id that enters (422 otherwise).
fn portal_id(raw: &str, what: &str) -> Result<PortalId, ApiError> {
    raw.parse::<PortalId>().map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_id",
            format!("{what} {raw:?} is not a positive integer"),
        )
    })
}

/// How an admin failure answers. A store failure is logged here, once.
fn refusal(err: AdminError) -> ApiError {
    let message = err.to_string();
    match err {
        AdminError::NoSuchJob(_) => ApiError::new(StatusCode::NOT_FOUND, "job_not_found", message),
        AdminError::UnknownPortal(_) => {
            ApiError::new(StatusCode::NOT_FOUND, "portal_not_found", message)
        }
        AdminError::NothingSelected => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing_selected",
            "say which dead jobs: {\"all\": true}, or at least one filter (portal, kind, since)",
        ),
        AdminError::Since(text) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            format!("since {text:?} is neither a duration (7d, 24h, 90m) nor an RFC 3339 time"),
        ),
        AdminError::Reason(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
        }
        AdminError::Store(_) | AdminError::Queue(_) => {
            tracing::error!(error = %message, "admin request failed: store unavailable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the store did not answer; retry later",
            )
        }
        AdminError::File { .. }
        | AdminError::At(_)
        | AdminError::Journal(_)
        | AdminError::Hubspot(_) => {
            tracing::error!(error = %message, "admin request failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        }
    }
}
