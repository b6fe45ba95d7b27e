//! The worker inside `serve` on SQLite, stepped by the test on the app's own clock: one step
//! runs every job due now, in key order; a job not due yet waits for the clock; a job it cannot
//! handle becomes a dead letter that says why.

use std::collections::HashMap;
use std::time::Duration;

use handoff::jobs::{KIND_PROBE, LANE_PROBE, Probe};
use handoff::store::NewJob;
use handoff::store::queue::{DeadFilter, OnExisting, Scheduled};

use crate::support::app::{TestApp, spawn_stepped_app};

fn probe_job(key: String, occurred_at_ms: i64, kind: &'static str, run_at_ms: i64) -> Scheduled {
    let payload = serde_json::value::to_raw_value(&Probe {
        enqueued_at_ms: run_at_ms,
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
        run_at_ms,
        max_attempts: 3,
    }
}

async fn schedule(app: &TestApp, job: &Scheduled) {
    let now = jiff::Timestamp::now().as_millisecond();
    app.store
        .queue()
        .schedule(job, OnExisting::Keep, now)
        .await
        .unwrap();
}

#[tokio::test]
async fn one_step_runs_every_due_probe_job_in_key_order() {
    let app = spawn_stepped_app().await;
    let now = jiff::Timestamp::now().as_millisecond();
    for n in 0..60 {
        schedule(&app, &probe_job(format!("p:{}", n % 6), n, KIND_PROBE, now)).await;
    }
    let ran = app.run_due().await;
    assert_eq!(ran.count(KIND_PROBE, "done"), 60, "{ran:?}");
    let runs = app.store.probes().runs().await.unwrap();
    assert_eq!(runs.len(), 60, "every probe job ran in the one step");
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
async fn a_job_not_due_yet_waits_for_the_clock_and_runs_once_it_is_due() {
    let app = spawn_stepped_app().await;
    let now = jiff::Timestamp::now().as_millisecond();
    schedule(&app, &probe_job("p:now".into(), 1, KIND_PROBE, now)).await;
    schedule(
        &app,
        &probe_job("p:later".into(), 2, KIND_PROBE, now + 60_000),
    )
    .await;
    let ran = app.run_due().await;
    assert_eq!(ran.total(), 1, "only the due job: {ran:?}");
    assert!(app.run_due().await.is_empty(), "nothing more is due");
    app.advance(Duration::from_secs(61));
    let ran = app.run_due().await;
    assert_eq!(ran.count(KIND_PROBE, "done"), 1, "{ran:?}");
    let keys: Vec<String> = app
        .store
        .probes()
        .runs()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.job_key)
        .collect();
    assert_eq!(keys, ["p:now", "p:later"]);
    app.stop().await;
}

#[tokio::test]
async fn a_job_the_worker_cannot_handle_becomes_a_dead_letter_with_the_reason() {
    let app = spawn_stepped_app().await;
    let now = jiff::Timestamp::now().as_millisecond();
    schedule(&app, &probe_job("p:x".into(), 1, "mystery.v9", now)).await;
    let ran = app.run_due().await;
    assert_eq!(ran.count("mystery.v9", "dead"), 1, "{ran:?}");
    let dead = app
        .store
        .dead_letters()
        .list(&DeadFilter::default())
        .await
        .unwrap();
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("no handler for job kind \"mystery.v9\" in this build")
    );
    app.stop().await;
}
