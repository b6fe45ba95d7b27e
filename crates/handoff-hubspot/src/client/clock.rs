//! Time for the HubSpot client: every rule that depends on "now" (budgets, cooldowns, token
//! expiry, owner-cache age) reads it through [`Clock`] so tests are deterministic.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

/// A wall-clock source. Waiting is always done with `tokio::time`, so a clock that follows tokio's
/// clock ([`TokioClock`]) makes `tokio::time::pause()` drive the whole client.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Wall time derived from tokio's clock: `start + (tokio::Instant::now() - base)`.
///
/// Under `tokio::time::pause()` it stands still and jumps with `advance`/auto-advance, which makes
/// token-expiry and cooldown tests exact. It is also usable in production, at the cost of not
/// following wall-clock adjustments.
#[derive(Debug, Clone)]
pub struct TokioClock {
    start: Timestamp,
    base: tokio::time::Instant,
}

impl TokioClock {
    /// A clock reading `start` now.
    pub(crate) fn starting_at(start: Timestamp) -> Self {
        Self {
            start,
            base: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        add(self.start, self.base.elapsed())
    }
}

/// A test clock: follows tokio's clock like [`TokioClock`] and can also jump forward with
/// [`ManualClock::advance`] (e.g. to just before a token's expiry) without waiting.
#[derive(Debug)]
pub struct ManualClock {
    flowing: TokioClock,
    jumped: std::sync::Mutex<Duration>,
}

impl ManualClock {
    /// A clock reading `start` now.
    pub fn new(start: Timestamp) -> Self {
        Self {
            flowing: TokioClock::starting_at(start),
            jumped: std::sync::Mutex::new(Duration::ZERO),
        }
    }

    /// Jumps the clock forward.
    pub fn advance(&self, d: Duration) {
        let mut j = self
            .jumped
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *j = j.saturating_add(d);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        let jumped = *self
            .jumped
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        add(self.flowing.now(), jumped)
    }
}

/// `ts + d`, saturating at the end of jiff's range.
pub(crate) fn add(ts: Timestamp, d: Duration) -> Timestamp {
    ts.checked_add(d).unwrap_or(Timestamp::MAX)
}

/// `later - earlier`, zero when `later` is not after `earlier`.
pub(crate) fn until(earlier: Timestamp, later: Timestamp) -> Duration {
    Duration::try_from(later.duration_since(earlier)).unwrap_or(Duration::ZERO)
}

/// Adapter that lets `governor` read our [`Clock`] (nanoseconds since the Unix epoch).
#[derive(Debug, Clone)]
pub(crate) struct GovernorClock(pub(crate) Arc<dyn Clock>);

impl governor::clock::Clock for GovernorClock {
    type Instant = governor::nanos::Nanos;

    fn now(&self) -> Self::Instant {
        let nanos = self.0.now().as_nanosecond();
        governor::nanos::Nanos::new(u64::try_from(nanos.max(0)).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let start = Timestamp::from_second(1_700_000_000).unwrap();
        let clock = TokioClock::starting_at(start);
        assert_eq!(clock.now(), start);
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(until(start, clock.now()), Duration::from_secs(90));
    }

    #[test]
    fn until_is_zero_when_reversed() {
        let a = Timestamp::from_second(10).unwrap();
        let b = Timestamp::from_second(20).unwrap();
        assert_eq!(until(b, a), Duration::ZERO);
    }
}
