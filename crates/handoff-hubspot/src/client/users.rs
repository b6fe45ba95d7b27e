//! CRM users (docs/hubspot.md "CRM user availability properties": `GET /crm/v3/objects/users`,
//! scope `crm.objects.users.read`): the only place HubSpot exposes a rep's availability status,
//! working hours and out-of-office periods (Owners and Settings users carry none). Listed
//! with paging for the portals that turn `availability.from_hubspot` on, cached per portal and
//! refreshed when older than `availability.refresh_ms` (no change event exists: poll,
//! docs/hubspot.md "No availability events").

use std::collections::HashMap;
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
use super::types::PortalId;
use super::user_availability::{Status, UserAvailability};

/// Requested explicitly: the default answer holds none of them (docs/hubspot.md "CRM user
/// availability properties").
const PROPERTIES: &str = "hs_internal_user_id,hs_email,hs_availability_status,hs_standard_time_zone,hs_working_hours,hs_out_of_office_hours";

/// One CRM user (`SimplePublicObject` of object type `0-115`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CrmUser {
    /// The user's id in this account (not the owner id, not the user-provisioning id).
    pub id: String,
    #[serde(default)]
    properties: HashMap<String, Option<String>>,
    #[serde(default)]
    archived: bool,
}

impl CrmUser {
    fn prop(&self, name: &str) -> Option<&str> {
        self.properties.get(name).and_then(Option::as_deref)
    }

    /// `hs_internal_user_id`: equals the owner's `userId` (docs/hubspot.md "Joining a CRM user to
    /// an owner").
    pub fn internal_user_id(&self) -> Option<u64> {
        self.prop("hs_internal_user_id")
            .and_then(|v| v.trim().parse().ok())
    }

    /// `hs_email`: the fallback join key to the owner's email (docs/hubspot.md "Joining a CRM user
    /// to an owner").
    pub fn email(&self) -> Option<&str> {
        self.prop("hs_email")
    }

    /// The availability properties, parsed.
    pub fn availability(&self) -> UserAvailability {
        UserAvailability::parse(
            self.prop("hs_availability_status"),
            self.prop("hs_standard_time_zone"),
            self.prop("hs_working_hours"),
            self.prop("hs_out_of_office_hours"),
        )
    }
}

#[derive(Clone)]
struct Snapshot {
    fetched_at: Timestamp,
    users: Arc<[CrmUser]>,
}

/// One portal's cache: the last users read, when a read was last tried, and how it failed.
#[derive(Default)]
struct CacheState {
    snapshot: Option<Snapshot>,
    tried_at: Option<Timestamp>,
    failure: Option<HubspotError>,
}

impl CacheState {
    /// After a failed read: the cached users while they may still serve, or the error. A
    /// refusal (e.g. 403: the app lost `crm.objects.users.read`) or a list too old to be
    /// HubSpot's word any more drops the cache: routing falls back to the roster as written.
    fn after_failure(
        &mut self,
        portal: PortalId,
        e: HubspotError,
        now: Timestamp,
        ttl: Duration,
    ) -> Result<Option<Arc<[CrmUser]>>, HubspotError> {
        let refused = matches!(
            e,
            HubspotError::Permanent { .. } | HubspotError::Auth { .. }
        );
        let too_old = self
            .snapshot
            .as_ref()
            .is_some_and(|s| until(s.fetched_at, now) > ttl.saturating_mul(MAX_STALE_REFRESHES));
        self.failure = Some(e.clone());
        if refused || too_old {
            if self.snapshot.take().is_some() {
                tracing::warn!(
                    portal_id = portal.as_u64(),
                    error.code = e.code(),
                    refused,
                    "hubspot users refused; cached availability dropped"
                );
            }
            return Err(e);
        }
        let Some(s) = &self.snapshot else {
            return Err(e);
        };
        let age_s = until(s.fetched_at, now).as_secs();
        tracing::warn!(
            portal_id = portal.as_u64(),
            error.code = e.code(),
            age_s,
            "hubspot user refresh failed; serving cached availability"
        );
        Ok(Some(s.users.clone()))
    }
}

/// After this many intervals without a successful read, cached availability is dropped.
const MAX_STALE_REFRESHES: u32 = 10;

/// Per-portal user caches for the portals that read availability from HubSpot; the async
/// mutex makes refreshes single-flight.
pub(crate) struct UserCache {
    ttl: HashMap<PortalId, Duration>,
    portals: PortalSlots<CacheState>,
}

impl UserCache {
    /// `ttl`: the refresh interval of each portal that turned the feature on.
    pub(crate) fn new(ttl: HashMap<PortalId, Duration>) -> Self {
        Self {
            ttl,
            portals: PortalSlots::new(),
        }
    }
}

impl HubspotClient {
    /// Every active CRM user with the availability properties, following `paging.next.after`.
    #[tracing::instrument(skip_all, fields(portal_id = portal.as_u64()))]
    pub async fn list_users(&self, portal: PortalId) -> Result<Vec<CrmUser>, HubspotError> {
        let mut call = Call::get(
            portal,
            self.inner.path(Api::Objects, "users"),
            Priority::Read,
        );
        call.query.push(("limit", "100".to_owned()));
        call.query.push(("archived", "false".to_owned()));
        call.query.push(("properties", PROPERTIES.to_owned()));
        let users: Vec<CrmUser> = self.inner.every_page(call, "user").await?;
        Ok(users.into_iter().filter(|u| !u.archived).collect())
    }

    /// The shortest `availability.refresh_ms` of the portals that read availability from
    /// HubSpot; `None` when none does.
    pub fn availability_refresh(&self) -> Option<Duration> {
        self.inner.users.ttl.values().min().copied()
    }

    /// The portal's CRM users from the cache, refreshed first when the last read was tried
    /// more than `availability.refresh_ms` ago; `None` when the portal does not read
    /// availability from HubSpot. A read that fails (rate limit, 5xx, timeout) serves the cached
    /// list, up to [`MAX_STALE_REFRESHES`] intervals old, and logs it; a refusal (403 missing
    /// scope, other 4xx, auth) drops it. Either way the next try waits one interval, so an
    /// outage costs one read per interval, not one per batch.
    pub async fn crm_users(
        &self,
        portal: PortalId,
    ) -> Result<Option<Arc<[CrmUser]>>, HubspotError> {
        let Some(ttl) = self.inner.users.ttl.get(&portal).copied() else {
            return Ok(None);
        };
        let slot = self.inner.users.portals.get(portal);
        let mut state = slot.lock().await;
        let now = self.inner.clock.now();
        if let Some(tried) = state.tried_at
            && add(tried, ttl) > now
        {
            return match (&state.snapshot, &state.failure) {
                (Some(s), _) => Ok(Some(s.users.clone())),
                (None, Some(e)) => Err(e.clone()),
                (None, None) => Ok(Some(Arc::from(Vec::new()))),
            };
        }
        state.tried_at = Some(now);
        match self.list_users(portal).await {
            Ok(all) => {
                let users: Arc<[CrmUser]> = all.into();
                tracing::debug!(
                    portal_id = portal.as_u64(),
                    count = users.len(),
                    "hubspot users refreshed"
                );
                log_unreadable(portal, &users);
                state.snapshot = Some(Snapshot {
                    fetched_at: now,
                    users: users.clone(),
                });
                state.failure = None;
                Ok(Some(users))
            }
            Err(e) => state.after_failure(portal, e, now, ttl),
        }
    }

    /// Refreshes every availability-reading portal whose users are older than its interval;
    /// the service calls this from its scheduler loop. Returns the portals that failed.
    pub async fn refresh_stale_users(&self) -> Vec<(PortalId, HubspotError)> {
        let mut failed = Vec::new();
        let portals: Vec<PortalId> = self.inner.users.ttl.keys().copied().collect();
        for portal in portals {
            if let Err(e) = self.crm_users(portal).await {
                failed.push((portal, e));
            }
        }
        failed
    }
}

/// Logs, once per refresh, each user whose availability did not parse or whose status is
/// neither `available` nor `away`: such a user counts as available (see
/// `worker/pipeline/availability.rs`) and on-call should know HubSpot sent a shape we do not read.
fn log_unreadable(portal: PortalId, users: &[CrmUser]) {
    for u in users {
        let a = u.availability();
        if let Status::Unknown(status) = &a.status {
            tracing::warn!(portal_id = portal.as_u64(), user_id = %u.id, status = %status, "hubspot user status unknown; treated as available");
        }
        for problem in &a.problems {
            tracing::warn!(portal_id = portal.as_u64(), user_id = %u.id, problem = %problem, "hubspot user availability unreadable; that part is ignored");
        }
    }
}
