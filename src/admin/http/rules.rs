//! `POST /admin/rules/reload`: loads and checks the configuration like SIGHUP does; 200 with
//! the new playbook hash, or 422 with every problem (the rules in force stay).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AdminState;
use crate::intake::ApiError;

pub(super) async fn reload(State(admin): State<AdminState>) -> Response {
    let Some(live) = &admin.inner.live else {
        return ApiError::new(
            StatusCode::CONFLICT,
            "no_pipeline",
            "no HubSpot portals are configured; there are no rules to reload",
        )
        .into_response();
    };
    match live.rules.reload() {
        Ok(hash) => Json(json!({ "status": "reloaded", "playbookHash": hash })).into_response(),
        Err(report) => {
            let rejected = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "rules_invalid",
                "the configuration has problems; the previous rules stay",
            );
            let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
            let body =
                json!({ "code": rejected.code, "message": rejected.message, "problems": problems });
            (rejected.status, Json(body)).into_response()
        }
    }
}
