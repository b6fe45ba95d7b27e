//! The admin listener: apart from the public one, behind a bearer token when it has one, and
//! what on-call does with it — pause and resume a portal (nothing lost, no HubSpot call while
//! paused, the pause outlives a restart), and list, show and replay dead letters.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use handoff::store::queue::{OnExisting, Outcome, Scheduled};
use handoff::store::{Dialect, NewJob, PAUSED_ERROR, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::app::{TestApp, spawn_app, spawn_app_in, spawn_app_on, spawn_app_with};
use crate::support::cli;
use crate::support::world::{handed_off_lead, new_lead, run_until, settle, start_at};

const TOKEN: &str = "admin-token-for-tests-0123";
const PORTAL: i64 = 62515;

async fn call(app: &TestApp, method: reqwest::Method, path: &str) -> reqwest::Response {
    app.client
        .request(method, app.admin_url(path))
        .send()
        .await
        .unwrap()
}

async fn post_json(url: String, body: Value) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get_json(url: String) -> (StatusCode, Value) {
    let resp = reqwest::get(url).await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn admin_routes_answer_only_on_the_admin_listener() {
    let app = spawn_app().await;
    for (method, path) in [
        (reqwest::Method::POST, "/admin/rules/reload"),
        (reqwest::Method::GET, "/admin/portals"),
        (reqwest::Method::POST, "/admin/portals/62515/pause"),
        (reqwest::Method::GET, "/admin/dlq"),
        (reqwest::Method::POST, "/admin/dlq/replay"),
    ] {
        let public = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(public.status(), 404, "{method} {path} on the public port");
    }
    let admin = call(&app, reqwest::Method::GET, "/admin/dlq").await;
    assert_eq!(admin.status(), 200);
    let body: Value = admin.json().await.unwrap();
    assert_eq!(body["jobs"], json!([]));
    let unknown = call(&app, reqwest::Method::GET, "/admin/nothing-here").await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.json::<Value>().await.unwrap()["code"], "not_found");
    app.stop().await;
}

#[tokio::test]
async fn with_a_token_every_admin_call_needs_it() {
    let app = spawn_app_with("", &[("HANDOFF__SERVER__ADMIN_TOKEN", TOKEN)]).await;
    let url = app.admin_url("/admin/dlq");
    for auth in [None, Some("Bearer wrong-token-of-some-length"), Some(TOKEN)] {
        let mut request = app.client.get(&url);
        if let Some(value) = auth {
            request = request.header("authorization", value);
        }
        let resp = request.send().await.unwrap();
        assert_eq!(resp.status(), 401, "authorization {auth:?}");
        assert_eq!(resp.headers()["www-authenticate"], "Bearer");
        assert_eq!(resp.json::<Value>().await.unwrap()["code"], "unauthorized");
    }
    // Unknown paths too: without the token nothing tells what exists.
    let unknown = app
        .client
        .get(app.admin_url("/admin/secret-route"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    let ok = app
        .client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    app.stop().await;
}

fn handoff(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = cli::configured(dir);
    cmd.envs(env.iter().copied());
    cli::run(cmd, args)
}

#[test]
fn an_admin_listener_off_loopback_without_a_token_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let open = [("HANDOFF__SERVER__ADMIN_BIND", "0.0.0.0:9091")];
    for command in ["check-config", "serve", "work"] {
        let out = handoff(dir.path(), &[command], &open);
        assert!(!out.status.success(), "{command} started");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("server.admin_token: required: server.admin_bind (0.0.0.0:9091) is not a loopback address"),
            "{command}: {err}"
        );
    }
    let guarded = [
        ("HANDOFF__SERVER__ADMIN_BIND", "0.0.0.0:9091"),
        ("HANDOFF__SERVER__ADMIN_TOKEN", TOKEN),
    ];
    let out = handoff(dir.path(), &["check-config"], &guarded);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A portal pointing nowhere (owner refreshes fail, which is fine here).
fn portal_toml(dir: &Path) -> String {
    let token = dir.join("token");
    std::fs::write(&token, "pat-test-token\n").unwrap();
    format!(
        "[hubspot]\nbase_url = \"http://127.0.0.1:9\"\n\n[[hubspot.portals]]\nid = {PORTAL}\n\
         playbook = \"example-b2b-saas\"\nauth = {{ kind = \"private_app\", token_file = {:?} }}\n",
        token.display().to_string()
    )
}

#[tokio::test]
async fn a_pause_outlives_a_restart_and_the_cli_sees_and_lifts_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/handoff.db", dir.path().display());
    let toml = portal_toml(dir.path());
    let app = spawn_app_in(dir.path(), &url, &toml, &[]).await;
    let (status, paused) = post_json(
        app.admin_url("/admin/portals/62515/pause"),
        json!({"reason": "CRM cleanup until Monday"}),
    )
    .await;
    assert_eq!(status, 200, "{paused}");
    assert_eq!(paused["portal"]["paused"], true);
    assert_eq!(paused["portal"]["auth"], "ok");
    let since = paused["portal"]["since"].clone();
    assert!(since.is_string());
    // Bad input is refused with a code, never taken for something else.
    let (status, body) = post_json(app.admin_url("/admin/portals/999/pause"), json!({})).await;
    assert_eq!(
        (status.as_u16(), &body["code"]),
        (404, &json!("portal_not_found"))
    );
    let (status, body) = post_json(app.admin_url("/admin/portals/abc/resume"), json!({})).await;
    assert_eq!(
        (status.as_u16(), &body["code"]),
        (422, &json!("invalid_id"))
    );
    let (status, body) = post_json(
        app.admin_url("/admin/portals/62515/pause"),
        json!({"why": "x"}),
    )
    .await;
    assert_eq!(
        (status.as_u16(), &body["code"]),
        (422, &json!("invalid_body"))
    );
    app.stop().await;

    let app = spawn_app_in(dir.path(), &url, &toml, &[]).await;
    let (status, listed) = get_json(app.admin_url("/admin/portals")).await;
    assert_eq!(status, 200);
    let portal = &listed["portals"][0];
    assert_eq!(portal["portalId"], PORTAL);
    assert_eq!(portal["paused"], true, "{listed}");
    assert_eq!(portal["since"], since, "the pause keeps its start");
    assert_eq!(portal["reason"], "CRM cleanup until Monday");
    app.stop().await;

    // The service is down: the CLI reads and changes the same record.
    let config = dir.path().join("config");
    let config = config.to_str().unwrap();
    let cli = |args: &[&str]| {
        let mut all = vec!["--config", config];
        all.extend_from_slice(args);
        handoff(dir.path(), &all, &[])
    };
    let list = cli(&["portal", "list", "--json"]);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let listed: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(listed["portals"][0]["paused"], true);
    assert_eq!(listed["portals"][0]["since"], since);
    let resumed = cli(&["portal", "resume", "--portal", "62515"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let unknown = cli(&["portal", "pause", "--portal", "7"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("portal 7 is not configured"));

    let app = spawn_app_in(dir.path(), &url, &toml, &[]).await;
    let (_, listed) = get_json(app.admin_url("/admin/portals")).await;
    assert_eq!(listed["portals"][0]["paused"], false, "{listed}");
    assert!(listed["portals"][0]["resumedAt"].is_string());
    app.stop().await;
}

/// HubSpot calls the sandbox saw, owner-list refreshes aside (they keep running while paused).
async fn crm_calls(env: &handoff::demo::DemoEnv) -> u64 {
    let stats = env.stats().await.unwrap();
    stats["byRoute"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| !route.contains("/crm/owners/2026-09"))
        .map(|(_, n)| n.as_u64().unwrap())
        .sum()
}

/// `(status, attempts)` of the jobs of `key` that wait for the pause.
async fn deferred(dir: &Path, key: &str) -> Vec<(String, i64)> {
    let url = format!("sqlite://{}/handoff-demo.db", dir.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let rows =
        sqlx::query_as("SELECT status, attempts FROM jobs WHERE job_key = ?1 AND last_error = ?2")
            .bind(key)
            .bind(PAUSED_ERROR)
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_portal_queues_its_events_without_calling_hubspot_until_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_at(dir.path(), handoff::demo::setup::Speed::default()).await;
    let admin = |path: &str| format!("http://{}{path}", env.admin_addr);
    let (status, _) = post_json(
        admin("/admin/portals/62515/pause"),
        json!({"reason": "test"}),
    )
    .await;
    assert_eq!(status, 200);
    let id = new_lead(&env, "ruth@pinecrest-analytics.com").await;
    let before = crm_calls(&env).await;
    let status = env
        .deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    assert!(
        (200..300).contains(&status),
        "HubSpot is told 2xx while paused, got {status}"
    );
    let key = format!("{PORTAL}:0-1:{id}");
    settle(&env).await;
    assert_eq!(
        deferred(dir.path(), &key).await,
        vec![("ready".to_string(), 0)],
        "queued, and waiting spends no attempt"
    );
    assert_eq!(
        crm_calls(&env).await,
        before,
        "no HubSpot call while paused"
    );
    assert!(env.tasks(Some(id)).await.unwrap().is_empty());

    let (status, resumed) = post_json(admin("/admin/portals/62515/resume"), json!({})).await;
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(resumed["portal"]["paused"], false);
    assert_eq!(
        resumed["jobsDue"], 1,
        "the waiting job is due now, not in a minute"
    );
    settle(&env).await;
    assert!(
        !env.tasks(Some(id)).await.unwrap().is_empty(),
        "the follow-up task after the resume"
    );
    let rows = env
        .store
        .ledger()
        .handoffs_for(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            &[handoff_ids::ContactId::try_from(id).unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_portals_sla_checks_wait_for_the_resume() {
    let dir = tempfile::tempdir().unwrap();
    let speed = handoff::demo::setup::Speed {
        first_touch_s: 8,
        reassign_after_s: 30,
        close_loop_s: 600,
    };
    let env = start_at(dir.path(), speed).await;
    let admin = |path: &str| format!("http://{}{path}", env.admin_addr);
    let id = handed_off_lead(&env, "omar@pinecrest-analytics.com").await;
    // The reminder is due at half the SLA (4 s): pause before it.
    let (status, _) = post_json(admin("/admin/portals/62515/pause"), json!({})).await;
    assert_eq!(status, 200);
    let key = format!("{PORTAL}:sla:{id}");
    let put_back = "the reminder check put back for the pause";
    run_until(&env, Duration::from_secs(20), put_back, || async {
        !deferred(dir.path(), &key).await.is_empty()
    })
    .await;
    let reminders = |tasks: Vec<Value>| {
        tasks
            .iter()
            .filter(|t| {
                t["properties"]["hs_task_subject"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("Reminder"))
            })
            .count()
    };
    assert_eq!(reminders(env.tasks(Some(id)).await.unwrap()), 0);
    let (status, _) = post_json(admin("/admin/portals/62515/resume"), json!({})).await;
    assert_eq!(status, 200);
    settle(&env).await;
    assert_eq!(
        reminders(env.tasks(Some(id)).await.unwrap()),
        1,
        "the reminder after the resume"
    );
    env.stop().await;
}

/// Two dead jobs (portals 111 and 222) in the events lane, which waits without portals.
async fn seed_dead(store: &Store) -> (i64, i64) {
    let now = jiff::Timestamp::now().as_millisecond();
    for key in ["111:0-1:5", "222:0-1:6"] {
        let job = NewJob {
            lane: "events",
            key: key.into(),
            kind: "hubspot_event.v1",
            payload: serde_json::value::to_raw_value(&json!({"event": {"objectId": 5}})).unwrap(),
            occurred_at_ms: 1,
        };
        let scheduled = Scheduled {
            job,
            run_at_ms: now,
            max_attempts: 3,
        };
        store
            .queue()
            .schedule(&scheduled, OnExisting::Keep, now)
            .await
            .unwrap();
    }
    let mut claimed = store
        .queue()
        .claim("events", "w", now, 60_000, 2)
        .await
        .unwrap();
    claimed.sort_by_key(|j| j.id);
    for job in &claimed {
        let reason = format!("hubspot.permanent.rejected: 403 for {}", job.key);
        store
            .queue()
            .finish(job.id, "w", &Outcome::Dead { reason }, now)
            .await
            .unwrap();
    }
    (claimed[0].id, claimed[1].id)
}

async fn dead_letters_over_http(engine: Dialect) {
    let app = spawn_app_on(engine, "", &[]).await;
    let (first, second) = seed_dead(&app.store).await;
    let (status, all) = get_json(app.admin_url("/admin/dlq")).await;
    assert_eq!(status, 200);
    assert_eq!(all["jobs"].as_array().unwrap().len(), 2, "{all}");
    let (_, one) = get_json(app.admin_url("/admin/dlq?portal=111&since=1h")).await;
    let jobs = one["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{one}");
    assert_eq!(jobs[0]["id"], first);
    let (status, bad) = get_json(app.admin_url("/admin/dlq?since=soon")).await;
    assert_eq!(
        (status.as_u16(), &bad["code"]),
        (422, &json!("invalid_input"))
    );

    let (status, shown) = get_json(app.admin_url(&format!("/admin/dlq/{second}"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        shown["job"]["payload"]["event"]["objectId"], 5,
        "payload as JSON: {shown}"
    );
    assert_eq!(
        shown["job"]["last_error"],
        "hubspot.permanent.rejected: 403 for 222:0-1:6"
    );
    let (status, missing) = get_json(app.admin_url("/admin/dlq/987654")).await;
    assert_eq!(
        (status.as_u16(), &missing["code"]),
        (404, &json!("job_not_found"))
    );

    // Replaying needs a selection: an empty one is refused, never read as "all".
    let (status, empty) = post_json(app.admin_url("/admin/dlq/replay"), json!({})).await;
    assert_eq!(
        (status.as_u16(), &empty["code"]),
        (422, &json!("nothing_selected"))
    );
    let (status, typo) = post_json(app.admin_url("/admin/dlq/replay"), json!({"al": true})).await;
    assert_eq!(
        (status.as_u16(), &typo["code"]),
        (422, &json!("invalid_body"))
    );

    let (status, replayed) = post_json(
        app.admin_url(&format!("/admin/dlq/{first}/replay")),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(replayed["replayed"], 1);
    let (_, rest) = get_json(app.admin_url("/admin/dlq")).await;
    assert_eq!(rest["jobs"].as_array().unwrap().len(), 1);
    let (_, replayed) = post_json(app.admin_url("/admin/dlq/replay"), json!({"portal": 222})).await;
    assert_eq!(replayed["replayed"], 1);
    let (_, none) = get_json(app.admin_url("/admin/dlq")).await;
    assert_eq!(none["jobs"], json!([]));
    let ready = app
        .store
        .queue()
        .depth(jiff::Timestamp::now().as_millisecond())
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.status == "due")
        .unwrap();
    assert_eq!(ready.jobs, 2, "both back in the queue, due now");
    app.stop().await;
}

#[tokio::test]
async fn dead_letters_are_listed_shown_and_replayed_over_http_on_sqlite() {
    dead_letters_over_http(Dialect::Sqlite).await;
}

#[tokio::test]
async fn dead_letters_are_listed_shown_and_replayed_over_http_on_postgres() {
    dead_letters_over_http(Dialect::Postgres).await;
}
