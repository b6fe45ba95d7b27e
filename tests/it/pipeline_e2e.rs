//! End to end through real HTTP: signed deliveries into `serve`, the pipeline against the
//! HubSpot sandbox, on an accelerated clock (SLAs of seconds).

use std::time::Duration;

use handoff::demo::setup::Speed;
use handoff::demo::{DemoEnv, EnvOptions};
use serde_json::{Value, json};

fn speed() -> Speed {
    Speed {
        first_touch_s: 3,
        reassign_after_s: 2,
        close_loop_s: 600,
    }
}

async fn start(dir: &std::path::Path) -> DemoEnv {
    // Logs appear in a failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("info,sqlx=warn")
        .with_test_writer()
        .try_init();
    let options = EnvOptions {
        speed: speed(),
        seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/sandbox").into()),
        requests_per_10s: 110,
        log_format: "json",
        ..EnvOptions::default()
    };
    DemoEnv::start(dir, options).await.unwrap()
}

/// A ready US lead (tier A/B), as the example playbook routes it to the us-sdr pool.
fn us_lead(email: &str) -> Value {
    json!({
        "email": email, "firstname": "Julia", "lastname": "Alvarez",
        "jobtitle": "Director of Marketing", "phone": "+1 415 555 0134",
        "country": "US", "state": "CA", "company": "Pinecrest Analytics",
        "hs_analytics_num_page_views": "22", "num_conversion_events": "4",
        "recent_conversion_date": jiff::Timestamp::now().to_string(),
        "recent_conversion_event_name": "Pricing demo",
    })
}

async fn new_lead(env: &DemoEnv, email: &str) -> i64 {
    let company = env
        .upsert_company(None, &json!({"name": "Pinecrest Analytics Inc.", "domain": "pinecrest-analytics.com",
            "industry": "INFORMATION_TECHNOLOGY_AND_SERVICES", "numberofemployees": "85", "country": "US"}))
        .await
        .unwrap();
    env.upsert_contact(None, &us_lead(email), Some(&company))
        .await
        .unwrap()
}

/// Polls until `check` holds or `secs` pass.
async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn follow_ups(tasks: &[Value]) -> Vec<&Value> {
    tasks
        .iter()
        .filter(|t| {
            let s = t["properties"]["hs_task_subject"].as_str().unwrap_or("");
            !s.starts_with("Reminder") && !s.starts_with("Escalation")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_creation_hands_the_lead_off_with_one_task_and_the_owner_written_back() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    let id = new_lead(&env, "julia@pinecrest-analytics.com").await;
    let creation = env.event("contact.creation", id, json!({}));
    let status = env.deliver(std::slice::from_ref(&creation)).await.unwrap();
    assert!(
        (200..300).contains(&status),
        "HubSpot is told 2xx, got {status}"
    );
    // HubSpot redelivers the same event, and a later property change arrives too.
    env.deliver(std::slice::from_ref(&creation)).await.unwrap();
    env.deliver(&[env.event(
        "contact.propertyChange",
        id,
        json!({"propertyName": "favorite_color", "propertyValue": "blue"}),
    )])
    .await
    .unwrap();
    eventually(15, "the follow-up task", || async {
        !env.tasks(Some(id)).await.unwrap().is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let tasks = env.tasks(Some(id)).await.unwrap();
    assert_eq!(
        follow_ups(&tasks).len(),
        1,
        "exactly one task per handoff: {tasks:#?}"
    );
    let task = follow_ups(&tasks)[0];
    let owner = task["properties"]["hubspot_owner_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        ["301", "302"].contains(&owner.as_str()),
        "a US rep owns it, not {owner}"
    );
    assert!(
        task["properties"]["hs_task_subject"]
            .as_str()
            .unwrap()
            .contains("Julia Alvarez")
    );
    let contact = env.contact(id).await.unwrap();
    assert_eq!(contact["properties"]["hubspot_owner_id"], json!(owner));
    assert!(contact["properties"]["handoff_score"].as_str().is_some());
    assert!(
        contact["properties"]["handoff_sla_due_at"]
            .as_str()
            .is_some()
    );
    let rows = env.store.handoffs_for(62515, &[id]).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].step, "sla_scheduled");
    assert_eq!(rows[0].task_id.as_deref(), task["id"].as_str());
    let history = env.store.decisions_of(62515, id).await.unwrap();
    assert_eq!(
        history.len(),
        1,
        "the redelivery and the irrelevant change decided nothing"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_sla_reminds_escalates_and_reassigns_to_another_rep() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    let id = new_lead(&env, "sam@pinecrest-analytics.com").await;
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    eventually(30, "a reassignment", || async {
        let rows = env.store.handoffs_for(62515, &[id]).await.unwrap();
        rows.first()
            .is_some_and(|r| r.reassignments >= 1 && r.step == "sla_scheduled")
    })
    .await;
    let row = env
        .store
        .handoffs_for(62515, &[id])
        .await
        .unwrap()
        .remove(0);
    let missed = row.missed_by();
    assert_eq!(missed.len(), 1);
    assert_ne!(
        row.owner_id, missed[0],
        "never back to the rep who missed it"
    );
    assert!(row.escalations >= 1);
    let tasks = env.tasks(Some(id)).await.unwrap();
    let subjects: Vec<&str> = tasks
        .iter()
        .filter_map(|t| t["properties"]["hs_task_subject"].as_str())
        .collect();
    assert!(
        subjects.iter().any(|s| s.starts_with("Reminder")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.starts_with("Escalation")),
        "{subjects:?}"
    );
    assert_eq!(
        follow_ups(&tasks).len(),
        2,
        "one task for each owner: {subjects:?}"
    );
    let contact = env.contact(id).await.unwrap();
    assert_eq!(
        contact["properties"]["hubspot_owner_id"],
        json!(row.owner_id)
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_touch_stops_the_ladder_and_a_disposition_closes_the_loop() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    let id = new_lead(&env, "kim@pinecrest-analytics.com").await;
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    eventually(15, "the handoff", || async {
        env.store
            .handoffs_for(62515, &[id])
            .await
            .unwrap()
            .first()
            .is_some_and(|r| r.step == "sla_scheduled")
    })
    .await;
    let now = jiff::Timestamp::now().as_millisecond().to_string();
    env.change(id, &json!({"hs_last_sales_activity_timestamp": now}))
        .await
        .unwrap();
    eventually(10, "the touch", || async {
        env.store.handoffs_for(62515, &[id]).await.unwrap()[0]
            .first_touch_at_ms
            .is_some()
    })
    .await;
    // Long past the SLA: nothing escalates.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let row = env
        .store
        .handoffs_for(62515, &[id])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (row.escalations, row.reassignments, row.sla_met),
        (0, 0, Some(1))
    );
    let tasks = env.tasks(Some(id)).await.unwrap();
    assert_eq!(tasks.len(), 1, "no reminder or escalation after a touch");
    env.change(
        id,
        &json!({"hs_lead_status": "UNQUALIFIED", "hs_lead_disqualification_reason": "no budget"}),
    )
    .await
    .unwrap();
    eventually(10, "the disposition", || async {
        env.store.handoffs_for(62515, &[id]).await.unwrap()[0]
            .disposition
            .is_some()
    })
    .await;
    let row = env
        .store
        .handoffs_for(62515, &[id])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(row.disposition.as_deref(), Some("disqualified"));
    assert_eq!(row.disposition_reason.as_deref(), Some("no budget"));
    assert_eq!(row.status, "closed");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_keeps_one_handoff_and_a_deletion_erases_the_contact() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    let a = new_lead(&env, "a@pinecrest-analytics.com").await;
    let b = new_lead(&env, "b@pinecrest-analytics.com").await;
    env.deliver(&[
        env.event("contact.creation", a, json!({})),
        env.event("contact.creation", b, json!({})),
    ])
    .await
    .unwrap();
    eventually(15, "both handoffs", || async {
        let rows = env.store.handoffs_for(62515, &[a, b]).await.unwrap();
        rows.len() == 2 && rows.iter().all(|r| r.step == "sla_scheduled")
    })
    .await;
    // b is merged into a: a keeps its handoff, b's is closed as merged; no new task.
    env.http
        .post(format!("{}/_sandbox/contacts/merge", env.sandbox.base_url))
        .json(&json!({"primaryId": a.to_string(), "mergedId": b.to_string()}))
        .send()
        .await
        .unwrap();
    env.deliver(&[env.event(
        "contact.merge",
        a,
        json!({"primaryObjectId": a, "mergedObjectIds": [a, b]}),
    )])
    .await
    .unwrap();
    eventually(10, "the merge", || async {
        env.store.handoffs_for(62515, &[b]).await.unwrap()[0].status == "merged"
    })
    .await;
    assert_eq!(
        env.store.handoffs_for(62515, &[a]).await.unwrap()[0].status,
        "open"
    );
    let all_tasks = env.tasks(None).await.unwrap();
    assert_eq!(follow_ups(&all_tasks).len(), 2, "the merge created no task");
    // a is deleted for privacy: its decisions are erased.
    env.deliver(&[env.event("contact.privacyDeletion", a, json!({}))])
        .await
        .unwrap();
    eventually(10, "the erasure", || async {
        env.store.decisions_of(62515, a).await.unwrap().is_empty()
    })
    .await;
    let row = env.store.handoffs_for(62515, &[a]).await.unwrap().remove(0);
    assert_eq!(
        (row.status.as_str(), row.task_text.as_deref()),
        ("closed", None)
    );
    env.stop().await;
}
