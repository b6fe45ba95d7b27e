//! Companies in batch (docs/hubspot.md "Batch limits and partial failures"): owner and domain for
//! account matching — a lead whose company already has an owner goes to that owner.

use super::HubspotClient;
use super::batch::{BatchItem, read_objects};
use super::types::{CompanyId, CrmObject, OwnerId, PortalId, Properties};

/// Properties always requested for companies.
const COMPANY_PROPERTIES: [&str; 3] = ["domain", "hubspot_owner_id", "name"];

/// A company as account matching needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    /// Record id.
    pub id: CompanyId,
    /// `domain`, lower-cased.
    pub domain: Option<String>,
    /// `hubspot_owner_id`, when set and numeric.
    pub owner_id: Option<OwnerId>,
    /// Every requested property.
    pub properties: Properties,
}

impl Company {
    fn from_object(id: CompanyId, o: CrmObject) -> Self {
        Self {
            id,
            domain: o
                .property("domain")
                .map(|d| d.trim().to_ascii_lowercase())
                .filter(|d| !d.is_empty()),
            owner_id: o.property("hubspot_owner_id").and_then(|v| v.parse().ok()),
            properties: o.properties,
        }
    }
}

impl HubspotClient {
    /// Batch read of companies (owner, domain, name, plus `extra_properties`); one result per
    /// input id.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64(), count = ids.len()))]
    pub async fn batch_read_companies(
        &self,
        portal: PortalId,
        ids: &[CompanyId],
        extra_properties: &[&str],
    ) -> Vec<BatchItem<CompanyId, Company>> {
        let props = COMPANY_PROPERTIES
            .iter()
            .chain(extra_properties)
            .map(|p| (*p).to_owned())
            .collect();
        read_objects(self, portal, "companies", ids, props)
            .await
            .into_iter()
            .map(|i| BatchItem {
                key: i.key,
                result: i.result.map(|o| Company::from_object(i.key, o)),
            })
            .collect()
    }
}
