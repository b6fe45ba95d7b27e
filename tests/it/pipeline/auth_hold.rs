//! A portal whose credentials HubSpot refuses, as on-call sees it: `handoff portal list` says
//! so (text and JSON, service up or down), the held job counts as `held` and ages on
//! `/metrics`, and once the token is fixed and the service restarted the job runs at once
//! instead of after the rest of its backoff.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::app::{TestApp, spawn_stepped_app_in};
use crate::support::cli;
use crate::support::sandbox::{seeded, start};
use crate::support::scrape::scrape;

const PORTAL: i64 = 62515;
const GOOD_TOKEN: &str = "pat-the-token-hubspot-knows";

fn handoff(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = cli::configured(dir);
    cmd.arg("--config").arg(dir.join("config"));
    cli::run(cmd, args)
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `(status, attempts, last_error, run_at_ms)` of the contact's event jobs.
async fn jobs_of(app: &TestApp, contact: i64) -> Vec<(String, i64, Option<String>, i64)> {
    sqlx::query_as(
        "SELECT status, attempts, last_error, run_at_ms FROM jobs WHERE job_key = ?1 ORDER BY id",
    )
    .bind(format!("{PORTAL}:0-1:{contact}"))
    .fetch_all(&app.pool().await)
    .await
    .unwrap()
}

/// A signed `contact.creation` for a contact the sandbox holds.
async fn deliver_creation(app: &TestApp, contact: i64) {
    let now = jiff::Timestamp::now().as_millisecond();
    let body = serde_json::to_vec(&serde_json::json!([{
        "eventId": 77, "subscriptionId": 12345, "portalId": PORTAL, "appId": 54321,
        "occurredAt": now, "subscriptionType": "contact.creation", "attemptNumber": 0,
        "objectId": contact, "changeSource": "CRM", "changeFlag": "NEW",
    }]))
    .unwrap();
    let resp = app.post_signed_webhook(&body).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_held_by_rejected_credentials_shows_everywhere_and_runs_right_after_the_fix() {
    let sb = start(handoff::sandbox::SandboxConfig {
        tokens: vec![GOOD_TOKEN.into()],
        ..seeded()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("hubspot-token");
    std::fs::write(&token, "pat-a-token-hubspot-refuses\n").unwrap();
    // The sandbox's own limit, so the restarted client starts without a cooldown to relearn it.
    let limit = sb.sandbox.rate_limit();
    let toml = format!(
        "[hubspot]\nbase_url = {:?}\n\n[[hubspot.portals]]\nid = {PORTAL}\n\
         playbook = \"example-b2b-saas\"\nquota = {{ requests = {}, interval_ms = {} }}\n\
         auth = {{ kind = \"private_app\", token_file = {:?} }}\n",
        sb.base_url,
        limit.requests,
        limit.interval_ms,
        token.display().to_string()
    );
    let url = format!("sqlite://{}/handoff.db", dir.path().display());
    let app = spawn_stepped_app_in(dir.path(), &url, &toml, &[]).await;
    let contact = 51001;
    deliver_creation(&app, contact).await;
    let held = || async {
        jobs_of(&app, contact)
            .await
            .iter()
            .any(|(status, _, err, run_at)| {
                status == "ready"
                    && err
                        .as_deref()
                        .is_some_and(|e| e.starts_with("hubspot.auth."))
                    && *run_at > jiff::Timestamp::now().as_millisecond()
            })
    };
    app.run_due().await;
    assert!(held().await, "the job held back by the auth failure");
    // A minute later the held job is looked at again (the paused client answers without a
    // HubSpot call): the batch records the auth pause in the store first, and the job waits on.
    app.advance(std::time::Duration::from_secs(60));
    app.run_due().await;
    assert!(held().await, "the job still held");
    let rows = app.store.portals().pauses().await.unwrap();
    assert!(
        rows.iter()
            .any(|r| r.auth_failure.as_deref() == Some("token_rejected")),
        "the auth pause recorded in the store: {rows:?}"
    );

    // The CLI reads the store: the portal is not "running".
    let listed: Value =
        serde_json::from_str(&stdout(&handoff(dir.path(), &["portal", "list", "--json"]))).unwrap();
    let portal = &listed["portals"][0];
    assert_eq!(portal["auth"], "token_rejected", "{listed}");
    assert_eq!(portal["paused"], false, "no operator pause: {listed}");
    assert!(portal["authSince"].is_string(), "{listed}");
    assert_eq!(portal["heldJobs"], 1, "{listed}");
    let table = stdout(&handoff(dir.path(), &["portal", "list"]));
    let line = table.lines().nth(1).unwrap_or_default();
    assert!(
        line.contains("auth-paused") && line.contains("token_rejected"),
        "{table}"
    );
    assert!(!line.contains("running"), "{table}");
    // The admin endpoint says the same.
    let admin: Value = reqwest::get(app.admin_url("/admin/portals"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin["portals"][0]["auth"], "token_rejected", "{admin}");
    assert_eq!(admin["portals"][0]["heldJobs"], 1, "{admin}");
    // The held job is `held` on /metrics and in `queue stats`, with an age of its own.
    let m = scrape(&app.url("")).await;
    assert_eq!(
        m.get("handoff_queue_jobs{queue=\"events\",status=\"held\"}"),
        Some(1.0),
        "{}",
        m.text
    );
    assert!(
        m.get("handoff_queue_oldest_age_seconds{queue=\"events\",status=\"held\"}")
            .is_some(),
        "{}",
        m.text
    );
    let stats = stdout(&handoff(dir.path(), &["queue", "stats"]));
    assert!(
        stats
            .lines()
            .any(|l| l.starts_with("events") && l.contains(" held ") && l.contains(" in ")),
        "{stats}"
    );
    app.stop().await;

    // The token is fixed and the service restarted: the job runs now, not when its backoff
    // (30 s after the failure) would have let it.
    std::fs::write(&token, format!("{GOOD_TOKEN}\n")).unwrap();
    let app = spawn_stepped_app_in(dir.path(), &url, &toml, &[]).await;
    app.run_due().await;
    let jobs = jobs_of(&app, contact).await;
    assert!(
        jobs.iter().all(|(status, ..)| status == "done"),
        "the held job done right after the restart, without moving the clock: {jobs:?}"
    );
    let listed: Value =
        serde_json::from_str(&stdout(&handoff(dir.path(), &["portal", "list", "--json"]))).unwrap();
    assert_eq!(listed["portals"][0]["auth"], "ok", "{listed}");
    assert_eq!(listed["portals"][0]["heldJobs"], 0, "{listed}");
    app.stop().await;
    let _ = sb.stop().await;
}
