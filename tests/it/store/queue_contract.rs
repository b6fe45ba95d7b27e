//! The queue's contract, written against `Store` so every backend runs the same suite.
//! Time is passed in explicitly: no test sleeps.

use std::collections::HashMap;

use handoff::store::queue::{DeadFilter, OnExisting, Outcome, QueueError, Scheduled};
use handoff::store::{NewJob, Store};

use crate::support::engines::open_store;
use handoff::store::Dialect;

fn job(lane: &'static str, key: &str, occurred_at_ms: i64) -> NewJob {
    NewJob {
        lane,
        key: key.to_owned(),
        kind: "test.v1",
        payload: serde_json::value::to_raw_value(
            &serde_json::json!({ "key": key, "at": occurred_at_ms }),
        )
        .unwrap(),
        occurred_at_ms,
    }
}

async fn add(
    store: &Store,
    lane: &'static str,
    key: &str,
    occurred_at_ms: i64,
    run_at_ms: i64,
    max_attempts: i64,
) -> i64 {
    let scheduled = Scheduled {
        job: job(lane, key, occurred_at_ms),
        run_at_ms,
        max_attempts,
    };
    store
        .queue()
        .schedule(&scheduled, OnExisting::Keep, 0)
        .await
        .unwrap()
}

const T0: i64 = 1_000_000;
const LEASE: i64 = 30_000;

async fn each_key_hands_out_its_oldest_event_first_and_one_at_a_time(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    add(s, "events", "p:c:1", 300, T0, 5).await;
    let first = add(s, "events", "p:c:1", 100, T0, 5).await;
    add(s, "events", "p:c:1", 200, T0, 5).await;
    let other = add(s, "events", "p:c:2", 999, T0, 5).await;
    let claimed = s
        .queue()
        .claim("events", "w1", T0, LEASE, 10)
        .await
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|j| j.id).collect();
    assert_eq!(
        ids,
        vec![first, other],
        "one job per key, the oldest event of key 1"
    );
    // While key 1's job runs, its later events wait.
    assert!(
        s.queue()
            .claim("events", "w2", T0, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    s.queue()
        .finish(first, "w1", &Outcome::Done, T0 + 1)
        .await
        .unwrap();
    let next = s
        .queue()
        .claim("events", "w2", T0 + 2, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].occurred_at_ms, 200);
    assert_eq!(next[0].attempts, 1);
}

async fn a_job_due_later_is_not_handed_out_early_and_blocks_its_key(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    add(s, "events", "k", 1, T0 + 60_000, 5).await;
    add(s, "events", "k", 2, T0, 5).await;
    assert!(
        s.queue()
            .claim("events", "w", T0, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = s
        .queue()
        .claim("events", "w", T0 + 60_000, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(due[0].occurred_at_ms, 1);
}

async fn an_expired_lease_returns_the_job_and_the_old_owner_cannot_finish_it(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    let id = add(s, "events", "k", 1, T0, 5).await;
    s.queue()
        .claim("events", "crashed", T0, 1_000, 10)
        .await
        .unwrap();
    // Not expired yet: nothing to release, nothing to claim.
    assert_eq!(s.queue().release_expired(T0 + 500).await.unwrap(), (0, 0));
    assert!(
        s.queue()
            .claim("events", "w2", T0 + 500, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The holder may extend while it works; a stranger may not.
    s.queue()
        .extend_lease(id, "crashed", T0 + 600, T0 + 1_500)
        .await
        .unwrap();
    assert!(matches!(
        s.queue().extend_lease(id, "w2", T0 + 600, T0 + 9_000).await,
        Err(QueueError::LeaseLost(_))
    ));
    assert_eq!(s.queue().release_expired(T0 + 2_000).await.unwrap(), (1, 0));
    let again = s
        .queue()
        .claim("events", "w2", T0 + 2_000, LEASE, 10)
        .await
        .unwrap();
    assert_eq!((again[0].id, again[0].attempts), (id, 2));
    let lost = s
        .queue()
        .finish(id, "crashed", &Outcome::Done, T0 + 2_001)
        .await;
    assert!(matches!(lost, Err(QueueError::LeaseLost(i)) if i == id));
    s.queue()
        .finish(id, "w2", &Outcome::Done, T0 + 2_002)
        .await
        .unwrap();
    // Finishing twice is refused too.
    assert!(
        s.queue()
            .finish(id, "w2", &Outcome::Done, T0 + 2_003)
            .await
            .is_err()
    );
}

async fn a_lease_past_its_end_cannot_be_finished_even_before_the_sweep(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    let id = add(s, "events", "k", 1, T0, 5).await;
    s.queue()
        .claim("events", "slow", T0, 1_000, 1)
        .await
        .unwrap();
    assert!(
        s.queue()
            .finish(id, "slow", &Outcome::Done, T0 + 1_001)
            .await
            .is_err()
    );
}

async fn retries_wait_for_their_time_and_die_after_max_attempts(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    let id = add(s, "events", "k", 1, T0, 2).await;
    s.queue().claim("events", "w", T0, LEASE, 1).await.unwrap();
    let retry = Outcome::Retry {
        at_ms: T0 + 5_000,
        error: "HubSpot 503".into(),
    };
    s.queue().finish(id, "w", &retry, T0 + 10).await.unwrap();
    assert!(
        s.queue()
            .claim("events", "w", T0 + 4_999, LEASE, 1)
            .await
            .unwrap()
            .is_empty()
    );
    let second = s
        .queue()
        .claim("events", "w", T0 + 5_000, LEASE, 1)
        .await
        .unwrap();
    assert_eq!(second[0].attempts, 2);
    s.queue().finish(id, "w", &retry, T0 + 5_010).await.unwrap();
    assert!(
        s.queue()
            .claim("events", "w", T0 + 99_000, LEASE, 1)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = s.dead_letters().list(&DeadFilter::default()).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("gave up after 2 attempts: HubSpot 503")
    );
}

async fn a_lease_that_expires_on_the_last_attempt_is_a_dead_letter(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    add(s, "events", "k", 1, T0, 1).await;
    s.queue().claim("events", "w", T0, 100, 1).await.unwrap();
    assert_eq!(s.queue().release_expired(T0 + 200).await.unwrap(), (0, 1));
    let dead = s.dead_letters().list(&DeadFilter::default()).await.unwrap();
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("lease expired")
    );
}

async fn dead_letters_are_listed_by_filter_replayed_with_history_and_purged(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    let a = add(s, "events", "111:0-1:5", 1, T0, 3).await;
    let b = add(s, "events", "222:0-1:6", 1, T0, 3).await;
    let claimed = s.queue().claim("events", "w", T0, LEASE, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![a, b]);
    s.queue()
        .finish(
            a,
            "w",
            &Outcome::Dead {
                reason: "contact has no email".into(),
            },
            T0 + 1,
        )
        .await
        .unwrap();
    s.queue()
        .finish(
            b,
            "w",
            &Outcome::Dead {
                reason: "403 missing scope".into(),
            },
            T0 + 1,
        )
        .await
        .unwrap();
    let portal = DeadFilter {
        portal_id: Some(111),
        ..DeadFilter::default()
    };
    let listed = s.dead_letters().list(&portal).await.unwrap();
    assert_eq!(listed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![a]);
    assert_eq!(
        s.dead_letters()
            .list(&DeadFilter {
                kind: Some("other".into()),
                ..DeadFilter::default()
            })
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        s.dead_letters()
            .list(&DeadFilter {
                since_ms: Some(T0 + 2),
                ..DeadFilter::default()
            })
            .await
            .unwrap()
            .len(),
        0
    );

    assert_eq!(
        s.dead_letters()
            .replay(&portal, None, T0 + 10)
            .await
            .unwrap(),
        1
    );
    let again = s
        .queue()
        .claim("events", "w", T0 + 10, LEASE, 10)
        .await
        .unwrap();
    assert_eq!((again[0].id, again[0].attempts), (a, 1));
    s.queue()
        .finish(
            a,
            "w",
            &Outcome::Dead {
                reason: "still no email".into(),
            },
            T0 + 11,
        )
        .await
        .unwrap();
    let history: serde_json::Value =
        serde_json::from_str(&s.dead_letters().list(&portal).await.unwrap()[0].history).unwrap();
    assert_eq!(history[0]["error"], "contact has no email");
    assert_eq!(history[0]["attempts"], 1);

    assert_eq!(
        s.dead_letters()
            .purge(&DeadFilter::default(), Some(b))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.dead_letters()
            .list(&DeadFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn scheduled_jobs_are_replaced_and_cancelled_by_key_but_a_running_one_is_kept(
    engine: Dialect,
) {
    let t = open_store(engine).await;
    let s = &t.store;
    let at = T0 + 3_600_000;
    let first = Scheduled {
        job: job("sla", "sla:62515:123", 1),
        run_at_ms: at,
        max_attempts: 5,
    };
    s.queue()
        .schedule(&first, OnExisting::Replace, T0)
        .await
        .unwrap();
    let later = Scheduled {
        run_at_ms: at + 60_000,
        ..first.clone()
    };
    let kept = s
        .queue()
        .schedule(&later, OnExisting::Replace, T0)
        .await
        .unwrap();
    let due = s
        .queue()
        .claim("sla", "w", at + 60_000, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(due.iter().map(|j| j.id).collect::<Vec<_>>(), vec![kept]);
    // A new pending check beside the running one; cancel removes only the pending one.
    s.queue()
        .schedule(&first, OnExisting::Keep, T0)
        .await
        .unwrap();
    assert_eq!(s.queue().cancel("sla", "sla:62515:123").await.unwrap(), 1);
    s.queue()
        .finish(kept, "w", &Outcome::Done, at + 60_001)
        .await
        .unwrap();
    assert!(
        s.queue()
            .claim("sla", "w", at + 120_000, LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_backlog_in_one_lane_does_not_starve_another(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    for i in 0..200 {
        add(s, "events", &format!("k{i}"), i, T0, 5).await;
    }
    let sla = add(s, "sla", "sla:k0", 0, T0, 5).await;
    let claimed = s.queue().claim("sla", "w", T0, LEASE, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![sla]);
}

async fn retention_prunes_old_done_jobs_and_inbox_rows_but_keeps_dead_and_pending(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    let done = add(s, "events", "a", 1, T0, 5).await;
    let dead = add(s, "events", "b", 1, T0, 5).await;
    add(s, "events", "c", 1, T0 + 1_000_000, 5).await;
    s.queue().claim("events", "w", T0, LEASE, 10).await.unwrap();
    s.queue()
        .finish(done, "w", &Outcome::Done, T0 + 1)
        .await
        .unwrap();
    s.queue()
        .finish(dead, "w", &Outcome::Dead { reason: "x".into() }, T0 + 1)
        .await
        .unwrap();
    let (jobs, _) = s.queue().prune(T0 + 2, 0).await.unwrap();
    assert_eq!(jobs, 1);
    assert_eq!(
        s.dead_letters()
            .list(&DeadFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.queue()
            .claim("events", "w", T0 + 1_000_000, LEASE, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn concurrent_workers_run_every_job_once_and_in_order_per_key(engine: Dialect) {
    let t = open_store(engine).await;
    let s = t.store.clone();
    for i in 0..600i64 {
        // Interleave keys and insert each key's events out of order.
        let key = format!("p:c:{}", i % 20);
        add(&s, "events", &key, 1_000 - i, T0, 5).await;
    }
    let sequence = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..4 {
        let (s, sequence) = (s.clone(), sequence.clone());
        workers.spawn(async move {
            let owner = format!("w{w}");
            let mut ran = Vec::new();
            loop {
                let jobs = s
                    .queue()
                    .claim("events", &owner, T0, LEASE, 8)
                    .await
                    .unwrap();
                if jobs.is_empty() {
                    break;
                }
                for job in jobs {
                    // A key's next job is claimable only after this one finishes, so the
                    // sequence taken here orders each key's runs.
                    let seq = sequence.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    ran.push((job.key.clone(), job.occurred_at_ms, job.id, seq));
                    s.queue()
                        .finish(job.id, &owner, &Outcome::Done, T0 + 1)
                        .await
                        .unwrap();
                }
            }
            ran
        });
    }
    let mut all = Vec::new();
    while let Some(ran) = workers.join_next().await {
        all.extend(ran.unwrap());
    }
    assert_eq!(all.len(), 600);
    let ids: std::collections::HashSet<i64> = all.iter().map(|r| r.2).collect();
    assert_eq!(ids.len(), 600, "a job ran twice");
    all.sort_by_key(|r| r.3);
    let mut by_key: HashMap<String, Vec<i64>> = HashMap::new();
    for (key, occurred, _, _) in &all {
        by_key.entry(key.clone()).or_default().push(*occurred);
    }
    assert_eq!(by_key.len(), 20);
    for (key, runs) in by_key {
        assert!(
            runs.windows(2).all(|w| w[0] < w[1]),
            "{key} ran out of order: {runs:?}"
        );
    }
}

async fn maintenance_returns_expired_leases_and_applies_retention(engine: Dialect) {
    use handoff::worker::maintenance::{Swept, run_once};
    use handoff::worker::settings::QueueSettings;
    let t = open_store(engine).await;
    let s = &t.store;
    let settings = QueueSettings {
        lease_ms: 60_000,
        maintenance_interval_ms: 60_000,
        keep_done_ms: 1_000_000,
        dedup_window_ms: 86_400_000,
    };
    let done = add(s, "events", "a", 1, T0, 5).await;
    add(s, "events", "b", 1, T0, 5).await;
    s.queue().claim("events", "w", T0, 1_000, 10).await.unwrap();
    s.queue()
        .finish(done, "w", &Outcome::Done, T0 + 1)
        .await
        .unwrap();
    let swept = run_once(s, &settings, T0 + 2_000).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            leases_returned: 1,
            ..Swept::default()
        }
    );
    let later = run_once(s, &settings, T0 + 2_000_000).await.unwrap();
    assert_eq!(later.done_pruned, 1);
    assert_eq!(
        s.queue()
            .claim("events", "w2", T0 + 2_000_000, LEASE, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn a_batch_of_successes_finishes_in_one_call_and_skips_lost_leases(engine: Dialect) {
    let t = open_store(engine).await;
    let s = &t.store;
    for key in ["a", "b", "c"] {
        add(s, "events", key, 1, T0, 5).await;
    }
    let claimed = s.queue().claim("events", "w", T0, 1_000, 10).await.unwrap();
    let ids: Vec<i64> = claimed.iter().map(|j| j.id).collect();
    // The third job's lease is taken over by another worker before the batch is recorded.
    s.queue().release_expired(T0 + 2_000).await.unwrap();
    let again = s
        .queue()
        .claim("events", "w2", T0 + 2_000, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 3);
    s.queue()
        .extend_lease(ids[0], "w2", T0 + 2_001, T0 + 90_000)
        .await
        .unwrap();
    let done = s
        .queue()
        .finish_done_many("w2", &ids[..2], T0 + 2_002)
        .await
        .unwrap();
    assert_eq!(done, ids[..2].to_vec());
    // The old owner can finish nothing; the remaining job is still running for w2.
    assert!(
        s.queue()
            .finish_done_many("w", &ids, T0 + 2_003)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.queue()
            .finish(ids[2], "w2", &Outcome::Done, T0 + 2_004)
            .await
            .is_ok()
    );
    assert!(
        s.queue()
            .finish_done_many("w2", &[], T0)
            .await
            .unwrap()
            .is_empty()
    );
}

on_both_engines!(
    a_batch_of_successes_finishes_in_one_call_and_skips_lost_leases,
    maintenance_returns_expired_leases_and_applies_retention,
    each_key_hands_out_its_oldest_event_first_and_one_at_a_time,
    a_job_due_later_is_not_handed_out_early_and_blocks_its_key,
    an_expired_lease_returns_the_job_and_the_old_owner_cannot_finish_it,
    a_lease_past_its_end_cannot_be_finished_even_before_the_sweep,
    retries_wait_for_their_time_and_die_after_max_attempts,
    a_lease_that_expires_on_the_last_attempt_is_a_dead_letter,
    dead_letters_are_listed_by_filter_replayed_with_history_and_purged,
    scheduled_jobs_are_replaced_and_cancelled_by_key_but_a_running_one_is_kept,
    a_backlog_in_one_lane_does_not_starve_another,
    retention_prunes_old_done_jobs_and_inbox_rows_but_keeps_dead_and_pending,
    concurrent_workers_run_every_job_once_and_in_order_per_key,
);
