//! HTTP intake: the webhook route, Slack's click route, health probes and metrics on the public
//! listener. Handlers
//! are thin: extract typed input, call one function, map the result to a status. (The admin
//! routes, on a listener of their own, are `admin::http`.)

mod error;
mod health;
mod metrics;
mod slack;
mod state;
mod verified;
mod webhook;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, StatusCode, header};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;

pub use error::ApiError;
pub use slack::SlackIntake;
pub use state::{AppState, IntakeSettings};

/// All routes of the public listener: the webhook, and Slack's clicks when Slack alerts are on.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    let webhook_path = state.settings().path.clone();
    let mut routes = webhook::router(&webhook_path);
    if state.settings().slack.is_some() {
        routes = routes.merge(slack::router());
    }
    common(routes, state, request_timeout)
}

/// The listener of `handoff work`: health probes and metrics, no webhook route (a worker
/// takes no deliveries; a request to the webhook path gets the JSON 404).
pub fn probes_router(state: AppState, request_timeout: Duration) -> Router {
    common(Router::new(), state, request_timeout)
}

/// `routes` plus the health probes, metrics, JSON 404/405 and the shared layers.
fn common(routes: Router<AppState>, state: AppState, request_timeout: Duration) -> Router {
    let sensitive: [HeaderName; 4] = [
        header::AUTHORIZATION,
        HeaderName::from_static(crate::hubspot::signature::HEADER_V3),
        HeaderName::from_static(crate::hubspot::signature::HEADER_LEGACY),
        HeaderName::from_static(crate::slack::signature::HEADER_SIGNATURE),
    ];
    routes
        .merge(health::router())
        .merge(metrics::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(SetSensitiveRequestHeadersLayer::new(sensitive))
                .layer(CatchPanicLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    request_timeout,
                )),
        )
        .with_state(state)
}

/// An unknown path gets the same JSON refusal as every other answer (not an empty 404), so a
/// client can always read a `code`.
async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no route at this path")
}

/// A known path with the wrong method (e.g. `GET /webhooks/hubspot`); axum adds `Allow`.
async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not accept that method",
    )
}
