//! One workspace's rate budget (docs/slack.md "Rate limits"): every call waits here before it
//! is sent. `chat.postMessage` is paced per channel (about one message a second) and under a
//! workspace-wide ceiling; each Tier 3 method (`users.lookupByEmail`, `conversations.open`,
//! `chat.update`) under its per-minute limit. A 429 pauses that method, for the whole workspace,
//! for its `Retry-After`; other methods go on.
//!
//! A wait longer than `max_wait` is not waited: the call fails at once with
//! [`SlackError::RateLimited`], so a worker never sits on a paused method and the caller
//! schedules the retry. Time is tokio's, so `tokio::time::pause()` drives the budget in tests.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::HashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

use super::Method;
use super::error::SlackError;
use crate::ids::Conversation;

/// The budget's settings; [`Default`] is Slack's published limits (docs/slack.md "Rate
/// limits").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetSettings {
    /// At most one `chat.postMessage` per channel per this interval.
    pub post_per_channel_interval: Duration,
    /// `chat.postMessage` calls per minute across the workspace ("several hundred" allowed;
    /// handoff stays well under).
    pub post_per_workspace_per_min: u32,
    /// Calls per minute of each Tier 3 method.
    pub tier3_per_min: u32,
    /// The longest a call waits for budget before it fails as rate-limited.
    pub max_wait: Duration,
}

impl Default for BudgetSettings {
    fn default() -> Self {
        Self {
            post_per_channel_interval: Duration::from_secs(1),
            post_per_workspace_per_min: 120,
            tier3_per_min: 50,
            max_wait: Duration::from_secs(5),
        }
    }
}

/// `governor` reading tokio's clock.
#[derive(Debug, Clone)]
pub(crate) struct TokioClock {
    base: Instant,
}

impl governor::clock::Clock for TokioClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.base.elapsed())
    }
}

type Direct = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Nanos>>;
type Keyed =
    RateLimiter<Conversation, HashMapStateStore<Conversation>, TokioClock, NoOpMiddleware<Nanos>>;

/// Channels remembered before idle ones are forgotten.
const CHANNELS_KEPT: usize = 10_000;

/// A workspace's budget.
#[derive(Debug)]
pub(crate) struct Budget {
    clock: TokioClock,
    per_channel: Keyed,
    post_workspace: Direct,
    tier3: HashMap<Method, Direct>,
    paused_until: Mutex<HashMap<Method, Instant>>,
    max_wait: Duration,
}

/// What the budget says about one call now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Send it; its budget is spent.
    Go,
    /// Not before this long.
    Wait(Duration),
}

impl Budget {
    pub(crate) fn new(settings: &BudgetSettings) -> Self {
        let clock = TokioClock {
            base: Instant::now(),
        };
        let channel_quota = Quota::with_period(settings.post_per_channel_interval)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
        let minute = Duration::from_secs(60);
        let direct = |n| RateLimiter::direct_with_clock(paced(n, minute), clock.clone());
        let tier3 = [
            Method::LookupByEmail,
            Method::ConversationsOpen,
            Method::Update,
        ]
        .into_iter()
        .map(|m| (m, direct(settings.tier3_per_min)))
        .collect();
        Self {
            per_channel: RateLimiter::new(
                channel_quota,
                HashMapStateStore::default(),
                clock.clone(),
            ),
            post_workspace: direct(settings.post_per_workspace_per_min),
            tier3,
            paused_until: Mutex::new(HashMap::new()),
            max_wait: settings.max_wait,
            clock,
        }
    }

    /// Waits for budget, up to `max_wait` in all; fails as rate-limited beyond it.
    pub(crate) async fn acquire(
        &self,
        method: Method,
        channel: Option<&Conversation>,
    ) -> Result<(), SlackError> {
        let deadline = Instant::now() + self.max_wait;
        loop {
            match self.decide(method, channel) {
                Decision::Go => return Ok(()),
                Decision::Wait(wait) if Instant::now() + wait > deadline => {
                    return Err(SlackError::RateLimited {
                        method,
                        retry_after: wait,
                    });
                }
                Decision::Wait(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// The decision for one call now: a pause first, then the workspace ceiling, then the
    /// channel (a cell spent on a limiter before a later one refuses is lost, which only ever
    /// slows handoff down).
    pub(crate) fn decide(&self, method: Method, channel: Option<&Conversation>) -> Decision {
        if let Some(wait) = self.paused_for(method) {
            return Decision::Wait(wait);
        }
        let now = self.clock.now();
        let wait =
            |r: Result<(), governor::NotUntil<Nanos>>| r.err().map(|n| n.wait_time_from(now));
        let refused = match method {
            Method::PostMessage => wait(self.post_workspace.check()).or_else(|| {
                self.forget_idle_channels();
                channel.and_then(|c| wait(self.per_channel.check_key(c)))
            }),
            other => self.tier3.get(&other).and_then(|l| wait(l.check())),
        };
        refused.map_or(Decision::Go, Decision::Wait)
    }

    /// After a 429: no call of `method` in this workspace for `retry_after`.
    pub(crate) fn pause(&self, method: Method, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        let mut paused = self
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let entry = paused.entry(method).or_insert(until);
        *entry = (*entry).max(until);
    }

    fn paused_for(&self, method: Method) -> Option<Duration> {
        let paused = self
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let until = *paused.get(&method)?;
        let now = Instant::now();
        (until > now).then(|| until - now)
    }

    fn forget_idle_channels(&self) {
        if self.per_channel.len() > CHANNELS_KEPT {
            self.per_channel.retain_recent();
        }
    }
}

/// A quota that admits at most `per_window` calls in any window of `window`: GCRA with burst
/// `b` and period `window / (n − b + 1)` admits at most `(b − 1) + (n − b + 1) = n` (the proof is
/// the HubSpot budget's, `crates/handoff-hubspot/src/client/pacing.rs`). A small burst of 3
/// absorbs timer jitter without spending much of the window up front.
fn paced(per_window: u32, window: Duration) -> Quota {
    let n = per_window.max(1);
    let burst = n.min(3);
    let period = window / (n - burst + 1);
    Quota::with_period(period)
        .and_then(|q| Some(q.allow_burst(NonZeroU32::new(burst)?)))
        .unwrap_or_else(|| Quota::per_minute(NonZeroU32::MIN))
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
