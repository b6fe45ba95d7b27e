//! The worker inside `serve` on SQLite: jobs committed in-process wake it at once, run in key
//! order, and a job it cannot handle becomes a dead letter that says why.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use handoff::jobs::{KIND_PROBE, LANE_PROBE, Probe};
use handoff::store::NewJob;
use handoff::store::queue::{DeadFilter, OnExisting, Scheduled};

use crate::support::app::spawn_app;

fn probe_job(key: String, occurred_at_ms: i64, kind: &'static str) -> Scheduled {
    let now = jiff::Timestamp::now().as_millisecond();
    let payload = serde_json::value::to_raw_value(&Probe {
        enqueued_at_ms: now,
        work_ms: 1,
    })
    .unwrap();
    Scheduled {
        job: NewJob {
            lane: LANE_PROBE,
            key,
            kind,
            payload,
            occurred_at_ms,
        },
        run_at_ms: now,
        max_attempts: 3,
    }
}

#[tokio::test]
async fn the_worker_in_serve_runs_probe_jobs_in_key_order() {
    let app = spawn_app().await;
    let now = jiff::Timestamp::now().as_millisecond();
    for n in 0..60 {
        let job = probe_job(format!("p:{}", n % 6), n, KIND_PROBE);
        app.store
            .queue()
            .schedule(&job, OnExisting::Keep, now)
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let runs = loop {
        let runs = app.store.probes().runs().await.unwrap();
        if runs.len() == 60 {
            break runs;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of 60 probe jobs ran",
            runs.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut last: HashMap<&str, i64> = HashMap::new();
    for run in &runs {
        if let Some(prev) = last.insert(&run.job_key, run.occurred_at_ms) {
            assert!(prev < run.occurred_at_ms, "{} out of order", run.job_key);
        }
    }
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("handoff_jobs_finished_total{kind=\"probe.v1\",outcome=\"done\"} 60"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_job_the_worker_cannot_handle_becomes_a_dead_letter_with_the_reason() {
    let app = spawn_app().await;
    let now = jiff::Timestamp::now().as_millisecond();
    app.store
        .queue()
        .schedule(
            &probe_job("p:x".into(), 1, "mystery.v9"),
            OnExisting::Keep,
            now,
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let dead = app
            .store
            .dead_letters()
            .list(&DeadFilter::default())
            .await
            .unwrap();
        if let Some(job) = dead.first() {
            assert_eq!(
                job.last_error.as_deref(),
                Some("no handler for job kind \"mystery.v9\" in this build")
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the unknown job was not dead-lettered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await;
}
