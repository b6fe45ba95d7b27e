//! Admin routes, off unless `server.admin_token` (or `admin_token_file`) is set: every call
//! needs `Authorization: Bearer <token>` (constant-time compared). `POST /admin/rules/reload`
//! loads and checks the configuration like SIGHUP does: 200 with the new playbook hash, or 422
//! with every problem (the rules in force stay).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::worker::pipeline::Pipeline;

#[derive(Clone)]
struct Admin {
    token: Arc<SecretString>,
    pipeline: Option<Arc<Pipeline>>,
}

/// The admin routes; `None` when no admin token is configured (the routes do not exist).
pub fn router(token: Option<SecretString>, pipeline: Option<Arc<Pipeline>>) -> Option<Router> {
    let admin = Admin {
        token: Arc::new(token?),
        pipeline,
    };
    Some(
        Router::new()
            .route("/admin/rules/reload", post(reload))
            .with_state(admin),
    )
}

fn authorized(admin: &Admin, headers: &HeaderMap) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let want = admin.token.expose_secret().as_bytes();
    !want.is_empty() && bool::from(given.as_bytes().ct_eq(want))
}

async fn reload(State(admin): State<Admin>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    if !authorized(&admin, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "code": "unauthorized", "message": "admin token missing or wrong" })),
        );
    }
    let Some(pipeline) = &admin.pipeline else {
        return (
            StatusCode::CONFLICT,
            Json(
                json!({ "code": "no_pipeline", "message": "no HubSpot portals are configured; there are no rules to reload" }),
            ),
        );
    };
    match crate::startup::reload_rules(pipeline) {
        Ok(hash) => (
            StatusCode::OK,
            Json(json!({ "status": "reloaded", "playbookHash": hash })),
        ),
        Err(report) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "code": "rules_invalid",
                "message": "the configuration has problems; the previous rules stay",
                "problems": report.problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
            })),
        ),
    }
}
