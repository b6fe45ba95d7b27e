//! `handoff queue stats` and `handoff dlq ...` through the real binary, on a store the test
//! fills and breaks on purpose.

use std::path::Path;
use std::process::{Command, Output};

use handoff::store::queue::{OnExisting, Outcome, Scheduled};
use handoff::store::{NewJob, Store};

fn handoff(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_handoff"))
        .current_dir(dir)
        .env_clear()
        .env("HANDOFF__WEBHOOK__CLIENT_SECRET", "s")
        .env(
            "HANDOFF__WEBHOOK__PUBLIC_URL",
            "https://handoff.test/webhooks/hubspot",
        )
        .env(
            "HANDOFF__STORE__URL",
            format!("sqlite://{}/handoff.db", dir.display()),
        )
        .env(
            "HANDOFF__ENGINE__EXAMPLES_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/contacts"),
        )
        .args(args)
        .output()
        .unwrap()
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
    let settings = crate::engines::settings(&format!("sqlite://{}/handoff.db", dir.display()));
    let store = Store::connect(&settings).await.unwrap();
    store.migrate().await.unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    let mut ids = Vec::new();
    for key in ["111:0-1:5", "222:0-1:6", "333:0-1:7"] {
        let job = NewJob {
            queue: "events",
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
                .schedule(&scheduled, OnExisting::Keep, now)
                .await
                .unwrap(),
        );
    }
    let claimed = store.claim("events", "w", now, 60_000, 2).await.unwrap();
    assert_eq!(claimed.len(), 2);
    for job in claimed {
        let reason = format!("HubSpot 403 for {}", job.key);
        store
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
            .any(|l| l.contains("ready") && l.contains(" 1 ")),
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
    assert!(!table.contains("dead"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.contains("ready") && l.contains(" 2 ")),
        "{table}"
    );
}
