//! `handoff queue stats` and `handoff dlq ...` through the real binary, on a store the test
//! fills and breaks on purpose.

use std::path::Path;
use std::process::Output;

use crate::support::cli;
use handoff::store::queue::{OnExisting, Outcome, Scheduled};
use handoff::store::{NewJob, Store};

fn handoff(dir: &Path, args: &[&str]) -> Output {
    cli::run(cli::configured(dir), args)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Two dead jobs (portals 111 and 222) and one ready job.
async fn seed(dir: &Path) -> (i64, i64) {
    let settings =
        crate::support::engines::settings(&format!("sqlite://{}/handoff.db", dir.display()));
    let store = Store::connect(&settings).await.unwrap();
    store.migrate().await.unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    let mut ids = Vec::new();
    for key in ["111:0-1:5", "222:0-1:6", "333:0-1:7"] {
        let job = NewJob {
            lane: "events",
            key: key.into(),
            kind: "hubspot_event.v1",
            payload: serde_json::value::to_raw_value(
                &serde_json::json!({"event": {"objectId": 5}}),
            )
            .unwrap(),
            occurred_at_ms: 1,
        };
        let scheduled = Scheduled {
            job,
            run_at_ms: now,
            max_attempts: 3,
        };
        ids.push(
            store
                .queue()
                .schedule(&scheduled, OnExisting::Keep, now)
                .await
                .unwrap(),
        );
    }
    let claimed = store
        .queue()
        .claim("events", "w", now, 60_000, 2)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    for job in claimed {
        let reason = format!("HubSpot 403 for {}", job.key);
        store
            .queue()
            .finish(job.id, "w", &Outcome::Dead { reason }, now)
            .await
            .unwrap();
    }
    store.close().await;
    (ids[0], ids[1])
}

#[tokio::test]
async fn operators_list_show_replay_and_purge_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = seed(dir.path()).await;
    let d = dir.path();

    let stats = handoff(d, &["queue", "stats"]);
    assert!(stats.status.success(), "{}", text(&stats));
    let table = text(&stats);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("events") && l.contains("dead") && l.contains(" 2 ")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("events") && l.contains(" due ") && l.contains(" 1 ")),
        "{table}"
    );

    let listed = handoff(d, &["dlq", "list", "--json", "--portal", "111"]);
    let jobs: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(jobs.as_array().unwrap().len(), 1);
    assert_eq!(jobs[0]["id"], first);
    assert_eq!(jobs[0]["last_error"], "HubSpot 403 for 111:0-1:5");
    let table = text(&handoff(d, &["dlq", "list", "--since", "1h"]));
    assert!(table.contains("2 dead job(s)"), "{table}");

    let shown = handoff(d, &["dlq", "show", &second.to_string()]);
    let job: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(
        job["payload"]["event"]["objectId"], 5,
        "payload shown as JSON"
    );

    let refused = handoff(d, &["dlq", "replay"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("give a job id or --all"),
        "{}",
        text(&refused)
    );
    let missing = handoff(d, &["dlq", "replay", "999999"]);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("no dead job with id 999999"));

    let replayed = handoff(d, &["dlq", "replay", &first.to_string()]);
    assert!(
        text(&replayed).contains("replayed 1 dead job(s)"),
        "{}",
        text(&replayed)
    );
    let purged = handoff(d, &["dlq", "purge", "--all", "--portal", "222"]);
    assert!(
        text(&purged).contains("purged 1 dead job(s)"),
        "{}",
        text(&purged)
    );
    let table = text(&handoff(d, &["queue", "stats"]));
    assert!(!table.lines().any(|l| l.contains(" dead ")), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("events") && l.contains(" due ") && l.contains(" 2 ")),
        "{table}"
    );
}

/// A job of `lane` due at `due_ms`; with `put_back`, claimed then and put back to run at
/// `run_at_ms` with that outcome's error (a retry, or a paused portal's deferral).
async fn waiting_job(
    store: &Store,
    lane: &'static str,
    key: &str,
    due_ms: i64,
    put_back: Option<Outcome>,
) {
    let job = NewJob {
        lane,
        key: key.into(),
        kind: "hubspot_event.v1",
        payload: serde_json::value::to_raw_value(&serde_json::json!({"event": {}})).unwrap(),
        occurred_at_ms: 1,
    };
    let scheduled = Scheduled {
        job,
        run_at_ms: due_ms,
        max_attempts: 10,
    };
    let id = store
        .queue()
        .schedule(&scheduled, OnExisting::Keep, due_ms)
        .await
        .unwrap();
    if let Some(outcome) = put_back {
        let claimed = store
            .queue()
            .claim(lane, "w", due_ms, 60_000, 10)
            .await
            .unwrap();
        assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
        store
            .queue()
            .finish(id, "w", &outcome, due_ms)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn queue_stats_tells_due_jobs_from_held_paused_and_scheduled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let settings =
        crate::support::engines::settings(&format!("sqlite://{}/handoff.db", dir.path().display()));
    let store = Store::connect(&settings).await.unwrap();
    store.migrate().await.unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    let minute = 60_000;
    // Due 10 minutes ago, held back by a HubSpot auth failure until an hour from now.
    let auth = Outcome::Retry {
        at_ms: now + 60 * minute,
        error: "hubspot.auth.portal_paused: paused".into(),
    };
    waiting_job(&store, "events", "1:0-1:1", now - 10 * minute, Some(auth)).await;
    // Due 3 hours ago, its portal paused.
    let paused = Outcome::Defer {
        at_ms: now + minute,
        reason: handoff::store::PAUSED_ERROR.into(),
    };
    waiting_job(
        &store,
        "events",
        "2:0-1:2",
        now - 180 * minute,
        Some(paused),
    )
    .await;
    // Due 2 minutes ago, waiting for a worker.
    waiting_job(&store, "events", "3:0-1:3", now - 2 * minute, None).await;
    // Twenty SLA checks for later.
    for n in 0..20 {
        let key = format!("1:sla:{n}");
        waiting_job(&store, "sla", &key, now + 30 * minute + n, None).await;
    }
    store.close().await;

    let stats = handoff(dir.path(), &["queue", "stats"]);
    assert!(stats.status.success(), "{}", text(&stats));
    let table = text(&stats);
    let line = |lane: &str, status: &str| -> Vec<String> {
        table
            .lines()
            .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .find(|c| c.len() >= 2 && c[0] == lane && c[1] == status)
            .unwrap_or_else(|| panic!("no {lane} {status} line in\n{table}"))
    };
    assert_eq!(
        line("events", "due"),
        ["events", "due", "1", "2m", "-"],
        "{table}"
    );
    let held = line("events", "held");
    assert_eq!(held[..4], ["events", "held", "1", "10m"], "{table}");
    assert!(
        held[4..] == ["in", "59m"] || held[4..] == ["in", "60m"],
        "next try in an hour: {table}"
    );
    assert_eq!(
        line("events", "paused"),
        ["events", "paused", "1", "3h", "on", "resume"],
        "{table}"
    );
    let sla = line("sla", "scheduled");
    assert_eq!(
        sla[..4],
        ["sla", "scheduled", "20", "-"],
        "not ready, no age: {table}"
    );
    assert!(
        sla[4..] == ["in", "29m"] || sla[4..] == ["in", "30m"],
        "{table}"
    );
    assert!(
        !table.lines().any(|l| l.contains(" ready ")),
        "no lump of ready jobs: {table}"
    );
}
