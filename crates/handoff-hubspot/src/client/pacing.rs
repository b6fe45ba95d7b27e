//! Pacing math for the budget: how a HubSpot limit becomes a `governor` quota that provably
//! never exceeds a replica's share in any window, and when a DAILY limit resets.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{Quota, RateLimiter};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::budget::Limiter;
use super::clock::{GovernorClock, add};

/// Requests per window one replica may send.
pub(crate) fn per_replica_share(limit: u32, margin_pct: u8, replicas: u32) -> u32 {
    let margin = u64::from(margin_pct.min(100));
    let after_margin = u64::from(limit) * (100 - margin) / 100;
    u32::try_from(after_margin / u64::from(replicas.max(1))).unwrap_or(u32::MAX)
}

/// A GCRA quota that admits at most `per_window` cells in any half-open window of `interval`.
///
/// GCRA with burst `b` and period `p` admits at most `(b − 1) + ceil(W / p)` cells in a window of
/// length `W`. With `p = ceil(W / (n − b + 1))` that is at most `n`. Every burst cell costs one
/// cell of sustained rate, so the burst is kept at ~1 % of `n` — but at least 3, because a burst
/// of 1 turns every late timer wake-up (~1 ms) into lost capacity (measured: 12 % slower drains).
pub(crate) fn build_quota(per_window: u32, interval: Duration) -> Option<(Quota, u32)> {
    let n = per_window.max(1);
    let burst = (n / 100).max(3).min(n);
    let steady = u128::from(n - burst + 1);
    let period_nanos = interval.as_nanos().div_ceil(steady);
    let period = Duration::from_nanos(u64::try_from(period_nanos).ok()?);
    let quota = Quota::with_period(period)?.allow_burst(NonZeroU32::new(burst)?);
    Some((quota, burst))
}

pub(crate) fn new_limiter(
    share: u32,
    interval: Duration,
    clock: &GovernorClock,
    start_empty: bool,
) -> Limiter {
    let (quota, burst) = build_quota(share, interval)
        .or_else(|| build_quota(1, Duration::from_secs(10)))
        .unwrap_or((Quota::per_second(NonZeroU32::MIN), 1));
    let limiter = RateLimiter::direct_with_clock(quota, clock.clone());
    if start_empty && let Some(n) = NonZeroU32::new(burst) {
        let _ = limiter.check_n(n);
    }
    limiter
}

/// HubSpot's daily limit "resets at midnight based on your time zone setting" (docs/hubspot.md "429
/// answers and Retry-After").
pub(crate) fn next_midnight(tz: &TimeZone, now: Timestamp) -> Timestamp {
    now.to_zoned_datetime(tz.clone())
        .tomorrow()
        .and_then(|d| d.start_of_day())
        .map(|z| z.timestamp())
        .unwrap_or_else(|_| add(now, Duration::from_secs(86_400)))
}
