//! The per-portal rate budget: every request waits here before it is sent.
//!
//! * One `governor` limiter per portal (a map keyed by portal id, since quotas differ per
//!   portal), paced so that **no window of `interval` ever carries more than the replica's
//!   share** (proof in [`build_quota`]). A second limiter per portal paces search (docs/hubspot.md
//!   "Search limits and index lag": 5/s per token; search is excluded from the burst limit).
//! * Safety margin: we aim `safety_margin_pct` below HubSpot's limit, because the limit is shared
//!   with every other integration on the account (docs/hubspot.md "Limits by app type").
//! * Corrections from `X-HubSpot-RateLimit-Max/-Remaining/-Interval-Milliseconds` (docs/hubspot.md
//!   "Rate-limit headers"): a different Max/Interval rebuilds the limiter,
//!   and a low Remaining (others are eating our margin) cools the portal down briefly.
//! * 429 (docs/hubspot.md "429 answers and Retry-After"): `TEN_SECONDLY_ROLLING` cools the portal
//!   down until the window rolls; `DAILY` parks it until the account's local midnight, logged once;
//!   `Retry-After` wins when present (it is not documented for API 429s, so we never require it).
//! * Priorities: while a handoff write (owner update, task create) waits, enrichment reads do not
//!   take budget.
//!
//! # Several replicas: an explicit per-replica share
//! Each replica paces itself to `floor(limit × (100 − margin) / 100 / replicas)` per window. We
//! chose this over a budget shared through the store because (1) it needs no round-trip to
//! PostgreSQL before each of up to ~25 requests/s per portal, and no new failure mode when the
//! store is slow; (2) the sum over replicas is provably ≤ the budget, with no clock coordination;
//! (3) 429 handling still covers surprises. The cost is idle capacity when load is uneven across
//! replicas, which batching (100 records per request) makes cheap. `replicas` must be set to the
//! number of replicas that may run at once (config `replicas` or `quota.replicas`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use governor::RateLimiter;
use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use tokio::sync::watch;

use super::clock::{Clock, GovernorClock, add, until};
use super::config::{ResolvedQuota, SearchQuotaConfig};
use super::error::{HubspotError, RateLimitPolicy};
pub(crate) use super::pacing::per_replica_share;
use super::pacing::{new_limiter, next_midnight};
use super::types::PortalId;
use crate::client::metrics::{Block, HubspotMetrics};

pub(crate) type Limiter =
    RateLimiter<NotKeyed, InMemoryState, GovernorClock, NoOpMiddleware<governor::nanos::Nanos>>;

const MAX_SANE_LIMIT: u32 = 1_000_000;
const MAX_SANE_INTERVAL_MS: u64 = 86_400_000;

/// Who is asking: handoff writes go before enrichment reads when budget is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Owner updates and task creation.
    Write,
    /// Enrichment reads.
    Read,
}

/// Which budget a request spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    General,
    Search,
}

/// Rate-limit headers of one response (docs/hubspot.md "Rate-limit headers").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub(crate) max: Option<u32>,
    pub(crate) remaining: Option<u32>,
    pub(crate) interval_ms: Option<u64>,
}

struct General {
    limiter: Arc<Limiter>,
    /// HubSpot's limit per interval (portal-wide) currently assumed.
    limit: u32,
    interval: Duration,
}

#[derive(Default)]
struct Blocks {
    cooldown_until: Option<Timestamp>,
    daily_until: Option<Timestamp>,
    search_until: Option<Timestamp>,
}

struct PortalBudget {
    time_zone: TimeZone,
    margin_pct: u8,
    replicas: u32,
    general: Mutex<General>,
    search: Limiter,
    search_interval: Duration,
    blocks: Mutex<Blocks>,
    write_gate: tokio::sync::Mutex<()>,
    read_gate: tokio::sync::Mutex<()>,
    search_gate: tokio::sync::Mutex<()>,
    writes_waiting: watch::Sender<usize>,
}

/// Per-portal setup for [`Budget::new`].
pub(crate) struct PortalQuota {
    pub(crate) portal: PortalId,
    pub(crate) quota: ResolvedQuota,
    pub(crate) search: SearchQuotaConfig,
    pub(crate) time_zone: TimeZone,
}

/// All portals' budgets.
pub(crate) struct Budget {
    portals: HashMap<PortalId, PortalBudget>,
    clock: Arc<dyn Clock>,
    max_wait: Duration,
    metrics: HubspotMetrics,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Marks a waiting write for as long as it lives.
struct WriteMark<'a>(&'a watch::Sender<usize>);

impl<'a> WriteMark<'a> {
    fn new(tx: &'a watch::Sender<usize>) -> Self {
        tx.send_modify(|n| *n += 1);
        Self(tx)
    }
}

impl Drop for WriteMark<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Budget {
    pub(crate) fn new(
        portals: Vec<PortalQuota>,
        clock: Arc<dyn Clock>,
        max_wait: Duration,
        metrics: HubspotMetrics,
    ) -> Self {
        let gclock = GovernorClock(clock.clone());
        let mut map = HashMap::new();
        for p in portals {
            let interval = Duration::from_millis(p.quota.interval_ms.max(1));
            let share = per_replica_share(
                p.quota.requests,
                p.quota.safety_margin_pct,
                p.quota.replicas,
            );
            let limiter = new_limiter(share, interval, &gclock, false);
            let search_interval = Duration::from_millis(p.search.interval_ms.max(1));
            // Same margin on search: 5/s becomes 4/s, as docs/hubspot.md "Limits by app type" says.
            let search_share = per_replica_share(
                p.search.requests,
                p.quota.safety_margin_pct,
                p.quota.replicas,
            )
            .max(1);
            let search = new_limiter(search_share, search_interval, &gclock, false);
            map.insert(
                p.portal,
                PortalBudget {
                    time_zone: p.time_zone,
                    margin_pct: p.quota.safety_margin_pct,
                    replicas: p.quota.replicas,
                    general: Mutex::new(General {
                        limiter: Arc::new(limiter),
                        limit: p.quota.requests,
                        interval,
                    }),
                    search,
                    search_interval,
                    blocks: Mutex::new(Blocks::default()),
                    write_gate: tokio::sync::Mutex::new(()),
                    read_gate: tokio::sync::Mutex::new(()),
                    search_gate: tokio::sync::Mutex::new(()),
                    writes_waiting: watch::channel(0).0,
                },
            );
        }
        Self {
            portals: map,
            clock,
            max_wait,
            metrics,
        }
    }

    fn portal(&self, portal: PortalId) -> Result<&PortalBudget, HubspotError> {
        self.portals
            .get(&portal)
            .ok_or_else(|| HubspotError::local(portal, "unknown_portal", "portal not configured"))
    }

    /// `(requests per window for this replica, window)` currently enforced.
    pub(crate) fn enforced(&self, portal: PortalId) -> Option<(u32, Duration)> {
        let pb = self.portals.get(&portal)?;
        let g = lock(&pb.general);
        Some((
            per_replica_share(g.limit, pb.margin_pct, pb.replicas),
            g.interval,
        ))
    }

    /// Waits until this request may be sent. Waits longer than `max_inline_wait` return
    /// `RateLimited` with the time to come back instead (the job queue reschedules).
    pub(crate) async fn acquire(
        &self,
        portal: PortalId,
        lane: Lane,
        priority: Priority,
    ) -> Result<(), HubspotError> {
        let pb = self.portal(portal)?;
        let start = self.clock.now();
        let deadline = add(start, self.max_wait);
        let over = |retry_at: Timestamp| HubspotError::RateLimited {
            portal,
            policy: if lane == Lane::Search {
                RateLimitPolicy::Search
            } else {
                RateLimitPolicy::LocalBudget
            },
            retry_at,
        };
        let _mark = (lane == Lane::General && priority == Priority::Write)
            .then(|| WriteMark::new(&pb.writes_waiting));
        let gate = pb.gate(lane, priority);
        let Ok(_turn) = tokio::time::timeout(self.max_wait, gate.lock()).await else {
            return Err(over(deadline));
        };
        loop {
            let now = self.clock.now();
            if let Some((policy, blocked_until)) = pb.blocked(lane, now) {
                if blocked_until > deadline {
                    return Err(HubspotError::RateLimited {
                        portal,
                        policy,
                        retry_at: blocked_until,
                    });
                }
                tokio::time::sleep(until(now, blocked_until)).await;
                continue;
            }
            if lane == Lane::General
                && priority == Priority::Read
                && *pb.writes_waiting.borrow() > 0
            {
                // Reads wait while writes are waiting, so writes go first.
                let mut rx = pb.writes_waiting.subscribe();
                let writes_done = rx.wait_for(|n| *n == 0);
                if tokio::time::timeout(until(now, deadline), writes_done)
                    .await
                    .is_err()
                {
                    return Err(over(deadline));
                }
                continue;
            }
            let wait = match pb.take(lane) {
                Ok(()) => return Ok(()),
                Err(wait) => wait,
            };
            if add(now, wait) > deadline {
                return Err(over(add(now, wait)));
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Applies a response's rate-limit headers.
    pub(crate) fn observe(&self, portal: PortalId, h: RateHeaders) {
        let Some(pb) = self.portals.get(&portal) else {
            return;
        };
        let now = self.clock.now();
        let mut g = lock(&pb.general);
        // Headers come from outside: ignore values no HubSpot limit could have.
        if let (Some(max), Some(interval_ms)) = (h.max, h.interval_ms)
            && (1..=MAX_SANE_LIMIT).contains(&max)
            && (1..=MAX_SANE_INTERVAL_MS).contains(&interval_ms)
            && (max != g.limit || Duration::from_millis(interval_ms) != g.interval)
        {
            let interval = Duration::from_millis(interval_ms);
            let share = per_replica_share(max, pb.margin_pct, pb.replicas).max(1);
            tracing::info!(
                portal_id = portal.as_u64(),
                limit = max,
                interval_ms,
                share,
                "hubspot rate limit corrected from headers"
            );
            g.limiter = Arc::new(new_limiter(
                share,
                interval,
                &GovernorClock(self.clock.clone()),
                true,
            ));
            g.limit = max;
            g.interval = interval;
            // The new limiter knows nothing of the requests of the last window: let them age out.
            self.cool_down(portal, pb, "limit_changed", now, add(now, interval));
        }
        if let (Some(remaining), Some(max)) = (h.remaining, h.max) {
            let low_water = u64::from(max) * u64::from(pb.margin_pct) / 200;
            if u64::from(remaining) <= low_water && max > 0 {
                // Others are using our margin: wait for about the slots we lack to free up.
                let slots = low_water - u64::from(remaining) + 1;
                let ratio = slots as f64 / f64::from(max);
                let pause = Duration::try_from_secs_f64(g.interval.as_secs_f64() * ratio)
                    .unwrap_or(g.interval);
                tracing::debug!(
                    portal_id = portal.as_u64(),
                    remaining,
                    "hubspot budget nearly spent; cooling down"
                );
                self.cool_down(portal, pb, "budget_low", now, add(now, pause));
            }
        }
    }

    /// Records a 429 and returns the policy and when the portal may send again.
    pub(crate) fn on_429(
        &self,
        portal: PortalId,
        lane: Lane,
        policy_name: Option<&str>,
        retry_after: Option<Timestamp>,
    ) -> (RateLimitPolicy, Timestamp) {
        let now = self.clock.now();
        let Some(pb) = self.portals.get(&portal) else {
            return (
                RateLimitPolicy::TenSecondly,
                add(now, Duration::from_secs(10)),
            );
        };
        if policy_name == Some("DAILY") {
            let reset = retry_after.unwrap_or_else(|| next_midnight(&pb.time_zone, now));
            let mut b = lock(&pb.blocks);
            let newly = b.daily_until.is_none_or(|t| t <= now);
            b.daily_until = Some(b.daily_until.map_or(reset, |t| t.max(reset)));
            self.metrics
                .blocked_until(portal, Block::Parked, "daily_limit", now, reset);
            if newly {
                tracing::error!(portal_id = portal.as_u64(), retry_at = %reset, error.code = "hubspot.rate_limited.daily", "hubspot daily limit reached; portal parked until reset");
            }
            return (RateLimitPolicy::Daily, reset);
        }
        match lane {
            Lane::Search => {
                let at = retry_after.unwrap_or_else(|| add(now, pb.search_interval));
                let mut b = lock(&pb.blocks);
                b.search_until = Some(b.search_until.map_or(at, |t| t.max(at)));
                self.metrics.blocked_until(
                    portal,
                    Block::SearchCoolingDown,
                    "search_rate_limited",
                    now,
                    at,
                );
                (RateLimitPolicy::Search, at)
            }
            Lane::General => {
                let interval = lock(&pb.general).interval;
                let at = retry_after.unwrap_or_else(|| add(now, interval));
                tracing::warn!(portal_id = portal.as_u64(), retry_at = %at, "hubspot burst limit hit; portal cooling down");
                self.cool_down(portal, pb, "rate_limited", now, at);
                (RateLimitPolicy::TenSecondly, at)
            }
        }
    }
}

impl Budget {
    /// Cools the whole portal down until `until`, and says so on `/metrics`.
    fn cool_down(
        &self,
        portal: PortalId,
        pb: &PortalBudget,
        reason: &'static str,
        now: Timestamp,
        until: Timestamp,
    ) {
        pb.cool_down(until);
        self.metrics
            .blocked_until(portal, Block::CoolingDown, reason, now, until);
    }
}

impl PortalBudget {
    /// One waiter per (lane, priority) polls the limiter; the rest queue FIFO on its gate.
    fn gate(&self, lane: Lane, priority: Priority) -> &tokio::sync::Mutex<()> {
        match (lane, priority) {
            (Lane::Search, _) => &self.search_gate,
            (Lane::General, Priority::Write) => &self.write_gate,
            (Lane::General, Priority::Read) => &self.read_gate,
        }
    }

    /// Takes one request from the lane's limiter, or says how long until one is free.
    fn take(&self, lane: Lane) -> Result<(), Duration> {
        let limiter = match lane {
            Lane::General => Some(lock(&self.general).limiter.clone()),
            Lane::Search => None,
        };
        let limiter = limiter.as_deref().unwrap_or(&self.search);
        limiter
            .check()
            .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }

    fn cool_down(&self, until_ts: Timestamp) {
        let mut b = lock(&self.blocks);
        b.cooldown_until = Some(b.cooldown_until.map_or(until_ts, |t| t.max(until_ts)));
    }

    fn blocked(&self, lane: Lane, now: Timestamp) -> Option<(RateLimitPolicy, Timestamp)> {
        let b = lock(&self.blocks);
        let live = |t: Option<Timestamp>| t.filter(|t| *t > now);
        if let Some(t) = live(b.daily_until) {
            return Some((RateLimitPolicy::Daily, t));
        }
        match lane {
            Lane::General => live(b.cooldown_until).map(|t| (RateLimitPolicy::TenSecondly, t)),
            Lane::Search => live(b.search_until).map(|t| (RateLimitPolicy::Search, t)),
        }
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
