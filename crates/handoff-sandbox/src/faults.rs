//! Fault injection: latency, 5xx (the next N requests, or a seeded random fraction), a 429
//! storm for a while, and "daily limit exhausted". Every decision is made under the gate's lock
//! in arrival order, so with a `seed` the same request sequence meets the same faults.

use std::time::Duration;

use tokio::time::Instant;

use super::config::FaultConfig;
use super::error::Policy;

const DEFAULT_STATUSES: [u16; 4] = [500, 502, 503, 504];

/// SplitMix64: tiny, fast, and good enough to pick faults reproducibly.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug)]
pub(crate) struct Faults {
    cfg: FaultConfig,
    rng: SplitMix64,
    fail_left: u32,
    storm_until: Option<Instant>,
}

impl Faults {
    /// Activates `cfg` now: the storm runs from `now`, `fail_next` counts from here.
    pub(crate) fn new(cfg: FaultConfig, now: Instant) -> Self {
        let seed = cfg.seed.unwrap_or_else(|| {
            let nanos = jiff::Timestamp::now().as_nanosecond();
            u64::try_from(nanos.rem_euclid(i128::from(u64::MAX))).unwrap_or(0)
        });
        Self {
            rng: SplitMix64(seed),
            fail_left: cfg.fail_next,
            storm_until: (cfg.storm_ms > 0).then(|| now + Duration::from_millis(cfg.storm_ms)),
            cfg,
        }
    }

    pub(crate) fn config(&self) -> &FaultConfig {
        &self.cfg
    }

    fn applies(&self, path: &str) -> bool {
        self.cfg
            .path_prefix
            .as_deref()
            .is_none_or(|p| path.starts_with(p))
    }

    /// Extra latency for this request: every affected one, or a `latency_rate` share (spikes).
    pub(crate) fn latency(&mut self, path: &str) -> Option<Duration> {
        if self.cfg.latency_ms == 0 || !self.applies(path) {
            return None;
        }
        let spike = self.cfg.latency_rate <= 0.0 || self.rng.unit() < self.cfg.latency_rate;
        spike.then(|| Duration::from_millis(self.cfg.latency_ms))
    }

    /// How long the answer to this (already handled) request is held back.
    pub(crate) fn response_delay(&self, path: &str) -> Option<Duration> {
        (self.cfg.response_delay_ms > 0 && self.applies(path))
            .then(|| Duration::from_millis(self.cfg.response_delay_ms))
    }

    /// A 429 answered before the real limiter: `DAILY` when exhausted, else the storm's.
    pub(crate) fn rate_fault(&self, path: &str, now: Instant) -> Option<Policy> {
        if !self.applies(path) {
            return None;
        }
        if self.cfg.daily_exhausted {
            return Some(Policy::Daily);
        }
        self.storm_until
            .filter(|until| now < *until)
            .map(|_| Policy::TenSecondly)
    }

    /// A 5xx to answer instead of the real handler.
    pub(crate) fn server_error(&mut self, path: &str) -> Option<u16> {
        if !self.applies(path) {
            return None;
        }
        if self.fail_left > 0 {
            self.fail_left -= 1;
            return Some(match self.cfg.fail_status {
                0 => 500,
                s => s,
            });
        }
        if self.cfg.error_rate > 0.0 && self.rng.unit() < self.cfg.error_rate {
            let statuses: &[u16] = if self.cfg.error_statuses.is_empty() {
                &DEFAULT_STATUSES
            } else {
                &self.cfg.error_statuses
            };
            let pick = self.rng.next() % statuses.len() as u64;
            return statuses.get(usize::try_from(pick).unwrap_or(0)).copied();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(spec: &str) -> Faults {
        Faults::new(spec.parse().unwrap(), Instant::now())
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let run = |seed| {
            let mut f = faults(&format!("error_rate=0.3,seed={seed}"));
            (0..200)
                .map(|_| f.server_error("/crm/v3/owners"))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
        let hits = run(42).iter().filter(|s| s.is_some()).count();
        assert!((30..=90).contains(&hits), "about 30 % of 200, got {hits}");
        assert!(
            run(42)
                .iter()
                .flatten()
                .all(|s| DEFAULT_STATUSES.contains(s))
        );
    }

    #[test]
    fn fail_next_counts_down_only_on_matching_paths() {
        let mut f = faults("fail_next=2,status=503,path=/crm/v3/objects/tasks");
        assert_eq!(f.server_error("/crm/v3/owners"), None);
        assert_eq!(
            f.server_error("/crm/v3/objects/tasks/batch/create"),
            Some(503)
        );
        assert_eq!(
            f.server_error("/crm/v3/objects/tasks/batch/read"),
            Some(503)
        );
        assert_eq!(f.server_error("/crm/v3/objects/tasks/batch/read"), None);
    }

    #[test]
    fn storms_end_and_daily_exhaustion_does_not() {
        let now = Instant::now();
        let f = Faults::new("storm_ms=1000".parse().unwrap(), now);
        assert_eq!(f.rate_fault("/x", now), Some(Policy::TenSecondly));
        assert_eq!(f.rate_fault("/x", now + Duration::from_millis(1000)), None);
        let mut f = faults("daily_exhausted,latency_ms=5");
        assert_eq!(
            f.rate_fault("/x", now + Duration::from_secs(9_999)),
            Some(Policy::Daily)
        );
        assert_eq!(f.latency("/x"), Some(Duration::from_millis(5)));
    }

    #[test]
    fn latency_spikes_hit_about_their_share_and_delays_only_their_paths() {
        let mut f = faults("latency_ms=2000,latency_rate=0.2,seed=3");
        let spikes = (0..500).filter(|_| f.latency("/crm").is_some()).count();
        assert!(
            (60..=140).contains(&spikes),
            "about 20 % of 500, got {spikes}"
        );
        let f = faults("response_delay_ms=50,path=/crm/v3/objects/tasks");
        assert_eq!(
            f.response_delay("/crm/v3/objects/tasks/batch/create"),
            Some(Duration::from_millis(50))
        );
        assert_eq!(
            f.response_delay("/crm/v3/objects/contacts/batch/read"),
            None
        );
    }
}
