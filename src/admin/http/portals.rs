//! `GET /admin/portals`, `POST /admin/portals/{portalId}/pause` (body optional:
//! `{"reason": "..."}`) and `POST /admin/portals/{portalId}/resume`. The work is in
//! `crate::admin` (shared with `handoff portal`); resume also lifts this process's HubSpot auth
//! pause of the portal at once (other replicas lift theirs at their next look).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;

use super::{AdminState, Answer, body, portal_id, refusal};
use crate::admin::{self, PortalStatus};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PauseBody {
    reason: Option<String>,
}

/// Adds this process's own auth pause, which may be newer than what the store recorded.
fn with_auth(admin: &AdminState, status: PortalStatus) -> PortalStatus {
    let live = admin.client().and_then(|c| c.auth_pause(status.portal_id));
    status.with_live_auth(live, Timestamp::now())
}

pub(super) async fn list(State(admin): State<AdminState>) -> Answer {
    let statuses =
        admin::portal_statuses(admin.store(), &admin.inner.portals, None, Timestamp::now())
            .await
            .map_err(refusal)?;
    let portals: Vec<PortalStatus> = statuses.into_iter().map(|s| with_auth(&admin, s)).collect();
    Ok(Json(json!({ "portals": portals })))
}

pub(super) async fn pause(
    State(admin): State<AdminState>,
    Path(raw): Path<String>,
    bytes: Bytes,
) -> Answer {
    let portal_id = portal_id(&raw, "portal id")?;
    let input: PauseBody = body(&bytes)?;
    let status = admin::pause_portal(
        admin.store(),
        &admin.inner.portals,
        portal_id,
        input.reason.as_deref(),
        Timestamp::now(),
    )
    .await
    .map_err(refusal)?;
    Ok(Json(json!({ "portal": with_auth(&admin, status) })))
}

pub(super) async fn resume(State(admin): State<AdminState>, Path(raw): Path<String>) -> Answer {
    let portal_id = portal_id(&raw, "portal id")?;
    let now = Timestamp::now();
    let (status, due) = admin::resume_portal(admin.store(), &admin.inner.portals, portal_id, now)
        .await
        .map_err(refusal)?;
    if let Some(live) = &admin.inner.live {
        live.pauses
            .lift_auth_pause(&live.client, portal_id, now.as_millisecond());
    }
    Ok(Json(json!({
        "portal": with_auth(&admin, status),
        "jobsDue": due,
    })))
}
