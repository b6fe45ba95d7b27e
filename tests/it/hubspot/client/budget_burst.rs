//! The fake counts arrivals: during a burst of 5 000 operations no window of the configured
//! interval ever carries more than the configured budget — with one client, and with two client
//! instances (two replicas) sharing one portal's budget. The interval is scaled from 10 s to 1 s
//! (and the quota to 1 000 per window) so the test runs in seconds.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use handoff::hubspot::client::{ContactId, HubspotClient};
use wiremock::Mock;
use wiremock::matchers::{method, path_regex};

use crate::support::hubspot::*;

const OPERATIONS: usize = 5_000;
const QUOTA: usize = 1_000;
const WINDOW: Duration = Duration::from_millis(1_000);

fn max_in_window(mut arrivals: Vec<Instant>) -> usize {
    arrivals.sort();
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..arrivals.len() {
        while arrivals[lo] + WINDOW <= arrivals[hi] {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

async fn burst(replicas: u32) -> (usize, Duration) {
    let server = fake().await;
    let recorder = Recorder::default();
    Mock::given(method("GET"))
        .and(path_regex("^/crm/objects/2026-09/contacts/[0-9]+$"))
        .respond_with(recorder.clone())
        .mount(&server)
        .await;
    let mut cfg = private_app_config(
        &server.uri(),
        &format!("replicas = {replicas}"),
        "quota = { requests = 1000, interval_ms = 1000, safety_margin_pct = 10 }",
    );
    cfg.retry.max_inline_wait_ms = 120_000;
    let clients: Vec<HubspotClient> = (0..replicas).map(|_| client(&cfg)).collect();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for c in &clients {
        for _ in 0..32 {
            let (c, next) = (c.clone(), next.clone());
            workers.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= OPERATIONS {
                        break;
                    }
                    c.get_contact(PORTAL, ContactId::new(i as u64 + 1).unwrap(), &[])
                        .await
                        .unwrap();
                }
            }));
        }
    }
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = started.elapsed();
    let arrivals = recorder.arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), OPERATIONS);
    (max_in_window(arrivals), elapsed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_5000_operations_never_exceeds_the_budget_in_any_window() {
    let (worst, elapsed) = burst(1).await;
    eprintln!("one replica: worst window {worst}/{QUOTA}, drained in {elapsed:?}");
    assert!(worst <= QUOTA, "{worst} requests in one window");
    // The pace is the budget's, not much slower: 900 per window after the 10 % margin.
    assert!(elapsed < Duration::from_secs_f64(OPERATIONS as f64 / 900.0 * 1.25));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_sharing_one_budget_never_exceed_it_together() {
    let (worst, elapsed) = burst(2).await;
    eprintln!("two replicas: worst window {worst}/{QUOTA}, drained in {elapsed:?}");
    assert!(worst <= QUOTA, "{worst} requests in one window");
}
