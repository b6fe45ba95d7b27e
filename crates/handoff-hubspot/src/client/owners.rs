//! Owners (docs/hubspot.md "Owners and user ids"): listed with paging, cached per portal, the
//! cache refreshed when older than `owners_refresh_ms` (the schedule) and on demand (an owner id
//! we have not seen). Archived or deactivated owners are never returned as assignable.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde::Deserialize;

use super::HubspotClient;
use super::budget::Priority;
use super::clock::{add, until};
use super::error::HubspotError;
use super::paths::Api;
use super::slots::PortalSlots;
use super::transport::Call;
use super::types::{OwnerId, PortalId};

/// An unknown owner id triggers a refresh at most this often per portal.
const MIN_ON_DEMAND_INTERVAL: Duration = Duration::from_secs(60);

/// `PERSON` or `QUEUE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OwnerType {
    /// A user.
    Person,
    /// A queue.
    Queue,
    /// Anything newer.
    #[serde(other)]
    Other,
}

/// A team membership.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OwnerTeam {
    /// Team id.
    pub id: String,
    /// Team name.
    #[serde(default)]
    pub name: String,
    /// The owner's primary team.
    #[serde(default)]
    pub primary: bool,
}

/// `PublicOwner`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    /// The value for `hubspot_owner_id`.
    pub id: OwnerId,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// The user id; `null` for archived/deactivated owners (docs/hubspot.md "Owners and user ids").
    #[serde(default)]
    pub user_id: Option<u64>,
    /// Archived.
    #[serde(default)]
    pub archived: bool,
    /// `PERSON` or `QUEUE`.
    #[serde(rename = "type", default = "other")]
    pub owner_type: OwnerType,
    /// Teams.
    #[serde(default)]
    pub teams: Vec<OwnerTeam>,
}

fn other() -> OwnerType {
    OwnerType::Other
}

impl Owner {
    /// May receive leads: not archived, and still an active user (`userId` present).
    pub fn is_assignable(&self) -> bool {
        !self.archived && self.user_id.is_some()
    }
}

#[derive(Clone)]
struct Snapshot {
    fetched_at: Timestamp,
    owners: Arc<[Owner]>,
}

/// Per-portal owner caches; the async mutex makes refreshes single-flight.
pub(crate) struct OwnerCache {
    ttl: Duration,
    portals: PortalSlots<Option<Snapshot>>,
}

impl OwnerCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            portals: PortalSlots::new(),
        }
    }

    fn slot(&self, portal: PortalId) -> Arc<tokio::sync::Mutex<Option<Snapshot>>> {
        self.portals.get(portal)
    }
}

impl HubspotClient {
    /// Every owner, following `paging.next.after` (`GET /crm/v3/owners`, 100 per page).
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64()))]
    pub async fn list_owners(&self, portal: PortalId) -> Result<Vec<Owner>, HubspotError> {
        self.owners_listed(portal, false).await
    }

    /// Every archived owner (`?archived=true`): tells an archived owner from one that never
    /// existed (`handoff doctor`).
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64()))]
    pub async fn list_archived_owners(&self, portal: PortalId) -> Result<Vec<Owner>, HubspotError> {
        self.owners_listed(portal, true).await
    }

    async fn owners_listed(
        &self,
        portal: PortalId,
        archived: bool,
    ) -> Result<Vec<Owner>, HubspotError> {
        let mut call = Call::get(portal, self.inner.path(Api::Owners, ""), Priority::Read);
        call.query.push(("limit", "100".to_owned()));
        call.query.push(("archived", archived.to_string()));
        self.inner.every_page(call, "owner").await
    }

    /// Assignable owners from the cache, refreshed first when older than `owners_refresh_ms`.
    /// If a refresh fails while a cached list exists, the stale list is served (and logged).
    pub async fn assignable_owners(&self, portal: PortalId) -> Result<Arc<[Owner]>, HubspotError> {
        self.owners_at_most(portal, self.inner.owners.ttl).await
    }

    /// Refreshes the portal's owner cache now.
    pub async fn refresh_owners(&self, portal: PortalId) -> Result<Arc<[Owner]>, HubspotError> {
        self.owners_at_most(portal, Duration::ZERO).await
    }

    /// The owner if it is assignable. An id missing from the cache triggers one on-demand
    /// refresh (at most once a minute per portal), for owners added since the last refresh.
    pub async fn assignable_owner(
        &self,
        portal: PortalId,
        id: OwnerId,
    ) -> Result<Option<Owner>, HubspotError> {
        let find = |list: &[Owner]| list.iter().find(|o| o.id == id).cloned();
        let cached = self.assignable_owners(portal).await?;
        if let Some(o) = find(&cached) {
            return Ok(Some(o));
        }
        let fresh = self.owners_at_most(portal, MIN_ON_DEMAND_INTERVAL).await?;
        Ok(find(&fresh))
    }

    /// Refreshes every portal whose cache is older than `owners_refresh_ms`; the service calls
    /// this from its scheduler loop. Returns the portals that failed.
    pub async fn refresh_stale_owners(&self) -> Vec<(PortalId, HubspotError)> {
        let mut failed = Vec::new();
        for portal in self.portals() {
            if let Err(e) = self.assignable_owners(portal).await {
                failed.push((portal, e));
            }
        }
        failed
    }

    async fn owners_at_most(
        &self,
        portal: PortalId,
        max_age: Duration,
    ) -> Result<Arc<[Owner]>, HubspotError> {
        if self.playbook(portal).is_none() {
            return Err(HubspotError::local(
                portal,
                "unknown_portal",
                "portal not configured",
            ));
        }
        let slot = self.inner.owners.slot(portal);
        let mut snap = slot.lock().await;
        let now = self.inner.clock.now();
        if let Some(s) = snap.as_ref()
            && (max_age > Duration::ZERO && add(s.fetched_at, max_age) > now)
        {
            return Ok(s.owners.clone());
        }
        match self.list_owners(portal).await {
            Ok(all) => {
                let owners: Arc<[Owner]> = all.into_iter().filter(Owner::is_assignable).collect();
                tracing::debug!(
                    portal_id = portal.as_u64(),
                    count = owners.len(),
                    "hubspot owners refreshed"
                );
                *snap = Some(Snapshot {
                    fetched_at: now,
                    owners: owners.clone(),
                });
                Ok(owners)
            }
            Err(e) => match snap.as_ref() {
                Some(s) => {
                    let age_s = until(s.fetched_at, now).as_secs();
                    tracing::warn!(
                        portal_id = portal.as_u64(),
                        error.code = e.code(),
                        age_s,
                        "hubspot owner refresh failed; serving cached owners"
                    );
                    Ok(s.owners.clone())
                }
                None => Err(e),
            },
        }
    }
}
