//! Leads in the control API (`/_sandbox/leads…`): list a contact's leads (the same view as
//! tasks: properties, contact ids, trace id), refuse lead creates as a portal without leads
//! set up would, and move a lead to a stage the way a rep would in HubSpot's workspace.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::Sandbox;
use super::error::{ApiError, HsJson, HsQuery};
use super::routes::LEAD_STAGES;
use super::state::{Kind, now_ms};
use super::views::{ControlError, TaskView, task_view};

impl Sandbox {
    /// Every lead, or those whose primary contact is `contact` (after merges), oldest first.
    pub fn leads(&self, contact: Option<u64>) -> Vec<TaskView> {
        let crm = self.crm();
        let contact = contact.map(|c| crm.resolve(Kind::Contact, c));
        crm.table(Kind::Lead)
            .values()
            .filter(|l| contact.is_none_or(|c| l.links.contains(&c)))
            .map(task_view)
            .collect()
    }

    /// Makes lead creates fail (or work again).
    pub fn refuse_leads(&self, refuse: bool) {
        self.crm().leads_refused = refuse;
    }

    /// Moves a lead to `stage` (a default stage id), with an optional disqualification reason.
    pub(crate) fn move_lead(
        &self,
        lead: u64,
        stage: &str,
        reason: Option<&str>,
    ) -> Result<TaskView, ControlError> {
        if !LEAD_STAGES.iter().any(|(id, _)| *id == stage) {
            return Err(ControlError::Invalid(format!(
                "unknown lead stage `{stage}`"
            )));
        }
        let mut crm = self.crm();
        let rec = crm
            .find_mut(Kind::Lead, lead)
            .ok_or_else(|| ControlError::NotFound(format!("lead {lead} not found")))?;
        let mut props = std::collections::BTreeMap::new();
        props.insert("hs_pipeline_stage".to_owned(), stage.to_owned());
        if let Some(r) = reason {
            props.insert("hs_lead_disqualification_reason".to_owned(), r.to_owned());
        }
        rec.set(props, now_ms());
        Ok(task_view(rec))
    }
}

pub(super) fn control(sb: Sandbox) -> Router {
    Router::new()
        .route("/leads", get(list))
        .route("/leads/refuse", post(refuse))
        .route("/leads/{id}/stage", post(stage))
        .with_state(sb)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    contact_id: Option<String>,
}

async fn list(
    State(sb): State<Sandbox>,
    HsQuery(q): HsQuery<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let contact = q
        .contact_id
        .as_deref()
        .map(|c| {
            c.trim()
                .parse::<u64>()
                .map_err(|_| ApiError::validation(format!("id `{c}` is not numeric")))
        })
        .transpose()?;
    Ok(Json(json!({ "results": sb.leads(contact) })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefuseBody {
    refuse: bool,
}

async fn refuse(
    State(sb): State<Sandbox>,
    HsJson(body): HsJson<RefuseBody>,
) -> Json<serde_json::Value> {
    sb.refuse_leads(body.refuse);
    Json(json!({ "refuse": body.refuse }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageBody {
    stage: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn stage(
    State(sb): State<Sandbox>,
    Path(raw): Path<String>,
    HsJson(body): HsJson<StageBody>,
) -> Result<Json<TaskView>, ApiError> {
    let id = raw
        .trim()
        .parse::<u64>()
        .map_err(|_| ApiError::validation(format!("id `{raw}` is not numeric")))?;
    Ok(Json(sb.move_lead(
        id,
        &body.stage,
        body.reason.as_deref(),
    )?))
}
