//! Contacts (docs/hubspot.md "Reading contacts", "Updating contacts"): get one with properties and
//! company associations; batch read (≤ 100 per request, 207 partial results per id); batch update
//! (≤ 100 per request).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::HubspotClient;
use super::batch::{BatchItem, ChunkResults, MAX_OBJECT_BATCH, attribute, batched, read_objects};
use super::budget::Priority;
use super::error::HubspotError;
use super::isolate::isolate_refusals;
use super::paths::Api;
use super::transport::Call;
use super::types::{BatchResponse, CompanyId, ContactId, CrmObject, PortalId, Properties};

/// A contact as handoff sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// Record id.
    pub id: ContactId,
    /// Requested properties that have a value (all strings, docs/hubspot.md "Records and property
    /// values").
    pub properties: Properties,
    /// Associated companies; only filled by [`HubspotClient::get_contact`] (batch read cannot
    /// return associations — use [`HubspotClient::contact_companies`]).
    pub company_ids: Vec<CompanyId>,
    /// Whether it is archived.
    pub archived: bool,
}

impl Contact {
    /// A property's value.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name).and_then(|v| v.as_deref())
    }

    fn from_object(o: CrmObject, id: ContactId) -> Self {
        Self {
            id,
            properties: o.properties,
            company_ids: Vec::new(),
            archived: o.archived,
        }
    }
}

/// Properties to set on one contact; `""` clears a value (docs/hubspot.md "Updating contacts").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactUpdate {
    /// Contact to update.
    pub id: ContactId,
    /// New values, e.g. `hubspot_owner_id`.
    pub properties: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct ContactWire {
    id: ContactId,
    #[serde(default)]
    properties: Properties,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    associations: Option<AssociationsWire>,
}

#[derive(Deserialize)]
struct AssociationsWire {
    #[serde(default)]
    companies: Option<AssociationList>,
}

#[derive(Deserialize)]
struct AssociationList {
    #[serde(default)]
    results: Vec<AssociationRef>,
}

#[derive(Deserialize)]
struct AssociationRef {
    id: CompanyId,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput<'a> {
    id: String,
    properties: &'a BTreeMap<String, String>,
    object_write_trace_id: String,
}

impl HubspotClient {
    /// `GET /crm/v3/objects/contacts/{id}?properties=…&associations=companies`. A missing
    /// contact is `Permanent` with status 404 (`is_not_found()`).
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), contact_id = id.as_u64()))]
    pub async fn get_contact(
        &self,
        portal: PortalId,
        id: ContactId,
        properties: &[&str],
    ) -> Result<Contact, HubspotError> {
        let mut call = Call::get(
            portal,
            self.inner.path(Api::Objects, &format!("contacts/{id}")),
            Priority::Read,
        );
        if !properties.is_empty() {
            call.query.push(("properties", properties.join(",")));
        }
        call.query.push(("associations", "companies".to_owned()));
        let wire: ContactWire = self.inner.send(&call).await?;
        let mut company_ids: Vec<CompanyId> = wire
            .associations
            .and_then(|a| a.companies)
            .map(|l| l.results.into_iter().map(|r| r.id).collect())
            .unwrap_or_default();
        // A company linked with two types (primary + unlabeled) appears twice.
        let mut seen = std::collections::HashSet::new();
        company_ids.retain(|c| seen.insert(*c));
        Ok(Contact {
            id: wire.id,
            properties: wire.properties,
            company_ids,
            archived: wire.archived,
        })
    }

    /// Batch read of any number of contacts; one result per input id, in input order.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), count = ids.len()))]
    pub async fn batch_read_contacts(
        &self,
        portal: PortalId,
        ids: &[ContactId],
        properties: &[&str],
    ) -> Vec<BatchItem<ContactId, Contact>> {
        let props = properties.iter().map(|p| (*p).to_owned()).collect();
        read_objects(self, portal, "contacts", ids, props)
            .await
            .into_iter()
            .map(|i| BatchItem {
                key: i.key,
                result: i.result.map(|o| Contact::from_object(o, i.key)),
            })
            .collect()
    }

    async fn update_chunk(
        &self,
        portal: PortalId,
        chunk: Vec<ContactUpdate>,
    ) -> Result<ChunkResults<ContactId, CrmObject>, HubspotError> {
        let inputs: Vec<UpdateInput<'_>> = chunk
            .iter()
            .map(|u| UpdateInput {
                id: u.id.to_string(),
                properties: &u.properties,
                object_write_trace_id: u.id.to_string(),
            })
            .collect();
        let body = serde_json::json!({ "inputs": inputs });
        let path = self.inner.path(Api::Objects, "contacts/batch/update");
        let call = Call::post(portal, path, &body, Priority::Write, true)?;
        let resp: BatchResponse<CrmObject> = self.inner.send(&call).await?;
        let keys: Vec<ContactId> = chunk.iter().map(|u| u.id).collect();
        Ok(attribute(
            &keys,
            resp.results,
            resp.errors,
            |r| r.id.parse().ok(),
            |s| s.parse().ok(),
        ))
    }

    /// Batch update of any number of contacts (a handoff write: goes before enrichment reads).
    /// Several updates of one contact are merged, later values winning.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), count = updates.len()))]
    pub async fn batch_update_contacts(
        &self,
        portal: PortalId,
        updates: Vec<ContactUpdate>,
    ) -> Vec<BatchItem<ContactId, CrmObject>> {
        let order: Vec<ContactId> = updates.iter().map(|u| u.id).collect();
        let mut merged: HashMap<ContactId, ContactUpdate> = HashMap::new();
        for u in updates {
            merged
                .entry(u.id)
                .and_modify(|m| m.properties.extend(u.properties.clone()))
                .or_insert(u);
        }
        let mut unique: Vec<ContactUpdate> = Vec::new();
        for id in &order {
            if let Some(u) = merged.remove(id) {
                unique.push(u);
            }
        }
        let done = batched(
            self,
            portal,
            unique,
            |u| u.id,
            MAX_OBJECT_BATCH,
            move |c, chunk| async move {
                let send = |part| {
                    let c = c.clone();
                    async move { c.update_chunk(portal, part).await }
                };
                let lacks = |u: &ContactUpdate, p: &str| {
                    u.properties.get(p).is_none_or(|v| v.trim().is_empty())
                };
                Ok(isolate_refusals(chunk, |u| u.id, lacks, send).await)
            },
        )
        .await;
        // Re-expand to the caller's order, duplicates included.
        let by_id: HashMap<ContactId, BatchItem<ContactId, CrmObject>> =
            done.into_iter().map(|i| (i.key, i)).collect();
        order
            .into_iter()
            .filter_map(|id| by_id.get(&id).cloned())
            .collect()
    }
}
