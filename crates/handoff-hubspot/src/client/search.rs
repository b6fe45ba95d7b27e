//! CRM search for contacts and tasks (docs/hubspot.md "Search limits and index lag"), on its own
//! budget (5 requests/s per token; search responses carry no rate-limit headers). Used sparingly:
//! limits are checked locally so a malformed query never spends budget.

use serde::{Deserialize, Serialize};

use super::HubspotClient;
use super::budget::{Lane, Priority};
use super::error::HubspotError;
use super::paths::Api;
use super::transport::Call;
use super::types::{CrmObject, Paging, PortalId};

/// Search limits (docs/hubspot.md "Search limits and index lag").
const MAX_GROUPS: usize = 5;
const MAX_FILTERS_PER_GROUP: usize = 6;
const MAX_FILTERS: usize = 18;
const MAX_LIMIT: u32 = 200;
const MAX_BODY_CHARS: usize = 3_000;
const MAX_RESULTS: u64 = 10_000;

/// Which objects to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchObject {
    /// `…/objects/…/contacts/search`.
    Contacts,
    /// `…/objects/…/tasks/search`.
    Tasks,
    /// `…/objects/…/leads/search` (docs/hubspot.md "Lead records (object 0-136)").
    Leads,
}

/// One filter; build with the constructors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    property_name: String,
    operator: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    high_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    values: Option<Vec<String>>,
}

impl Filter {
    fn op(property: &str, operator: &'static str, value: Option<String>) -> Self {
        Self {
            property_name: property.to_owned(),
            operator,
            value,
            high_value: None,
            values: None,
        }
    }

    /// `EQ`, `NEQ`, `LT`, `LTE`, `GT`, `GTE`, `CONTAINS_TOKEN`, `NOT_CONTAINS_TOKEN`; `None`
    /// for any other operator name.
    pub fn compare(property: &str, operator: &str, value: impl Into<String>) -> Option<Self> {
        let op = match operator {
            "EQ" => "EQ",
            "NEQ" => "NEQ",
            "LT" => "LT",
            "LTE" => "LTE",
            "GT" => "GT",
            "GTE" => "GTE",
            "CONTAINS_TOKEN" => "CONTAINS_TOKEN",
            "NOT_CONTAINS_TOKEN" => "NOT_CONTAINS_TOKEN",
            _ => return None,
        };
        Some(Self::op(property, op, Some(value.into())))
    }

    /// `property = value`.
    pub fn eq(property: &str, value: impl Into<String>) -> Self {
        Self::op(property, "EQ", Some(value.into()))
    }

    /// `property != value`.
    pub fn neq(property: &str, value: impl Into<String>) -> Self {
        Self::op(property, "NEQ", Some(value.into()))
    }

    /// `low <= property <= high`.
    pub fn between(property: &str, low: impl Into<String>, high: impl Into<String>) -> Self {
        let mut f = Self::op(property, "BETWEEN", Some(low.into()));
        f.high_value = Some(high.into());
        f
    }

    /// `property IN values` (or `NOT_IN` when `negate`).
    pub fn one_of(property: &str, values: Vec<String>, negate: bool) -> Self {
        let mut f = Self::op(property, if negate { "NOT_IN" } else { "IN" }, None);
        f.values = Some(values);
        f
    }

    /// `HAS_PROPERTY` (or `NOT_HAS_PROPERTY` when `negate`).
    pub fn has(property: &str, negate: bool) -> Self {
        Self::op(
            property,
            if negate {
                "NOT_HAS_PROPERTY"
            } else {
                "HAS_PROPERTY"
            },
            None,
        )
    }
}

/// Filters joined by AND; groups are joined by OR.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FilterGroup {
    /// The filters.
    pub filters: Vec<Filter>,
}

/// The single sort HubSpot allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sort {
    /// Property.
    pub property_name: String,
    /// `ASCENDING` or `DESCENDING`.
    pub direction: &'static str,
}

/// A search body. HubSpot's search request schema (`PublicObjectSearchRequest`) requires
/// `filterGroups`, `sorts`, `properties`, `limit` and `after`, so all five are always sent:
/// `sorts` empty when unsorted and `after` `"0"` for the first page (docs/hubspot.md "Request
/// bodies").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    /// OR of AND groups; ≤ 5 groups, ≤ 6 filters each, ≤ 18 in all.
    pub filter_groups: Vec<FilterGroup>,
    /// At most one.
    pub sorts: Vec<Sort>,
    /// Properties to return.
    pub properties: Vec<String>,
    /// Page size, ≤ 200.
    pub limit: u32,
    /// Cursor from the previous page; `None`: the first page.
    #[serde(serialize_with = "first_page_is_0")]
    pub after: Option<String>,
}

fn first_page_is_0<S: serde::Serializer>(after: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(after.as_deref().unwrap_or("0"))
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// Total matches (HubSpot pages at most 10 000).
    pub total: u64,
    /// This page.
    pub results: Vec<CrmObject>,
    /// Cursor for the next page, if any.
    pub after: Option<String>,
}

#[derive(Deserialize)]
struct PageWire {
    #[serde(default)]
    total: u64,
    #[serde(default)]
    results: Vec<CrmObject>,
    #[serde(default)]
    paging: Option<Paging>,
}

impl SearchRequest {
    fn check(&self, body_len: usize) -> Result<(), &'static str> {
        let filters: usize = self.filter_groups.iter().map(|g| g.filters.len()).sum();
        if self.filter_groups.len() > MAX_GROUPS {
            return Err("more than 5 filter groups");
        }
        if self
            .filter_groups
            .iter()
            .any(|g| g.filters.len() > MAX_FILTERS_PER_GROUP)
        {
            return Err("more than 6 filters in a group");
        }
        if filters > MAX_FILTERS {
            return Err("more than 18 filters");
        }
        if self.sorts.len() > 1 {
            return Err("more than one sort");
        }
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return Err("limit must be 1..=200");
        }
        if let Some(after) = &self.after
            && after.parse::<u64>().is_ok_and(|a| a >= MAX_RESULTS)
        {
            return Err("paging beyond 10 000 results");
        }
        if body_len > MAX_BODY_CHARS {
            return Err("query body over 3 000 characters");
        }
        Ok(())
    }
}

impl HubspotClient {
    /// One page of a search, paced by the portal's search budget.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64()))]
    pub async fn search(
        &self,
        portal: PortalId,
        object: SearchObject,
        request: &SearchRequest,
    ) -> Result<SearchPage, HubspotError> {
        let resource = match object {
            SearchObject::Contacts => "contacts/search",
            SearchObject::Tasks => "tasks/search",
            SearchObject::Leads => "leads/search",
        };
        let path = self.inner.path(Api::Objects, resource);
        let mut call = Call::post(portal, path, request, Priority::Read, true)?;
        call.lane = Lane::Search;
        let body_len = call.body.as_ref().map_or(0, Vec::len);
        request
            .check(body_len)
            .map_err(|why| HubspotError::local(portal, "invalid_search", why))?;
        let page: PageWire = self.inner.send(&call).await?;
        Ok(SearchPage {
            total: page.total,
            results: page.results,
            after: Paging::after(&page.paging),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(groups: usize, per_group: usize) -> SearchRequest {
        SearchRequest {
            filter_groups: (0..groups)
                .map(|_| FilterGroup {
                    filters: (0..per_group)
                        .map(|i| Filter::eq("p", i.to_string()))
                        .collect(),
                })
                .collect(),
            limit: 100,
            ..SearchRequest::default()
        }
    }

    #[test]
    fn search_limits_are_checked_locally() {
        assert!(req(5, 3).check(10).is_ok());
        assert!(req(6, 1).check(10).is_err());
        assert!(req(1, 7).check(10).is_err());
        assert!(req(4, 5).check(10).is_err(), "20 filters");
        assert!(req(1, 1).check(3_001).is_err());
        let mut r = req(1, 1);
        r.limit = 201;
        assert!(r.check(10).is_err());
    }

    #[test]
    fn filters_serialize_in_hubspot_shape() {
        let f = Filter::between("hs_timestamp", "1", "2");
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["propertyName"], "hs_timestamp");
        assert_eq!(v["operator"], "BETWEEN");
        assert_eq!(v["highValue"], "2");
        assert!(Filter::compare("a", "LIKE", "x").is_none());
    }
}
