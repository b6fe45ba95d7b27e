//! `/metrics`: Prometheus text, with queue depth read from the store and the HubSpot portals
//! still waiting counted at scrape time, and the KPI gauges recomputed from the ledger at most
//! every 30 s.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::state::{AppState, now_ms};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(render))
}

async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let now = now_ms();
    match state.store().queue().depth(now).await {
        Ok(depth) => state.metrics().set_queue_depth(&depth, now),
        Err(err) => tracing::warn!(error = %err, "queue depth unavailable for metrics"),
    }
    let refreshed = crate::report::refresh_gauges(state.store(), state.metrics(), now_ms()).await;
    if let Err(err) = refreshed {
        tracing::warn!(error = %err, "KPI gauges not refreshed; the last values stay");
    }
    state
        .metrics()
        .hubspot
        .refresh_blocked(jiff::Timestamp::now());
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    (
        [(header::CONTENT_TYPE, content_type)],
        state.metrics().render(),
    )
}
