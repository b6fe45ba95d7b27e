//! Backfill from the Webhooks Journal, end to end: the sandbox journals contact changes, and
//! events HubSpot never pushed (the service was down) are recovered by `handoff backfill` and
//! by the catch-up at start, handed off once; events that did arrive by push are not handled
//! again; a checkpoint older than the journal's retention is reported as a gap.

use std::path::Path;
use std::process::Output;

use handoff::demo::service::ServiceMode;
use handoff::demo::setup::PORTAL_ID;
use handoff::demo::{DemoEnv, EnvOptions};
use handoff::store::ledger::Step;
use serde_json::{Value, json};

use crate::support::cli;
use crate::support::world::{follow_ups, new_lead, poll_child, settle, speed, start_with};

/// The demo portal again, with the journal on (the last layer replaces the portal list).
fn journal_settings(dir: &Path, catch_up_at_start: bool) -> String {
    format!(
        r#"
[[hubspot.portals]]
id = {PORTAL_ID}
playbook = "example-b2b-saas"
time_zone = "UTC"
auth = {{ kind = "private_app", token_file = "{token}", tier = "professional" }}
quota = {{ requests = 110, interval_ms = 10000, safety_margin_pct = 10 }}
journal = {{ enabled = true, catch_up_at_start = {catch_up_at_start} }}
"#,
        token = dir.join("hubspot-token").display()
    )
}

/// A world with the journal on. With the catch-up at start, `serve` creates the portal's
/// subscription; without it, `handoff journal subscribe` does (and `serve` leaves the journal
/// to the `handoff backfill` runs of the test).
async fn world(dir: &Path, service: ServiceMode, catch_up_at_start: bool) -> DemoEnv {
    let env = start_with(
        dir,
        EnvOptions {
            speed: speed(),
            extra_settings: journal_settings(dir, catch_up_at_start),
            service,
            ..EnvOptions::default()
        },
    )
    .await;
    if !catch_up_at_start {
        let out = handoff(dir, &["journal", "subscribe", "--portal", "62515"]);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            stdout(&out).trim(),
            "portal 62515: journal subscription created"
        );
        let again = handoff(dir, &["journal", "subscribe"]);
        assert!(stdout(&again).contains("already present"), "{again:?}");
    }
    let subscribed = || async {
        let j = env
            .control(reqwest::Method::GET, "journal", None)
            .await
            .unwrap();
        j["subscriptions"].as_array().is_some_and(|s| !s.is_empty())
    };
    if catch_up_at_start {
        // `serve` (the real binary) subscribes as it starts, on its own.
        poll_child(15, "the journal subscription", subscribed).await;
    } else {
        assert!(subscribed().await, "the journal subscription");
    }
    env
}

/// `handoff ARGS` on the world's configuration.
fn handoff(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = cli::bare(dir);
    // The world's configuration directory is complete on its own (webhook secret file
    // included), as the demo's closing commands use it.
    cmd.env("HANDOFF_CONFIG_DIR", dir.join("conf"));
    cli::run(cmd, args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The recovered lead's handoff, once `serve`'s worker has run what was queued.
async fn handed_off_once(env: &DemoEnv, id: i64) {
    settle(env).await;
    assert_handed_off_once(env, id).await;
}

async fn handoff_done(env: &DemoEnv, id: i64) -> bool {
    env.store
        .ledger()
        .handoffs_for(
            handoff_ids::PortalId::try_from(PORTAL_ID).unwrap(),
            &[handoff_ids::ContactId::try_from(id).unwrap()],
        )
        .await
        .unwrap()
        .first()
        .is_some_and(|r| r.step == Step::SlaScheduled)
}

async fn assert_handed_off_once(env: &DemoEnv, id: i64) {
    assert!(handoff_done(env, id).await, "the recovered lead's handoff");
    let tasks = env.tasks(Some(id)).await.unwrap();
    assert_eq!(follow_ups(&tasks).len(), 1, "one follow-up task: {tasks:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_created_while_no_webhook_arrived_is_recovered_by_backfill_and_handed_off_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = world(dir.path(), ServiceMode::InProcess, false).await;
    // By default the subscription watches what the pipeline reads: the playbook's properties.
    let journal = env
        .control(reqwest::Method::GET, "journal", None)
        .await
        .unwrap();
    let watched = journal["subscriptions"][0]["properties"]
        .as_array()
        .unwrap();
    for p in [
        "num_conversion_events",
        "hubspot_owner_id",
        "hs_lead_status",
    ] {
        assert!(watched.contains(&json!(p)), "{p} not in {watched:?}");
    }
    // HubSpot could not push: the contact exists, no webhook was delivered.
    let id = new_lead(&env, "journal-missed@pinecrest-analytics.com").await;

    let out = handoff(dir.path(), &["backfill", "--portal", "62515"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.contains("1 event(s) recovered (queued), 0 already received"),
        "{text}"
    );
    handed_off_once(&env, id).await;

    // Again: the offset moved past that file, nothing is recovered twice.
    let again = handoff(dir.path(), &["backfill", "--portal", "62515", "--json"]);
    assert!(again.status.success(), "{again:?}");
    let report: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(report["portals"][0]["enqueued"], 0, "{report}");
    // Even re-reading the whole journal (--since) finds only what the inbox already has.
    let replay = handoff(dir.path(), &["backfill", "--since", "1h", "--json"]);
    let report: Value = serde_json::from_slice(&replay.stdout).unwrap();
    assert_eq!(
        (
            &report["portals"][0]["enqueued"],
            &report["portals"][0]["duplicates"]
        ),
        (&json!(0), &json!(1)),
        "{report}"
    );
    handed_off_once(&env, id).await;

    // A portal that is not configured is refused with its name.
    let refused = handoff(dir.path(), &["backfill", "--portal", "1"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("portal 1 is not configured"),
        "{refused:?}"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_that_arrived_by_push_are_not_queued_again_when_the_journal_replays_them() {
    let dir = tempfile::tempdir().unwrap();
    let env = world(dir.path(), ServiceMode::InProcess, false).await;
    let id = new_lead(&env, "journal-pushed@pinecrest-analytics.com").await;
    // HubSpot pushes the creation it also journaled: same change, same occurredAt.
    let journal = env
        .control(reqwest::Method::GET, "journal", None)
        .await
        .unwrap();
    let entry = &journal["files"][0]["journalEvents"][0];
    assert_eq!(entry["action"], "CREATE");
    let occurred_at: jiff::Timestamp = entry["occurredAt"].as_str().unwrap().parse().unwrap();
    let push = env.event(
        "contact.creation",
        id,
        json!({"occurredAt": occurred_at.as_millisecond()}),
    );
    assert_eq!(env.deliver(&[push]).await.unwrap(), 200);
    handed_off_once(&env, id).await;

    let out = handoff(dir.path(), &["backfill", "--portal", "62515"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.contains("0 event(s) recovered (queued), 1 already received"),
        "{text}"
    );
    handed_off_once(&env, id).await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_created_while_the_service_was_down_is_recovered_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = world(
        dir.path(),
        ServiceMode::Binary(env!("CARGO_BIN_EXE_handoff").into()),
        true,
    )
    .await;
    env.child().unwrap().kill().await.unwrap();
    let id = new_lead(&env, "journal-down@pinecrest-analytics.com").await;
    env.child().unwrap().restart().await.unwrap();
    // The real binary catches up at start and runs its worker's own loop.
    poll_child(20, "the recovered lead's handoff", || {
        handoff_done(&env, id)
    })
    .await;
    assert_handed_off_once(&env, id).await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_older_than_the_journal_retention_is_reported_as_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let env = world(dir.path(), ServiceMode::InProcess, false).await;
    let first = new_lead(&env, "journal-before@pinecrest-analytics.com").await;
    let out = handoff(dir.path(), &["backfill", "--json"]);
    assert!(out.status.success(), "{out:?}");
    handed_off_once(&env, first).await;
    let offset = env
        .store
        .journal()
        .offset(handoff_ids::PortalId::try_from(PORTAL_ID).unwrap())
        .await
        .unwrap()
        .unwrap();

    // Four days pass with the service down: HubSpot drops the journal files older than its
    // 3-day retention, and the checkpoint is older than that.
    let now = jiff::Timestamp::now().as_millisecond();
    let four_days_ago = now - 4 * 86_400_000;
    env.store
        .journal()
        .set_offset(
            handoff_ids::PortalId::try_from(PORTAL_ID).unwrap(),
            &offset.journal_offset,
            four_days_ago,
            now,
        )
        .await
        .unwrap();
    for ms in [0, 3 * 86_400_000] {
        env.control(
            reqwest::Method::PUT,
            "journal/retention",
            Some(&json!({"retentionMs": ms})),
        )
        .await
        .unwrap();
    }
    let second = new_lead(&env, "journal-after@pinecrest-analytics.com").await;

    let out = handoff(dir.path(), &["backfill", "--portal", "62515"]);
    assert!(!out.status.success(), "a gap fails the command: {out:?}");
    let text = stdout(&out);
    let from = jiff::Timestamp::from_millisecond(four_days_ago).unwrap();
    assert!(
        text.contains(&format!("GAP (beyond_retention): events from {from} to ")),
        "{text}"
    );
    assert!(text.contains("1 event(s) recovered"), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("journal gap"),
        "{out:?}"
    );
    // What the journal still had is recovered all the same.
    handed_off_once(&env, second).await;
    env.stop().await;
}
