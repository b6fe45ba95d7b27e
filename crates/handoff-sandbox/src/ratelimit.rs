//! HubSpot's limits over rolling windows (docs/hubspot.md "Limits by app type"): a burst window per
//! key (a private-app token, or the account for OAuth tokens), a daily count per key reset at UTC
//! midnight, and search's own per-token window. Also what the stats report: the most requests that
//! *arrived* for one key within any window, so a test can show a client never offered more than the
//! limit.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::config::RateLimit;
use super::error::Policy;

/// Which budget a request spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    General,
    Search,
}

/// The outcome for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Admitted {
        remaining: u32,
        daily_remaining: u64,
    },
    Limited(Policy),
}

#[derive(Debug, Default)]
struct KeyState {
    arrivals: VecDeque<Instant>,
    admitted: VecDeque<Instant>,
    search: VecDeque<Instant>,
    day: i64,
    daily_used: u64,
}

/// Drops entries that left the window `(now − window, now]`.
fn prune(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

#[derive(Debug)]
pub(crate) struct Limiter {
    cfg: RateLimit,
    keys: HashMap<String, KeyState>,
    max_in_window: u64,
}

impl Limiter {
    pub(crate) fn new(cfg: RateLimit) -> Self {
        Self {
            cfg,
            keys: HashMap::new(),
            max_in_window: 0,
        }
    }

    pub(crate) fn config(&self) -> &RateLimit {
        &self.cfg
    }

    /// New limits apply from the next request; the windows keep their history.
    pub(crate) fn set(&mut self, cfg: RateLimit) {
        self.cfg = cfg;
    }

    pub(crate) fn max_in_window(&self) -> u64 {
        self.max_in_window
    }

    fn interval(&self) -> Duration {
        Duration::from_millis(self.cfg.interval_ms)
    }

    /// Records an authenticated general-lane arrival (admitted or not) for the stats.
    pub(crate) fn arrive(&mut self, key: &str, now: Instant) {
        let window = self.interval();
        let k = self.keys.entry(key.to_owned()).or_default();
        prune(&mut k.arrivals, now, window);
        k.arrivals.push_back(now);
        self.max_in_window = self.max_in_window.max(k.arrivals.len() as u64);
    }

    /// Admits the request or names the limit it hits; `day` is the UTC day number.
    pub(crate) fn admit(&mut self, key: &str, lane: Lane, now: Instant, day: i64) -> Verdict {
        let cfg = self.cfg.clone();
        let k = self.keys.entry(key.to_owned()).or_default();
        if k.day != day {
            k.day = day;
            k.daily_used = 0;
        }
        if k.daily_used >= cfg.daily {
            return Verdict::Limited(Policy::Daily);
        }
        let remaining = match lane {
            Lane::Search => {
                prune(
                    &mut k.search,
                    now,
                    Duration::from_millis(cfg.search_interval_ms),
                );
                if k.search.len() >= cfg.search_requests as usize {
                    return Verdict::Limited(Policy::Search);
                }
                k.search.push_back(now);
                cfg.search_requests
                    .saturating_sub(u32::try_from(k.search.len()).unwrap_or(u32::MAX))
            }
            Lane::General => {
                prune(&mut k.admitted, now, Duration::from_millis(cfg.interval_ms));
                if k.admitted.len() >= cfg.requests as usize {
                    return Verdict::Limited(Policy::TenSecondly);
                }
                k.admitted.push_back(now);
                cfg.requests
                    .saturating_sub(u32::try_from(k.admitted.len()).unwrap_or(u32::MAX))
            }
        };
        k.daily_used += 1;
        Verdict::Admitted {
            remaining,
            daily_remaining: cfg.daily.saturating_sub(k.daily_used),
        }
    }
}

/// Days since 1970-01-01 UTC: the daily limit's reset boundary.
pub(crate) fn utc_day(now_ms: i64) -> i64 {
    now_ms.div_euclid(86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(spec: &str) -> Limiter {
        Limiter::new(spec.parse().unwrap())
    }

    #[test]
    fn the_burst_window_rolls() {
        let mut l = limiter("3/1s");
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let admit = |l: &mut Limiter, at| l.admit("k", Lane::General, at, 0);
        assert_eq!(
            admit(&mut l, ms(0)),
            Verdict::Admitted {
                remaining: 2,
                daily_remaining: 999_999
            }
        );
        assert!(matches!(admit(&mut l, ms(100)), Verdict::Admitted { .. }));
        assert!(matches!(
            admit(&mut l, ms(200)),
            Verdict::Admitted { remaining: 0, .. }
        ));
        assert_eq!(
            admit(&mut l, ms(999)),
            Verdict::Limited(Policy::TenSecondly)
        );
        assert!(
            matches!(admit(&mut l, ms(1000)), Verdict::Admitted { .. }),
            "the first request left the window"
        );
        assert!(
            matches!(
                l.admit("other", Lane::General, ms(1000), 0),
                Verdict::Admitted { .. }
            ),
            "keys have their own windows"
        );
    }

    #[test]
    fn daily_and_search_limits_are_separate() {
        let mut l = limiter("100/10s,daily=3,search=1/1s");
        let t0 = Instant::now();
        assert!(matches!(
            l.admit("k", Lane::Search, t0, 0),
            Verdict::Admitted { .. }
        ));
        assert_eq!(
            l.admit("k", Lane::Search, t0, 0),
            Verdict::Limited(Policy::Search)
        );
        assert!(matches!(
            l.admit("k", Lane::General, t0, 0),
            Verdict::Admitted {
                daily_remaining: 1,
                ..
            }
        ));
        assert!(matches!(
            l.admit("k", Lane::General, t0, 0),
            Verdict::Admitted { .. }
        ));
        assert_eq!(
            l.admit("k", Lane::General, t0, 0),
            Verdict::Limited(Policy::Daily)
        );
        assert!(
            matches!(l.admit("k", Lane::General, t0, 1), Verdict::Admitted { .. }),
            "a new UTC day resets the count"
        );
    }

    #[test]
    fn max_in_window_counts_every_arrival() {
        let mut l = limiter("2/1s");
        let t0 = Instant::now();
        for i in 0..5 {
            l.arrive("k", t0 + Duration::from_millis(i * 100));
        }
        l.arrive("k", t0 + Duration::from_millis(5_000));
        assert_eq!(l.max_in_window(), 5);
        assert_eq!(utc_day(86_400_000 * 3 + 5), 3);
    }
}
