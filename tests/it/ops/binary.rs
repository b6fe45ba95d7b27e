//! The real `handoff` binary: CLI, logs, graceful shutdown, and no acknowledged event lost to
//! SIGKILL.

use std::collections::HashSet;

use serde_json::json;

use crate::support::app::*;
use crate::support::serve::{handoff, start, start_process, stop};

#[tokio::test]
async fn a_split_worker_answers_probes_and_metrics_but_takes_no_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    let worker = start_process(
        dir.path(),
        "work",
        "handoff worker: probes and metrics serving",
        &[],
    )
    .await;
    let client = reqwest::Client::new();
    let health = client.get(worker.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let metrics = client.get(worker.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    for family in ["handoff_queue_claims", "handoff_pipeline_decisions"] {
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "the worker's {family}: {text}"
        );
    }
    let body = fixture("contact_creation.json");
    let mut request = client
        .post(worker.url("/webhooks/hubspot"))
        .body(body.clone());
    for (k, v) in v3_headers(SECRET, &body, now_ms()) {
        request = request.header(k, v);
    }
    let refused = request.send().await.unwrap();
    assert_eq!(refused.status(), 404, "a worker takes no deliveries");
    let status = stop(worker).await;
    assert!(status.success(), "exit status {status}");
}

fn delivery(first_object: i64, events: i64) -> Vec<u8> {
    let events: Vec<_> = (0..events)
        .map(|i| {
            json!({"eventId": first_object + i, "subscriptionId": 1, "portalId": 62515, "appId": 54321,
                   "occurredAt": 1_764_000_000_000i64 + i, "subscriptionType": "contact.creation",
                   "attemptNumber": 0, "objectId": first_object + i, "changeSource": "IMPORT"})
        })
        .collect();
    serde_json::to_vec(&events).unwrap()
}

#[tokio::test]
async fn no_acknowledged_event_is_lost_when_the_process_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path()).await;
    let client = reqwest::Client::new();
    let url = server.url("/webhooks/hubspot");
    let (acks_tx, mut acks_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut senders = tokio::task::JoinSet::new();
    for worker in 0..8i64 {
        let (client, url, acks) = (client.clone(), url.clone(), acks_tx.clone());
        senders.spawn(async move {
            for n in 0..1_000i64 {
                let first = 1_000_000 + (worker * 1_000 + n) * 10;
                let body = delivery(first, 10);
                let headers = v3_headers(SECRET, &body, now_ms());
                let mut request = client.post(&url).body(body);
                for (k, v) in headers {
                    request = request.header(k, v);
                }
                match request.send().await {
                    Ok(r) if r.status() == 200 => {
                        let _ = acks.send(first);
                    }
                    _ => return,
                }
            }
        });
    }
    drop(acks_tx);
    // Kill while deliveries are in flight, right after the 50th acknowledgement.
    let mut acked = Vec::new();
    while let Some(first) = acks_rx.recv().await {
        acked.push(first);
        if acked.len() == 50 {
            server.child.kill().unwrap();
            break;
        }
    }
    server.child.wait().unwrap();
    senders.shutdown().await;
    while let Ok(first) = acks_rx.try_recv() {
        acked.push(first);
    }
    assert!(acked.len() >= 50);

    // Restart on the same database: every acknowledged event is there, queued once.
    let server = start(dir.path()).await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}/handoff.db", dir.path().display()))
        .await
        .unwrap();
    let keys: Vec<String> = sqlx::query_scalar("SELECT job_key FROM jobs")
        .fetch_all(&pool)
        .await
        .unwrap();
    let stored: HashSet<String> = keys.iter().cloned().collect();
    assert_eq!(stored.len(), keys.len(), "a job was queued twice");
    for first in &acked {
        for i in 0..10 {
            let key = format!("62515:0-1:{}", first + i);
            assert!(stored.contains(&key), "acknowledged event {key} was lost");
        }
    }
    // And the dedup ledger survived too: redelivering an acknowledged batch adds nothing.
    let body = delivery(acked[0], 10);
    let mut request = client
        .post(server.url("/webhooks/hubspot"))
        .body(body.clone());
    for (k, v) in v3_headers(SECRET, &body, now_ms()) {
        request = request.header(k, v);
    }
    let answer: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
    assert_eq!(answer["duplicates"], 10);
    stop(server).await;
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly_and_logs_one_json_line_per_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let log = server.log.clone();
    let client = reqwest::Client::new();
    let body = fixture("contact_property_change.json");
    let mut request = client
        .post(server.url("/webhooks/hubspot"))
        .body(body.clone());
    for (k, v) in v3_headers(SECRET, &body, now_ms()) {
        request = request.header(k, v);
    }
    assert_eq!(request.send().await.unwrap().status(), 200);
    let bad = client
        .post(server.url("/webhooks/hubspot"))
        .header("content-type", "application/json")
        .body(body);
    assert_eq!(bad.send().await.unwrap().status(), 401);
    let status = stop(server).await;
    assert!(status.success(), "exit status {status}");

    let log = std::fs::read_to_string(log).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let accepted: Vec<_> = lines
        .iter()
        .filter(|l| l["message"] == "webhook delivery accepted")
        .collect();
    assert_eq!(accepted.len(), 1, "{log}");
    let line = accepted[0];
    assert_eq!(line["portal_id"], 62515);
    assert_eq!(line["events"], 2);
    assert_eq!(line["duplicates"], 0);
    assert_eq!(line["status"], 200);
    assert!(!line["request_id"].as_str().unwrap().is_empty());
    let rejected: Vec<_> = lines
        .iter()
        .filter(|l| l["message"] == "webhook delivery rejected")
        .collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["error.code"], "signature_missing");
    assert!(lines.iter().any(|l| l["message"] == "handoff stopped"));
    assert!(!log.contains(SECRET), "the secret leaked into the log");
    assert!(
        !log.contains("hs_lead_status"),
        "event bodies must not be logged"
    );
}

#[test]
fn check_config_lists_every_problem_and_serve_refuses_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("conf");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("local.toml"),
        "[server]\nlistn = 1\n\n[webhook]\nmax_body_bytes = 10\n",
    )
    .unwrap();
    let output = handoff(dir.path())
        .args(["check-config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("server.listn: unknown key"), "{text}");
    assert!(text.contains("webhook.max_body_bytes"), "{text}");
    assert!(text.contains("local.toml"), "{text}");

    let serve = handoff(dir.path())
        .args(["--config"])
        .arg(&config)
        .arg("serve")
        .output()
        .unwrap();
    assert!(!serve.status.success());
    assert_eq!(String::from_utf8_lossy(&serve.stderr), text);

    let fine = handoff(dir.path()).arg("check-config").output().unwrap();
    assert!(
        fine.status.success(),
        "{}",
        String::from_utf8_lossy(&fine.stderr)
    );
    assert!(String::from_utf8_lossy(&fine.stdout).contains("configuration OK"));
}

#[test]
fn migrate_creates_the_database_and_help_explains_each_command() {
    let dir = tempfile::tempdir().unwrap();
    let output = handoff(dir.path()).arg("migrate").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("handoff.db").exists());
    for command in ["serve", "check-config", "migrate"] {
        let help = handoff(dir.path())
            .args([command, "--help"])
            .output()
            .unwrap();
        assert!(help.status.success());
        assert!(
            String::from_utf8_lossy(&help.stdout).lines().count() > 3,
            "{command} --help"
        );
    }
}
