//! Control routes that break the portal's setup on purpose, for `handoff doctor`'s tests:
//! `GET|PUT /_sandbox/scopes` (`{"scopes": [...], "tokenInfo": true}`: the scopes the app holds,
//! and whether the static token lookup answers), `DELETE /_sandbox/owners/{id}` (an owner gone
//! from HubSpot), `PATCH /_sandbox/owners/{id}` (`{"email": "…", "archived": true}`: an owner
//! whose email changed or who was archived), `DELETE /_sandbox/properties/{object}/{name}`
//! (a portal that lacks a property). A reset undoes all of them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;

use super::Sandbox;
use super::access::Access;
use super::error::{ApiError, HsJson, parse_id};
use super::views::ControlError;

pub(super) fn router(sb: Sandbox) -> Router {
    Router::new()
        .route("/scopes", get(scopes).put(set_scopes))
        .route("/owners/{id}", delete(remove_owner).patch(patch_owner))
        .route("/properties/{object}/{name}", delete(remove_property))
        .with_state(sb)
}

/// `PATCH /_sandbox/owners/{id}`: what changes; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerPatch {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub archived: Option<bool>,
}

impl Sandbox {
    /// Removes an owner entirely (neither active nor archived any more).
    pub fn remove_owner(&self, id: u64) -> Result<(), ControlError> {
        let mut crm = self.crm();
        let before = crm.owners.len();
        crm.owners.retain(|o| o.id != id);
        if crm.owners.len() == before {
            return Err(ControlError::NotFound(format!("owner {id} not found")));
        }
        Ok(())
    }

    /// Changes an owner's email or archived flag.
    pub fn patch_owner(&self, id: u64, patch: OwnerPatch) -> Result<(), ControlError> {
        let mut crm = self.crm();
        let owner = crm
            .owners
            .iter_mut()
            .find(|o| o.id == id)
            .ok_or_else(|| ControlError::NotFound(format!("owner {id} not found")))?;
        if let Some(email) = patch.email {
            owner.email = Some(email);
        }
        if let Some(archived) = patch.archived {
            owner.archived = archived;
        }
        Ok(())
    }

    /// Removes a property definition of `object` (`contacts`, `companies`).
    pub fn remove_property(&self, object: &str, name: &str) -> Result<(), ControlError> {
        let mut crm = self.crm();
        let schema = crm
            .properties
            .of(object)
            .ok_or_else(|| ControlError::Invalid(format!("unknown object type {object}")))?;
        schema
            .properties
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| ControlError::NotFound(format!("{object} property {name} not found")))
    }
}

async fn scopes(State(sb): State<Sandbox>) -> Json<Access> {
    Json(sb.access())
}

async fn set_scopes(State(sb): State<Sandbox>, HsJson(access): HsJson<Access>) -> Json<Access> {
    sb.set_access(access);
    Json(sb.access())
}

async fn remove_owner(
    State(sb): State<Sandbox>,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    sb.remove_owner(parse_id(&raw)?)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn patch_owner(
    State(sb): State<Sandbox>,
    Path(raw): Path<String>,
    HsJson(patch): HsJson<OwnerPatch>,
) -> Result<StatusCode, ApiError> {
    sb.patch_owner(parse_id(&raw)?, patch)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_property(
    State(sb): State<Sandbox>,
    Path((object, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    sb.remove_property(&object, &name)?;
    Ok(StatusCode::NO_CONTENT)
}
