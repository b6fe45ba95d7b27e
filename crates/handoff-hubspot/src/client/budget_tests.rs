use std::sync::Mutex as StdMutex;

use super::*;
use crate::client::clock::TokioClock;

#[derive(Debug)]
struct ManualClock(StdMutex<Timestamp>);

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

fn t0() -> Timestamp {
    "2026-11-23T10:00:00Z".parse().unwrap()
}

fn quota(requests: u32, interval_ms: u64, replicas: u32) -> ResolvedQuota {
    ResolvedQuota {
        requests,
        interval_ms,
        safety_margin_pct: 10,
        replicas,
    }
}

fn budget(clock: Arc<dyn Clock>, q: ResolvedQuota, max_wait: Duration) -> Budget {
    Budget::new(
        vec![PortalQuota {
            portal: PortalId::new(1).unwrap(),
            quota: q,
            search: SearchQuotaConfig::default(),
            time_zone: TimeZone::get("Europe/Berlin").unwrap(),
        }],
        clock,
        max_wait,
        crate::client::metrics::HubspotMetrics::default(),
    )
}

fn max_in_window(times: &[Timestamp], window: Duration) -> usize {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..times.len() {
        while add(times[lo], window) <= times[hi] {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

#[test]
fn share_divides_margin_then_replicas() {
    assert_eq!(per_replica_share(110, 10, 1), 99);
    assert_eq!(per_replica_share(110, 10, 2), 49);
    assert_eq!(per_replica_share(100, 0, 3), 33);
    assert_eq!(per_replica_share(1, 10, 1), 0);
}

#[test]
fn greedy_sender_never_exceeds_the_share_in_any_window() {
    for (share, interval_ms) in [
        (99u32, 10_000u64),
        (49, 10_000),
        (7, 1_000),
        (1, 500),
        (450, 1_000),
    ] {
        let clock = Arc::new(ManualClock(StdMutex::new(t0())));
        let gclock = GovernorClock(clock.clone());
        let limiter = new_limiter(share, Duration::from_millis(interval_ms), &gclock, false);
        let mut sent = Vec::new();
        let step = Duration::from_millis(interval_ms / 200);
        for _ in 0..1_000 {
            while limiter.check().is_ok() {
                sent.push(clock.now());
            }
            let next = add(clock.now(), step);
            *clock.0.lock().unwrap() = next;
        }
        let worst = max_in_window(&sent, Duration::from_millis(interval_ms));
        assert!(
            worst <= share as usize,
            "share {share}: {worst} in one window"
        );
        assert!(
            worst * 100 >= share as usize * 97,
            "share {share}: only {worst} used"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn ten_secondly_429_cools_the_portal_down_for_one_interval() {
    let clock = Arc::new(TokioClock::starting_at(t0()));
    let b = budget(
        clock.clone(),
        quota(100, 10_000, 1),
        Duration::from_secs(20),
    );
    b.acquire(PortalId::new(1).unwrap(), Lane::General, Priority::Read)
        .await
        .unwrap();
    let (policy, at) = b.on_429(
        PortalId::new(1).unwrap(),
        Lane::General,
        Some("TEN_SECONDLY_ROLLING"),
        None,
    );
    assert_eq!(policy, RateLimitPolicy::TenSecondly);
    assert_eq!(at, add(t0(), Duration::from_secs(10)));
    b.acquire(PortalId::new(1).unwrap(), Lane::General, Priority::Read)
        .await
        .unwrap();
    assert!(clock.now() >= at, "sent before the window rolled");
}

#[tokio::test(start_paused = true)]
async fn daily_429_parks_until_local_midnight_and_returns_retry_at() {
    let clock = Arc::new(TokioClock::starting_at(t0()));
    let b = budget(
        clock.clone(),
        quota(100, 10_000, 1),
        Duration::from_secs(20),
    );
    let (policy, at) = b.on_429(
        PortalId::new(1).unwrap(),
        Lane::General,
        Some("DAILY"),
        None,
    );
    assert_eq!(policy, RateLimitPolicy::Daily);
    // 2026-11-24 00:00 in Berlin (UTC+1) is 23:00 UTC on the 23rd.
    assert_eq!(at, "2026-11-23T23:00:00Z".parse::<Timestamp>().unwrap());
    let err = b
        .acquire(PortalId::new(1).unwrap(), Lane::Search, Priority::Read)
        .await
        .unwrap_err();
    assert_eq!(err.detail_code(), "hubspot.rate_limited.daily");
    assert_eq!(err.retry_at(), Some(at));
}

#[tokio::test(start_paused = true)]
async fn retry_after_overrides_the_default_cooldown() {
    let clock = Arc::new(TokioClock::starting_at(t0()));
    let b = budget(
        clock.clone(),
        quota(100, 10_000, 1),
        Duration::from_secs(20),
    );
    let ra = add(t0(), Duration::from_secs(3));
    let (_, at) = b.on_429(
        PortalId::new(1).unwrap(),
        Lane::General,
        Some("TEN_SECONDLY_ROLLING"),
        Some(ra),
    );
    assert_eq!(at, ra);
}

#[tokio::test(start_paused = true)]
async fn long_waits_are_returned_to_the_queue() {
    let clock = Arc::new(TokioClock::starting_at(t0()));
    let b = budget(clock.clone(), quota(100, 10_000, 1), Duration::from_secs(2));
    b.on_429(
        PortalId::new(1).unwrap(),
        Lane::General,
        Some("TEN_SECONDLY_ROLLING"),
        None,
    );
    let err = b
        .acquire(PortalId::new(1).unwrap(), Lane::General, Priority::Write)
        .await
        .unwrap_err();
    assert_eq!(err.detail_code(), "hubspot.rate_limited.ten_secondly");
    assert_eq!(clock.now(), t0(), "must not sleep before giving up");
}

#[tokio::test(start_paused = true)]
async fn writes_go_before_reads_when_budget_is_short() {
    let clock = Arc::new(TokioClock::starting_at(t0()));
    // 10/s after margin, burst 3: the budget is short once the burst is spent.
    let b = Arc::new(budget(
        clock.clone(),
        quota(12, 1_000, 1),
        Duration::from_secs(60),
    ));
    let order = Arc::new(StdMutex::new(Vec::new()));
    // Exhaust the burst (3 cells).
    for _ in 0..3 {
        b.acquire(PortalId::new(1).unwrap(), Lane::General, Priority::Read)
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for i in 0..5 {
        for prio in [Priority::Read, Priority::Write] {
            let (b, order) = (b.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                b.acquire(PortalId::new(1).unwrap(), Lane::General, prio)
                    .await
                    .unwrap();
                order.lock().unwrap().push((prio, i));
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let order = order.lock().unwrap();
    let first_read = order
        .iter()
        .position(|(p, _)| *p == Priority::Read)
        .unwrap();
    assert!(
        order[..first_read].len() >= 4,
        "writes should lead: {order:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn headers_correct_the_quota_and_low_remaining_cools_down() {
    let clock = Arc::new(TokioClock::starting_at(t0()));
    let b = budget(
        clock.clone(),
        quota(100, 10_000, 2),
        Duration::from_secs(60),
    );
    assert_eq!(
        b.enforced(PortalId::new(1).unwrap()),
        Some((45, Duration::from_secs(10)))
    );
    let h = RateHeaders {
        max: Some(190),
        remaining: Some(150),
        interval_ms: Some(10_000),
    };
    b.observe(PortalId::new(1).unwrap(), h);
    assert_eq!(
        b.enforced(PortalId::new(1).unwrap()),
        Some((85, Duration::from_secs(10)))
    );
    // The same headers again do not rebuild or pause further.
    b.observe(PortalId::new(1).unwrap(), h);
    b.acquire(PortalId::new(1).unwrap(), Lane::General, Priority::Read)
        .await
        .unwrap();
    assert_eq!(clock.now(), add(t0(), Duration::from_secs(10)));

    let low = RateHeaders {
        remaining: Some(0),
        ..h
    };
    let before = clock.now();
    b.observe(PortalId::new(1).unwrap(), low);
    b.acquire(PortalId::new(1).unwrap(), Lane::General, Priority::Read)
        .await
        .unwrap();
    assert!(clock.now() > before, "low Remaining must pause the portal");
}
