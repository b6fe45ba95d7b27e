//! Contact → company links in batch through the v4 associations API (docs/hubspot.md "Contact →
//! company associations"): contact batch read cannot return associations ("Reading contacts"). Up
//! to 1000 ids per request; a record with more links than one page carries `paging.next.after` and
//! is asked again with that cursor.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::HubspotClient;
use super::batch::{BatchItem, ChunkResults, attribute, batched};
use super::budget::Priority;
use super::error::{HubspotError, ItemError};
use super::paths::Api;
use super::transport::Call;
use super::types::{BatchResponse, CompanyId, ContactId, Paging, PortalId};

/// v4 batch-read limit: at most 1000 ids per request (docs/hubspot.md "Contact → company
/// associations").
const MAX_ASSOCIATION_BATCH: usize = 1000;
/// Bound on paging rounds per chunk, so a misbehaving cursor cannot loop forever.
const MAX_PAGES: usize = 50;
/// `PRIMARY_CONTACT_TO_COMPANY` (docs/hubspot.md "Contact → company associations").
const PRIMARY_TYPE_ID: u32 = 1;

/// One company linked to a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyLink {
    /// The company.
    pub company_id: CompanyId,
    /// Linked as the contact's primary company (type id 1).
    pub primary: bool,
    /// All association type ids of the link (e.g. 1, 279).
    pub type_ids: Vec<u32>,
}

#[derive(Serialize)]
struct Input {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultWire {
    from: FromWire,
    #[serde(default)]
    to: Vec<ToWire>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct FromWire {
    id: ContactId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToWire {
    to_object_id: CompanyId,
    #[serde(default)]
    association_types: Vec<TypeWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeWire {
    type_id: u32,
}

impl ToWire {
    fn link(self) -> CompanyLink {
        let type_ids: Vec<u32> = self.association_types.iter().map(|a| a.type_id).collect();
        CompanyLink {
            company_id: self.to_object_id,
            primary: type_ids.contains(&PRIMARY_TYPE_ID),
            type_ids,
        }
    }
}

impl HubspotClient {
    /// Companies linked to each contact, one result per input id, following paging.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), count = contacts.len()))]
    pub async fn contact_companies(
        &self,
        portal: PortalId,
        contacts: &[ContactId],
    ) -> Vec<BatchItem<ContactId, Vec<CompanyLink>>> {
        batched(
            self,
            portal,
            contacts.to_vec(),
            |c| *c,
            MAX_ASSOCIATION_BATCH,
            move |client, chunk: Vec<ContactId>| async move {
                client.association_chunk(portal, chunk).await
            },
        )
        .await
    }

    /// One `batch/read` of the contacts still pending, each from its own page cursor.
    async fn association_page(
        &self,
        portal: PortalId,
        pending: &[(ContactId, Option<String>)],
    ) -> Result<BatchResponse<ResultWire>, HubspotError> {
        let inputs: Vec<Input> = pending
            .iter()
            .map(|(id, after)| Input {
                id: id.to_string(),
                after: after.clone(),
            })
            .collect();
        let body = serde_json::json!({ "inputs": inputs });
        let path = self
            .inner
            .path(Api::Associations, "contacts/companies/batch/read");
        let call = Call::post(portal, path, &body, Priority::Read, true)?;
        self.inner.send(&call).await
    }

    async fn association_chunk(
        &self,
        portal: PortalId,
        chunk: Vec<ContactId>,
    ) -> Result<ChunkResults<ContactId, Vec<CompanyLink>>, HubspotError> {
        let mut links: HashMap<ContactId, Vec<CompanyLink>> = HashMap::new();
        let mut failed: ChunkResults<ContactId, Vec<CompanyLink>> = HashMap::new();
        let mut pending: Vec<(ContactId, Option<String>)> =
            chunk.iter().map(|c| (*c, None)).collect();
        for _ in 0..MAX_PAGES {
            if pending.is_empty() {
                break;
            }
            let resp = self.association_page(portal, &pending).await?;
            let keys: Vec<ContactId> = pending.iter().map(|(id, _)| *id).collect();
            let mut next = Vec::new();
            let round = attribute(
                &keys,
                resp.results,
                resp.errors,
                |r| Some(r.from.id),
                |s| s.parse().ok(),
            );
            for (id, outcome) in round {
                match outcome {
                    Ok(r) => {
                        let after = Paging::after(&r.paging);
                        links
                            .entry(id)
                            .or_default()
                            .extend(r.to.into_iter().map(ToWire::link));
                        if let Some(after) = after {
                            next.push((id, Some(after)));
                        }
                    }
                    // A later page failing still leaves the links already read unusable as
                    // a complete answer: report the error.
                    Err(e) => {
                        links.remove(&id);
                        failed.insert(id, Err(e));
                    }
                }
            }
            pending = next;
        }
        let mut out: ChunkResults<ContactId, Vec<CompanyLink>> = failed;
        for (id, _) in pending {
            out.insert(id, Err(ItemError::Unconfirmed));
            links.remove(&id);
        }
        out.extend(links.into_iter().map(|(id, l)| (id, Ok(l))));
        Ok(out)
    }
}
