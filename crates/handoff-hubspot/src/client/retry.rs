//! Retry policy, hand-written (docs/architecture.md "Retries written by hand": reqwest-retry never
//! sees the response, so it cannot honour `Retry-After`). Pure functions: the request loop in
//! `transport.rs` asks [`classify_status`] what a status means and [`RetryPolicy::next`] whether to
//! wait in place or hand a `retry_at` back to the job queue.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use super::clock::{add, until};
use super::config::RetryConfig;
use super::error::{ErrorDetail, HubspotError, TransientReason};
use super::types::PortalId;

/// What a non-2xx status means for us (docs/hubspot.md "Error bodies and status codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusClass {
    /// 429: the budget decides (policy name, cooldown).
    RateLimited,
    /// Retry after at least `min_wait`.
    Transient {
        reason: TransientReason,
        min_wait: Duration,
    },
    /// 401.
    Unauthorized,
    /// Any other 4xx: retrying will not help.
    Permanent,
}

/// Classifies an HTTP status.
pub(crate) fn classify_status(status: u16) -> StatusClass {
    let few_seconds = Duration::from_secs(2);
    match status {
        401 => StatusClass::Unauthorized,
        429 => StatusClass::RateLimited,
        // "Locks will last for 2 seconds … include a delay of at least 2 seconds".
        423 => StatusClass::Transient {
            reason: TransientReason::Locked,
            min_wait: few_seconds,
        },
        // Migration in progress: comes with Retry-After, "typically up to 24 hours".
        477 => StatusClass::Transient {
            reason: TransientReason::Migration,
            min_wait: Duration::from_secs(60),
        },
        408 => StatusClass::Transient {
            reason: TransientReason::Other,
            min_wait: Duration::ZERO,
        },
        // 502/504: "pause a few seconds"; 503, 521, 523: "retry after a few seconds".
        502 | 503 | 504 | 521 | 523 => StatusClass::Transient {
            reason: TransientReason::Server,
            min_wait: few_seconds,
        },
        500..=599 => StatusClass::Transient {
            reason: TransientReason::Server,
            min_wait: Duration::ZERO,
        },
        _ => StatusClass::Permanent,
    }
}

/// `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub(crate) fn parse_retry_after(value: &str, now: Timestamp) -> Option<Timestamp> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(add(now, Duration::from_secs(secs)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let since_epoch = at.duration_since(std::time::UNIX_EPOCH).ok()?;
    let ts = Timestamp::UNIX_EPOCH.checked_add(since_epoch).ok()?;
    Some(ts.max(now))
}

/// Uniform random integer in `[0, max]`; injectable so tests are deterministic.
#[derive(Clone)]
pub struct Jitter(Arc<dyn Fn(u64) -> u64 + Send + Sync>);

impl Jitter {
    /// Full jitter from the OS random source.
    pub fn random() -> Self {
        Self(Arc::new(|max| {
            use chacha20poly1305::aead::rand_core::RngCore;
            let r = chacha20poly1305::aead::OsRng.next_u64();
            r.checked_rem(max.saturating_add(1)).unwrap_or(r)
        }))
    }

    /// A custom source, e.g. `Jitter::from_fn(|max| max)` for the worst case.
    pub fn from_fn(f: impl Fn(u64) -> u64 + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    fn pick(&self, max: u64) -> u64 {
        (self.0)(max).min(max)
    }
}

impl fmt::Debug for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Jitter")
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Sleep this long, then try again in place.
    RetryIn(Duration),
    /// Stop; the caller should come back at this time.
    GiveUp { retry_at: Timestamp },
}

/// Backoff with full jitter, bounded attempts and a bound on in-place waiting.
#[derive(Debug, Clone)]
pub(crate) struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) base: Duration,
    pub(crate) cap: Duration,
    pub(crate) max_inline_wait: Duration,
    pub(crate) jitter: Jitter,
}

impl RetryPolicy {
    pub(crate) fn new(cfg: &RetryConfig, jitter: Jitter) -> Self {
        Self {
            max_attempts: cfg.max_attempts.max(1),
            base: Duration::from_millis(cfg.base_delay_ms),
            cap: Duration::from_millis(cfg.max_delay_ms),
            max_inline_wait: Duration::from_millis(cfg.max_inline_wait_ms),
            jitter,
        }
    }

    /// Full jitter: uniform in `[0, min(cap, base · 2^(attempt−1))]`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base.saturating_mul(
            1u32.checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let ceiling = exp.min(self.cap);
        let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(self.jitter.pick(ms))
    }

    /// Decides after failed attempt number `attempt` (1-based). `earliest` is the soonest the
    /// server allows (Retry-After, lock time, cooldown); `in_place_ok` is false when the request
    /// may already have been applied and must not be blindly resent.
    pub(crate) fn next(
        &self,
        attempt: u32,
        now: Timestamp,
        min_wait: Duration,
        earliest: Option<Timestamp>,
        in_place_ok: bool,
    ) -> Next {
        let server_wait = earliest.map(|t| until(now, t)).unwrap_or_default();
        let wait = self.backoff(attempt).max(min_wait).max(server_wait);
        if in_place_ok && attempt < self.max_attempts && wait <= self.max_inline_wait {
            Next::RetryIn(wait)
        } else {
            Next::GiveUp {
                retry_at: add(now, wait),
            }
        }
    }
}

/// A failed attempt that may be retried in place: no answer, a 5xx/408/423/477, or a
/// budget-exempt call's own 429. [`Retryable::decide`] is the one "retry or give up" rule for
/// all of them.
#[derive(Debug)]
pub(crate) struct Retryable {
    pub(crate) reason: TransientReason,
    /// The retry-metric label: the reason's name, or `rate_limited` for an exempt call's 429.
    pub(crate) label: &'static str,
    /// The least wait the failure asks for (a lock's 2 s, a migration's minute).
    pub(crate) min_wait: Duration,
    /// `Retry-After`, when the answer carried one.
    pub(crate) earliest: Option<Timestamp>,
    /// Safe to resend: the request is idempotent or certainly was not applied.
    pub(crate) in_place: bool,
    pub(crate) detail: ErrorDetail,
}

impl Retryable {
    /// The failure when no answer came back. A connect error never reached HubSpot; after any
    /// other, a non-idempotent request may have been applied.
    pub(crate) fn unanswered(reason: TransientReason, idempotent: bool, message: String) -> Self {
        Self {
            reason,
            label: reason.as_str(),
            min_wait: Duration::ZERO,
            earliest: None,
            in_place: idempotent || reason == TransientReason::Connect,
            detail: ErrorDetail {
                message,
                ..ErrorDetail::default()
            },
        }
    }

    /// Wait the returned time and try again in place, or give up with the error the caller
    /// gets (its `retry_at` hands the wait to the job queue).
    pub(crate) fn decide(
        self,
        policy: &RetryPolicy,
        portal: PortalId,
        attempt: u32,
        now: Timestamp,
    ) -> Result<Duration, HubspotError> {
        match policy.next(attempt, now, self.min_wait, self.earliest, self.in_place) {
            Next::RetryIn(wait) => Ok(wait),
            Next::GiveUp { retry_at } => Err(HubspotError::Transient {
                portal,
                reason: self.reason,
                detail: self.detail,
                retry_at,
                maybe_applied: !self.in_place,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(jitter: Jitter) -> RetryPolicy {
        RetryPolicy::new(&RetryConfig::default(), jitter)
    }

    fn now() -> Timestamp {
        "2026-11-23T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn statuses_fall_into_the_documented_classes() {
        assert_eq!(classify_status(429), StatusClass::RateLimited);
        assert_eq!(classify_status(401), StatusClass::Unauthorized);
        assert_eq!(classify_status(403), StatusClass::Permanent);
        assert_eq!(classify_status(400), StatusClass::Permanent);
        assert_eq!(classify_status(404), StatusClass::Permanent);
        for s in [423, 477, 500, 502, 503, 504, 521, 523, 524, 408] {
            assert!(
                matches!(classify_status(s), StatusClass::Transient { .. }),
                "{s}"
            );
        }
        assert!(matches!(
            classify_status(423),
            StatusClass::Transient { min_wait, .. } if min_wait == Duration::from_secs(2)
        ));
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(
            parse_retry_after("7", now()),
            Some(add(now(), Duration::from_secs(7)))
        );
        let date = parse_retry_after("Mon, 23 Nov 2026 10:01:00 GMT", now()).unwrap();
        assert_eq!(date, add(now(), Duration::from_secs(60)));
        assert_eq!(
            parse_retry_after("Mon, 23 Nov 2026 09:00:00 GMT", now()),
            Some(now())
        );
        assert_eq!(parse_retry_after("soon", now()), None);
    }

    #[test]
    fn backoff_is_full_jitter_capped() {
        let worst = policy(Jitter::from_fn(|max| max));
        assert_eq!(worst.backoff(1), Duration::from_millis(500));
        assert_eq!(worst.backoff(3), Duration::from_millis(2_000));
        assert_eq!(worst.backoff(40), Duration::from_millis(10_000));
        let best = policy(Jitter::from_fn(|_| 0));
        assert_eq!(best.backoff(5), Duration::ZERO);
        let random = policy(Jitter::random());
        assert!(random.backoff(2) <= Duration::from_secs(1));
    }

    #[test]
    fn short_waits_retry_in_place_and_long_ones_go_to_the_queue() {
        let p = policy(Jitter::from_fn(|max| max));
        assert_eq!(
            p.next(1, now(), Duration::ZERO, None, true),
            Next::RetryIn(Duration::from_millis(500))
        );
        let in_a_minute = add(now(), Duration::from_secs(60));
        assert_eq!(
            p.next(1, now(), Duration::ZERO, Some(in_a_minute), true),
            Next::GiveUp {
                retry_at: in_a_minute
            }
        );
        assert!(matches!(
            p.next(3, now(), Duration::ZERO, None, true),
            Next::GiveUp { .. }
        ));
        assert!(matches!(
            p.next(1, now(), Duration::ZERO, None, false),
            Next::GiveUp { .. }
        ));
    }

    fn timed_out(idempotent: bool) -> Retryable {
        Retryable::unanswered(TransientReason::Timeout, idempotent, "timed out".into())
    }

    #[test]
    fn an_unanswered_read_waits_in_place_and_gives_up_after_the_last_attempt() {
        let p = policy(Jitter::from_fn(|max| max));
        let portal = PortalId::new(7).unwrap();
        assert_eq!(
            timed_out(true).decide(&p, portal, 1, now()).unwrap(),
            Duration::from_millis(500)
        );
        let last = timed_out(true).decide(&p, portal, p.max_attempts, now());
        let Err(HubspotError::Transient {
            reason,
            retry_at,
            maybe_applied,
            detail,
            ..
        }) = last
        else {
            panic!("expected a transient error, got {last:?}");
        };
        assert_eq!(reason, TransientReason::Timeout);
        assert!(retry_at > now());
        assert!(!maybe_applied, "a read cannot have been applied");
        assert_eq!(detail.message, "timed out");
    }

    #[test]
    fn a_create_without_an_answer_goes_to_the_queue_marked_maybe_applied() {
        let p = policy(Jitter::from_fn(|max| max));
        let got = timed_out(false).decide(&p, PortalId::new(7).unwrap(), 1, now());
        assert!(
            matches!(
                got,
                Err(HubspotError::Transient {
                    maybe_applied: true,
                    ..
                })
            ),
            "{got:?}"
        );
    }

    #[test]
    fn a_create_that_could_not_connect_is_resent_in_place() {
        let p = policy(Jitter::from_fn(|max| max));
        let unsent = Retryable::unanswered(TransientReason::Connect, false, String::new());
        assert_eq!(unsent.label, "connect");
        assert!(
            unsent
                .decide(&p, PortalId::new(7).unwrap(), 1, now())
                .is_ok()
        );
    }

    #[test]
    fn a_lock_waits_at_least_its_minimum_and_a_long_retry_after_goes_to_the_queue() {
        let p = policy(Jitter::from_fn(|_| 0));
        let locked = |earliest| Retryable {
            reason: TransientReason::Locked,
            label: "locked",
            min_wait: Duration::from_secs(2),
            earliest,
            in_place: true,
            detail: ErrorDetail::default(),
        };
        assert_eq!(
            locked(None)
                .decide(&p, PortalId::new(7).unwrap(), 1, now())
                .unwrap(),
            Duration::from_secs(2)
        );
        let in_an_hour = add(now(), Duration::from_secs(3_600));
        let got = locked(Some(in_an_hour)).decide(&p, PortalId::new(7).unwrap(), 1, now());
        assert!(
            matches!(got, Err(HubspotError::Transient { retry_at, .. }) if retry_at == in_an_hour),
            "{got:?}"
        );
    }
}
