//! Leads (HubSpot object `0-136`, docs/hubspot.md "Lead records (object 0-136)"): batch create,
//! each lead associated with its contact in the same call (`HUBSPOT_DEFINED` / 578 = lead → primary
//! contact, required by HubSpot: "Must be associated with an existing contact") and named
//! (`hs_lead_name`, required); batch update of the owner (reassignment); batch read (stage and
//! reason after a stage webhook); the lead pipelines and their stages (`GET
//! /crm/v3/pipelines/leads`, docs/hubspot.md "Lead stages and pipelines": stage ids are per
//! portal). Creates carry a unique `objectWriteTraceId` so 207 errors name their input (inferred:
//! leads take the generic CRM batch-create input, as tasks do); a result that echoes no trace id is
//! matched by its contact, never by position.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::HubspotClient;
use super::batch::{BatchItem, ChunkResults, MAX_OBJECT_BATCH, attribute, batched, read_objects};
use super::budget::Priority;
use super::error::HubspotError;
use super::isolate::isolate_refusals;
use super::paths::Api;
use super::transport::Call;
use super::types::{BatchResponse, ContactId, CrmObject, OwnerId, PortalId};

/// The Lead object's type id (docs/hubspot.md "Lead records (object 0-136)").
pub const LEAD_OBJECT_TYPE: &str = "0-136";
/// The lead property holding its pipeline stage (docs/hubspot.md "Developer platform app").
pub const LEAD_STAGE_PROPERTY: &str = "hs_pipeline_stage";
/// `LEAD_TO_PRIMARY_CONTACT` (docs/hubspot.md "Lead records (object 0-136)").
const LEAD_TO_PRIMARY_CONTACT: u32 = 578;

/// A lead to create for one contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLead {
    /// Unique per input; echoed in per-input errors.
    pub trace_id: String,
    /// The contact the lead is for (its primary contact).
    pub contact_id: ContactId,
    /// `hubspot_owner_id` (an owner `id`).
    pub owner_id: Option<OwnerId>,
    /// `hs_lead_name` (required by HubSpot).
    pub name: String,
    /// Any other properties (e.g. `hs_lead_type`, `hs_pipeline_stage`).
    pub extra: BTreeMap<String, String>,
}

impl NewLead {
    fn properties(&self) -> BTreeMap<String, String> {
        let mut p = self.extra.clone();
        p.insert("hs_lead_name".into(), self.name.clone());
        if let Some(owner) = self.owner_id {
            p.insert("hubspot_owner_id".into(), owner.to_string());
        }
        p
    }
}

/// New property values for a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadUpdate {
    /// The lead's record id.
    pub lead_id: String,
    /// Property name → new value.
    pub properties: std::collections::BTreeMap<String, String>,
}

/// A lead's new owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadOwnerUpdate {
    /// The lead's record id.
    pub lead_id: String,
    /// The new `hubspot_owner_id`.
    pub owner_id: OwnerId,
}

/// One pipeline of the Lead object with its stages (HubSpot's `Pipeline`/`PipelineStage`;
/// only the fields handoff reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LeadPipeline {
    pub id: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub stages: Vec<LeadStage>,
}

/// One stage of a lead pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LeadStage {
    pub id: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Deserialize)]
struct Pipelines {
    #[serde(default)]
    results: Vec<LeadPipeline>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    properties: BTreeMap<String, String>,
    associations: Vec<serde_json::Value>,
    object_write_trace_id: String,
}

impl HubspotClient {
    /// Creates leads in batches of 100, each associated with its contact; one result per input,
    /// keyed by trace id. Not resent after an ambiguous failure (`maybe_applied`): look the
    /// contact's leads up first.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), count = leads.len()))]
    pub async fn create_leads(
        &self,
        portal: PortalId,
        leads: Vec<NewLead>,
    ) -> Vec<BatchItem<String, CrmObject>> {
        batched(
            self,
            portal,
            leads,
            |l| l.trace_id.clone(),
            MAX_OBJECT_BATCH,
            move |c, chunk| async move {
                let send = |part| {
                    let c = c.clone();
                    async move { c.create_lead_chunk(portal, part).await }
                };
                let lacks = |l: &NewLead, p: &str| {
                    l.properties().get(p).is_none_or(|v| v.trim().is_empty())
                };
                Ok(isolate_refusals(chunk, |l| l.trace_id.clone(), lacks, send).await)
            },
        )
        .await
    }

    async fn create_lead_chunk(
        &self,
        portal: PortalId,
        chunk: Vec<NewLead>,
    ) -> Result<ChunkResults<String, CrmObject>, HubspotError> {
        let inputs: Vec<CreateInput> = chunk
            .iter()
            .map(|l| CreateInput {
                properties: l.properties(),
                associations: vec![serde_json::json!({
                    "to": { "id": l.contact_id.to_string() },
                    "types": [{
                        "associationCategory": "HUBSPOT_DEFINED",
                        "associationTypeId": LEAD_TO_PRIMARY_CONTACT,
                    }],
                })],
                object_write_trace_id: l.trace_id.clone(),
            })
            .collect();
        let body = serde_json::json!({ "inputs": inputs });
        let call = Call::post(
            portal,
            self.inner.path(Api::Objects, "leads/batch/create"),
            &body,
            Priority::Write,
            false,
        )?;
        let resp: BatchResponse<CrmObject> = self.inner.send(&call).await?;
        let keys: Vec<String> = chunk.iter().map(|l| l.trace_id.clone()).collect();
        // Without an echoed trace id, a result is its input's only when exactly one input of
        // the chunk is for that contact (`hs_primary_contact_id`, docs/hubspot.md "Lead
        // properties"; else unmatched).
        let by_contact = |o: &CrmObject| {
            let contact = o.property("hs_primary_contact_id")?;
            let mut hits = chunk.iter().filter(|l| l.contact_id.to_string() == contact);
            match (hits.next(), hits.next()) {
                (Some(l), None) => Some(l.trace_id.clone()),
                _ => None,
            }
        };
        Ok(attribute(
            &keys,
            resp.results,
            resp.errors,
            |o| o.object_write_trace_id.clone().or_else(|| by_contact(o)),
            |s| Some(s.to_owned()),
        ))
    }

    /// The Lead object's pipelines and their stages.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64()))]
    pub async fn lead_pipelines(
        &self,
        portal: PortalId,
    ) -> Result<Vec<LeadPipeline>, HubspotError> {
        let call = Call::get(
            portal,
            self.inner.path(Api::Pipelines, "leads"),
            Priority::Read,
        );
        let page: Pipelines = self.inner.send(&call).await?;
        Ok(page.results)
    }

    /// Batch read of leads (`properties` plus HubSpot's defaults); one result per id.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), count = ids.len()))]
    pub async fn read_leads(
        &self,
        portal: PortalId,
        ids: &[u64],
        properties: Vec<String>,
    ) -> Vec<BatchItem<u64, CrmObject>> {
        read_objects(self, portal, "leads", ids, properties).await
    }

    /// Sets the owner of leads (reassignment); one result per lead id.
    pub async fn update_lead_owners(
        &self,
        portal: PortalId,
        updates: Vec<LeadOwnerUpdate>,
    ) -> Vec<BatchItem<String, CrmObject>> {
        let updates = updates
            .into_iter()
            .map(|u| LeadUpdate {
                lead_id: u.lead_id,
                properties: [("hubspot_owner_id".to_owned(), u.owner_id.to_string())].into(),
            })
            .collect();
        self.update_leads(portal, updates).await
    }

    /// Sets properties of leads (the owner, the stage); one result per lead id.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), count = updates.len()))]
    pub async fn update_leads(
        &self,
        portal: PortalId,
        updates: Vec<LeadUpdate>,
    ) -> Vec<BatchItem<String, CrmObject>> {
        batched(
            self,
            portal,
            updates,
            |u| u.lead_id.clone(),
            MAX_OBJECT_BATCH,
            move |c, chunk| async move {
                let inputs: Vec<serde_json::Value> = chunk
                    .iter()
                    .map(|u| {
                        serde_json::json!({
                            "id": u.lead_id,
                            "properties": u.properties,
                        })
                    })
                    .collect();
                let body = serde_json::json!({ "inputs": inputs });
                let call = Call::post(
                    portal,
                    c.inner.path(Api::Objects, "leads/batch/update"),
                    &body,
                    Priority::Write,
                    true,
                )?;
                let resp: BatchResponse<CrmObject> = c.inner.send(&call).await?;
                let keys: Vec<String> = chunk.iter().map(|u| u.lead_id.clone()).collect();
                Ok(attribute(
                    &keys,
                    resp.results,
                    resp.errors,
                    |o| Some(o.id.clone()),
                    |s| Some(s.to_owned()),
                ))
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_lead_carries_its_name_and_owner() {
        let lead = NewLead {
            trace_id: "t".into(),
            contact_id: ContactId::new(5).unwrap(),
            owner_id: "41629779".parse().ok(),
            name: "Jane Doe — demo".into(),
            extra: BTreeMap::from([("hs_lead_type".into(), "NEW BUSINESS".into())]),
        };
        let p = lead.properties();
        assert_eq!(p["hs_lead_name"], "Jane Doe — demo");
        assert_eq!(p["hubspot_owner_id"], "41629779");
        assert_eq!(p["hs_lead_type"], "NEW BUSINESS");
    }
}
