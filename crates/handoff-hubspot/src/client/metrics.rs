//! The HubSpot client's metrics (`handoff_hubspot_*`): requests by endpoint and status class,
//! 429s by HubSpot policy, cooldowns entered and portals blocked now, in-place retries, OAuth
//! refreshes and auth pauses; writes refused for a missing required property (counted by the
//! worker, which knows the object). `Metrics::new` registers one set in the app's registry and the
//! client counts into a clone of it; a client built without one (`HubspotMetrics::default()`,
//! tests and benches) counts into a set nobody renders.
//!
//! Series with a closed set of label values start at 0, so `increase()` sees the first event
//! and an alert on them has a series to evaluate before anything went wrong.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::types::PortalId;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabel {
    pub method: &'static str,
    /// The path with numeric ids replaced by `{id}`, e.g. `/crm/v3/objects/contacts/{id}`.
    pub endpoint: String,
    /// `2xx`, `3xx`, `4xx`, `5xx`, or `error` when no response came (timeout, connect).
    pub status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabel {
    pub endpoint: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PolicyLabel {
    pub policy: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HubspotReasonLabel {
    pub reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    pub state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub result: &'static str,
}

/// A refused write: `object` (`task`, `lead`, `contact`), HubSpot's `code` verbatim and the
/// `property` named (portal admins define them, so the set stays small).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabel {
    pub object: &'static str,
    pub code: &'static str,
    pub property: String,
}

/// Why a portal stopped sending for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Block {
    /// A `TEN_SECONDLY_ROLLING` 429 (docs/hubspot.md "429 answers and Retry-After"), a nearly spent
    /// budget, or a limit corrected from the headers: the whole portal waits.
    CoolingDown,
    /// A search 429: only searches wait (docs/hubspot.md "Search limits and index lag").
    SearchCoolingDown,
    /// A `DAILY` 429: parked until the account's midnight.
    Parked,
}

impl Block {
    const ALL: [Block; 3] = [Block::CoolingDown, Block::SearchCoolingDown, Block::Parked];

    fn state(self) -> &'static str {
        match self {
            Block::CoolingDown => "cooling_down",
            Block::SearchCoolingDown => "search_cooling_down",
            Block::Parked => "parked",
        }
    }
}

/// What started a cooldown (the `reason` of `handoff_hubspot_cooldowns_total`).
pub(crate) const COOLDOWN_REASONS: [&str; 5] = [
    "rate_limited",
    "search_rate_limited",
    "daily_limit",
    "budget_low",
    "limit_changed",
];

/// Our own caution is weaker than HubSpot saying no.
fn strength(reason: &str) -> u8 {
    match reason {
        "budget_low" => 0,
        "limit_changed" => 1,
        _ => 2,
    }
}

/// HubSpot 429 policies as the client names them (`RateLimitPolicy::as_str`).
const POLICIES: [&str; 3] = ["ten_secondly", "daily", "search"];

/// Why a request is repeated in place: `TransientReason::as_str`, a 429, a 401 after a refresh.
const RETRY_REASONS: [&str; 8] = [
    "timeout",
    "connect",
    "server",
    "locked",
    "migration",
    "other",
    "rate_limited",
    "unauthorized",
];

/// Reasons a portal is paused (`AuthFailure::as_str` of the failures that pause).
const PAUSE_REASONS: [&str; 3] = ["token_rejected", "refresh_rejected", "token_store"];

type Histograms = Family<EndpointLabel, Histogram, fn() -> Histogram>;

/// Until when each portal waits, and the strongest cause of the wait.
type Waits = HashMap<(PortalId, Block), (Timestamp, &'static str)>;

fn request_histogram() -> Histogram {
    // 10 ms .. ~20 s: HubSpot answers in tens to hundreds of ms; the client times out at
    // `hubspot.request_timeout_ms`.
    Histogram::new(exponential_buckets(0.01, 2.0, 12))
}

#[derive(Debug, Clone)]
pub struct HubspotMetrics {
    pub requests: Family<RequestLabel, Counter>,
    pub request_seconds: Histograms,
    /// 429 answers by HubSpot policy.
    pub rate_limited: Family<PolicyLabel, Counter>,
    /// Portals that started to wait (not the 429s that extended a wait already running).
    pub cooldowns: Family<HubspotReasonLabel, Counter>,
    /// Portals waiting now, by state; set at scrape by [`HubspotMetrics::refresh_blocked`].
    pub portals_blocked: Family<StateLabel, Gauge>,
    /// Attempts repeated in place, by reason (the last attempt's failure).
    pub retries: Family<HubspotReasonLabel, Counter>,
    pub token_refreshes: Family<ResultLabel, Counter>,
    /// Portals paused by an auth failure until an operator resumes them.
    pub portals_paused: Gauge,
    pub auth_pauses: Family<HubspotReasonLabel, Counter>,
    /// Writes refused for a missing required property (docs/hubspot.md "Write validation").
    pub write_refusals: Family<RefusalLabel, Counter>,
    blocked: Arc<Mutex<Waits>>,
}

impl Default for HubspotMetrics {
    /// A set that counts but is not registered anywhere.
    fn default() -> Self {
        let m = Self {
            requests: Family::default(),
            request_seconds: Family::new_with_constructor(request_histogram),
            rate_limited: Family::default(),
            cooldowns: Family::default(),
            portals_blocked: Family::default(),
            retries: Family::default(),
            token_refreshes: Family::default(),
            portals_paused: Gauge::default(),
            auth_pauses: Family::default(),
            write_refusals: Family::default(),
            blocked: Arc::default(),
        };
        for policy in POLICIES {
            let _ = m.rate_limited.get_or_create(&PolicyLabel { policy });
        }
        for reason in COOLDOWN_REASONS {
            let _ = m.cooldowns.get_or_create(&HubspotReasonLabel { reason });
        }
        for block in Block::ALL {
            let _ = m.portals_blocked.get_or_create(&StateLabel {
                state: block.state(),
            });
        }
        for reason in RETRY_REASONS {
            let _ = m.retries.get_or_create(&HubspotReasonLabel { reason });
        }
        for result in ["ok", "failed"] {
            let _ = m.token_refreshes.get_or_create(&ResultLabel { result });
        }
        for reason in PAUSE_REASONS {
            let _ = m.auth_pauses.get_or_create(&HubspotReasonLabel { reason });
        }
        m
    }
}

/// Registers metrics of `$m` into `$r`, one line a metric: `"name" => field: "help",`.
macro_rules! register {
    ($r:expr, $m:expr, { $($name:literal => $field:ident: $help:literal,)* }) => {
        $( $r.register($name, $help, $m.$field.clone()); )*
    };
}

impl HubspotMetrics {
    /// A set registered under `handoff_hubspot_*` in `r`.
    pub fn new(r: &mut Registry) -> Self {
        let m = Self::default();
        let h = r.sub_registry_with_prefix("hubspot");
        register!(h, m, {
            "requests" => requests: "HubSpot API requests by method, endpoint and status class",
            "request_seconds" => request_seconds: "HubSpot API request duration, by endpoint",
            "rate_limited" => rate_limited:
                "HubSpot 429 answers, by policy (ten_secondly, daily, search)",
            "cooldowns" => cooldowns: "Portals that started waiting, by reason",
            "portals_blocked" => portals_blocked:
                "Portals waiting now (cooling_down, search_cooling_down, parked)",
            "retries" => retries: "HubSpot requests repeated in place, by reason",
            "token_refreshes" => token_refreshes:
                "OAuth access token refreshes, by result (ok, failed)",
            "portals_paused" => portals_paused: "Portals paused by an auth failure until resumed",
            "auth_pauses" => auth_pauses: "Portals paused by an auth failure, by reason",
            "write_refusals" => write_refusals:
                "Writes HubSpot refused for a missing required property, by object, code and property",
        });
        m
    }

    /// One request that got an answer (`Some(status)`) or none.
    pub(crate) fn request(
        &self,
        method: &reqwest::Method,
        path: &str,
        status: Option<u16>,
        seconds: f64,
    ) {
        let endpoint = endpoint_of(path);
        self.request_seconds
            .get_or_create(&EndpointLabel {
                endpoint: endpoint.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabel {
                method: method_name(method),
                endpoint,
                status: status.map_or("error", status_class),
            })
            .inc();
    }

    pub(crate) fn retry(&self, reason: &'static str) {
        self.retries
            .get_or_create(&HubspotReasonLabel { reason })
            .inc();
    }

    pub(crate) fn rate_limited(&self, policy: &'static str) {
        self.rate_limited
            .get_or_create(&PolicyLabel { policy })
            .inc();
    }

    /// Records that `portal` waits until `until`. Counts a cooldown when the portal was not
    /// waiting, or when a stronger cause extends the wait (a nearly spent budget, then the
    /// 429 that came with it): each cause of a wait is counted once.
    pub(crate) fn blocked_until(
        &self,
        portal: PortalId,
        block: Block,
        reason: &'static str,
        now: Timestamp,
        until: Timestamp,
    ) {
        let mut blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = blocked.entry((portal, block)).or_insert((now, reason));
        if entry.0 <= now || strength(reason) > strength(entry.1) {
            self.cooldowns
                .get_or_create(&HubspotReasonLabel { reason })
                .inc();
            entry.1 = reason;
        }
        entry.0 = entry.0.max(until);
    }

    /// Sets `portals_blocked` to the portals still waiting at `now`.
    pub fn refresh_blocked(&self, now: Timestamp) {
        let mut blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
        blocked.retain(|_, (until, _)| *until > now);
        for block in Block::ALL {
            let waiting = blocked.keys().filter(|(_, b)| *b == block).count();
            self.portals_blocked
                .get_or_create(&StateLabel {
                    state: block.state(),
                })
                .set(i64::try_from(waiting).unwrap_or(i64::MAX));
        }
    }

    pub(crate) fn token_refresh(&self, ok: bool) {
        let result = if ok { "ok" } else { "failed" };
        self.token_refreshes
            .get_or_create(&ResultLabel { result })
            .inc();
    }

    /// A portal that was running is now paused.
    pub(crate) fn paused(&self, reason: &'static str) {
        self.portals_paused.inc();
        self.auth_pauses
            .get_or_create(&HubspotReasonLabel { reason })
            .inc();
    }

    /// A paused portal runs again.
    pub(crate) fn resumed(&self) {
        self.portals_paused.dec();
    }
}

/// The endpoint as a label: numeric path segments (record ids) become `{id}`, so the label
/// has one value per endpoint the client calls, not one per record.
pub(crate) fn endpoint_of(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    path.split('/')
        .map(|seg| {
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "other",
    }
}

fn method_name(m: &reqwest::Method) -> &'static str {
    match *m {
        reqwest::Method::GET => "GET",
        reqwest::Method::POST => "POST",
        reqwest::Method::PATCH => "PATCH",
        reqwest::Method::PUT => "PUT",
        reqwest::Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
