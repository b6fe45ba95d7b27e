//! `GET /review?week=2026-W49&weeks=12&portal=P`: the weekly review page, live from the ledger,
//! the same page `handoff review` writes (`crate::report::review`). Every parameter may be
//! left out (the week now falls in, 12 weeks, the only configured portal). The answer forbids
//! the browser any request (`Content-Security-Policy: default-src 'none'`): the page needs
//! none.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::AdminState;
use crate::intake::ApiError;
use crate::report::ReportError;
use crate::report::review::{self, IsoWeek, ReviewRequest};

#[derive(Debug, Default, Deserialize)]
pub(super) struct ReviewQuery {
    week: Option<String>,
    weeks: Option<String>,
    portal: Option<String>,
}

pub(super) async fn page(
    State(admin): State<AdminState>,
    Query(q): Query<ReviewQuery>,
) -> Response {
    match render(&admin, q).await {
        Ok(html) => (
            [
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            Html(html),
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}

fn invalid(err: ReportError) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_input",
        err.to_string(),
    )
}

/// The review the query asks for; what is wrong with it is a 422 (an unknown portal: 404).
fn request(admin: &AdminState, q: ReviewQuery, now_ms: i64) -> Result<ReviewRequest, ApiError> {
    let week = q
        .week
        .as_deref()
        .map(IsoWeek::parse)
        .transpose()
        .map_err(invalid)?;
    let weeks = q
        .weeks
        .as_deref()
        .map_or(Ok(review::DEFAULT_WEEKS), review::parse_weeks)
        .map_err(invalid)?;
    let portal = q
        .portal
        .as_deref()
        .map(|raw| super::portal_id(raw, "portal"))
        .transpose()?;
    let picked = review::pick_portal(&admin.inner.time_zones, portal).map_err(|err| {
        let code = if portal.is_some() {
            (StatusCode::NOT_FOUND, "portal_not_found")
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
        };
        ApiError::new(code.0, code.1, err.to_string())
    })?;
    ReviewRequest::new(picked, week, weeks, now_ms).map_err(invalid)
}

async fn render(admin: &AdminState, q: ReviewQuery) -> Result<String, ApiError> {
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let request = request(admin, q, now_ms)?;
    // A process with portals always runs the pipeline, whose rules the page is read against.
    let Some(live) = admin.inner.live.as_ref() else {
        return Err(invalid(ReportError::Portal(
            "no portal is configured".into(),
        )));
    };
    let rules = live.rules.current();
    let rules = (&*rules.playbook, &*rules.roster);
    let page = review::document(admin.store(), &request, rules, now_ms).await;
    page.map_err(|err| {
        tracing::error!(error = %err, "admin request failed: store unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the store did not answer; retry later",
        )
    })
}
