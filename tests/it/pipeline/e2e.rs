//! End to end through real HTTP: signed deliveries into `serve`, the pipeline against the
//! HubSpot sandbox, SLAs of seconds on the world's clock, which the tests move.

use std::time::Duration;

use serde_json::json;

use handoff::demo::EnvOptions;
use handoff::demo::setup::Speed;
use handoff::hubspot::client::ApiVersion;
use handoff::store::ledger::Step;

use crate::support::world::{
    follow_ups, handed_off_lead, handoff_row, new_lead, run_for, run_until, settle, speed, start,
    start_at, start_with,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_creation_hands_the_lead_off_with_one_task_and_the_owner_written_back() {
    hands_off_one_lead(ApiVersion::Dated2026_09).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_v3_api_a_signed_creation_hands_the_lead_off_the_same_way() {
    hands_off_one_lead(ApiVersion::V3).await;
}

/// A lead from delivery to task on API version `v`; every HubSpot call used `v`'s paths.
async fn hands_off_one_lead(v: ApiVersion) {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with(
        dir.path(),
        EnvOptions {
            speed: speed(),
            extra_settings: format!("[hubspot]\napi_version = \"{v}\"\n"),
            ..EnvOptions::default()
        },
    )
    .await;
    let id = new_lead(&env, "julia@pinecrest-analytics.com").await;
    let creation = env.event("contact.creation", id, json!({}));
    let status = env.deliver(std::slice::from_ref(&creation)).await.unwrap();
    assert!(
        (200..300).contains(&status),
        "HubSpot is told 2xx, got {status}"
    );
    settle(&env).await;
    // HubSpot redelivers the same event, and a later property change arrives too.
    env.deliver(std::slice::from_ref(&creation)).await.unwrap();
    env.deliver(&[env.event(
        "contact.propertyChange",
        id,
        json!({"propertyName": "favorite_color", "propertyValue": "blue"}),
    )])
    .await
    .unwrap();
    settle(&env).await;
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
    let rows = env
        .store
        .ledger()
        .handoffs_for(
            handoff_ids::PortalId::new(62515).unwrap(),
            &[handoff_ids::ContactId::try_from(id).unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].step, Step::SlaScheduled);
    assert_eq!(
        rows[0].task_id.map(|t| t.to_string()).as_deref(),
        task["id"].as_str()
    );
    let history = crate::support::world::decisions_of(&env, id).await;
    assert_eq!(
        history.len(),
        1,
        "the redelivery and the irrelevant change decided nothing"
    );
    let routes = env.sandbox.sandbox.stats().by_route;
    let family = match v {
        ApiVersion::Dated2026_09 => "/2026-09",
        ApiVersion::V3 => "/crm/v",
    };
    for route in [
        "contacts/batch/read",
        "contacts/batch/update",
        "tasks/batch/create",
    ] {
        assert!(
            routes
                .keys()
                .any(|r| r.contains(family) && r.ends_with(route)),
            "{v}: no {route} in {routes:?}"
        );
    }
    assert!(
        routes.keys().all(|r| r.contains(family)),
        "{v} called another family: {routes:?}"
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
    run_until(&env, Duration::from_secs(30), "a reassignment", || async {
        let rows = env
            .store
            .ledger()
            .handoffs_for(
                handoff_ids::PortalId::new(62515).unwrap(),
                &[handoff_ids::ContactId::try_from(id).unwrap()],
            )
            .await
            .unwrap();
        rows.first()
            .is_some_and(|r| r.reassignments >= 1 && r.step == Step::SlaScheduled)
    })
    .await;
    let row = handoff_row(&env, id).await;
    let missed = row.missed_by();
    assert_eq!(missed.len(), 1);
    assert_ne!(
        row.owner_id, missed[0],
        "never back to the rep who missed it"
    );
    assert!(row.escalations >= 1);
    let m = crate::support::scrape::scrape(&format!("http://{}", env.addr)).await;
    assert!(
        m.sum("handoff_pipeline_sla_breaches_total") >= 1.0,
        "the first owner's missed SLA is a breach:\n{}",
        m.text
    );
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
    let id = handed_off_lead(&env, "kim@pinecrest-analytics.com").await;
    let now = env.now().as_millisecond().to_string();
    env.change(id, &json!({"hs_last_sales_activity_timestamp": now}))
        .await
        .unwrap();
    settle(&env).await;
    assert!(handoff_row(&env, id).await.first_touch_at_ms.is_some());
    // Long past the SLA: nothing escalates.
    run_for(&env, Duration::from_secs(8)).await;
    let row = handoff_row(&env, id).await;
    assert_eq!(
        (row.escalations, row.reassignments, row.sla_met),
        (0, 0, Some(1))
    );
    let m = crate::support::scrape::scrape(&format!("http://{}", env.addr)).await;
    assert_eq!(m.sum("handoff_pipeline_sla_breaches_total"), 0.0);
    assert_eq!(
        m.value("handoff_pipeline_touches_total{outcome=\"met\"}"),
        1.0
    );
    let tasks = env.tasks(Some(id)).await.unwrap();
    assert_eq!(tasks.len(), 1, "no reminder or escalation after a touch");
    env.change(
        id,
        &json!({"hs_lead_status": "UNQUALIFIED", "hs_lead_disqualification_reason": "no budget"}),
    )
    .await
    .unwrap();
    settle(&env).await;
    let row = handoff_row(&env, id).await;
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
    settle(&env).await;
    let rows = env
        .store
        .ledger()
        .handoffs_for(
            handoff_ids::PortalId::new(62515).unwrap(),
            &[
                handoff_ids::ContactId::try_from(a).unwrap(),
                handoff_ids::ContactId::try_from(b).unwrap(),
            ],
        )
        .await
        .unwrap();
    assert!(
        rows.len() == 2 && rows.iter().all(|r| r.step == Step::SlaScheduled),
        "both handoffs: {rows:#?}"
    );
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
    settle(&env).await;
    assert_eq!(
        env.store
            .ledger()
            .handoffs_for(
                handoff_ids::PortalId::new(62515).unwrap(),
                &[handoff_ids::ContactId::try_from(b).unwrap()]
            )
            .await
            .unwrap()[0]
            .status,
        "merged"
    );
    assert_eq!(
        env.store
            .ledger()
            .handoffs_for(
                handoff_ids::PortalId::new(62515).unwrap(),
                &[handoff_ids::ContactId::try_from(a).unwrap()]
            )
            .await
            .unwrap()[0]
            .status,
        "open"
    );
    let all_tasks = env.tasks(None).await.unwrap();
    assert_eq!(follow_ups(&all_tasks).len(), 2, "the merge created no task");
    // a is deleted for privacy: its decisions are erased.
    env.deliver(&[env.event("contact.privacyDeletion", a, json!({}))])
        .await
        .unwrap();
    settle(&env).await;
    assert!(
        crate::support::world::decisions_of(&env, a)
            .await
            .is_empty(),
        "the contact's decisions are erased"
    );
    let row = env
        .store
        .ledger()
        .handoffs_for(
            handoff_ids::PortalId::new(62515).unwrap(),
            &[handoff_ids::ContactId::try_from(a).unwrap()],
        )
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (row.status.as_str(), row.task_text.as_deref()),
        ("closed", None)
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_status_set_before_the_handoff_is_not_taken_for_sales_acting_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_at(
        dir.path(),
        Speed {
            first_touch_s: 600,
            reassign_after_s: 60,
            close_loop_s: 1200,
        },
    )
    .await;
    let id = new_lead(&env, "already@pinecrest-analytics.com").await;
    // Marketing's import carried a lead status that reads as "accepted" in the playbook.
    env.upsert_contact(
        Some(&id.to_string()),
        &json!({"hs_lead_status": "CONNECTED"}),
        None,
    )
    .await
    .unwrap();
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    settle(&env).await;
    assert_eq!(handoff_row(&env, id).await.step, Step::SlaScheduled);
    // A later change makes handoff read the contact again: still no news from sales.
    env.change(id, &json!({"hs_analytics_num_page_views": "30"}))
        .await
        .unwrap();
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    assert_eq!(row.status, "open", "the ladder still runs");
    assert_eq!(row.disposition, None);
    assert_eq!(row.first_touch_at_ms, None);
    assert_eq!(follow_ups(&env.tasks(Some(id)).await.unwrap()).len(), 1);
    // Sales does act: that is recorded.
    env.change(
        id,
        &json!({"hs_lead_status": "UNQUALIFIED", "hs_lead_disqualification_reason": "student"}),
    )
    .await
    .unwrap();
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    assert_eq!(row.disposition.as_deref(), Some("disqualified"));
    env.stop().await;
}

/// SLA checks still waiting in the queue (none once a disposition closed the handoff).
async fn sla_checks_waiting(env: &handoff::demo::DemoEnv) -> i64 {
    env.store
        .queue()
        .depth(env.now().as_millisecond())
        .await
        .unwrap()
        .iter()
        .filter(|d| d.lane == "sla" && d.status != "dead")
        .map(|d| d.jobs)
        .sum()
}

/// The lead was accepted by sales: closed, touched, with its one task and no ladder left.
async fn assert_accepted_without_ladder(env: &handoff::demo::DemoEnv, id: i64) {
    settle(env).await;
    let row = handoff_row(env, id).await;
    assert_eq!(row.step, Step::SlaScheduled, "the finished steps");
    assert_eq!(row.disposition.as_deref(), Some("accepted"));
    assert_eq!(row.disposition_reason.as_deref(), Some("sales engaged"));
    assert_eq!(row.status, "closed");
    let touched = row.first_touch_at_ms.expect("a disposition is a touch");
    assert!(
        touched >= row.handed_off_at_ms,
        "a touch never precedes the handoff"
    );
    assert_eq!(sla_checks_waiting(env).await, 0, "the ladder stopped");
    assert_eq!(follow_ups(&env.tasks(Some(id)).await.unwrap()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_in_the_creations_batch_is_a_disposition() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    let id = new_lead(&env, "quick@pinecrest-analytics.com").await;
    env.upsert_contact(
        Some(&id.to_string()),
        &json!({"hs_lead_status": "CONNECTED"}),
        None,
    )
    .await
    .unwrap();
    // The rep set the status 200 ms after the creation; both arrive in one delivery, and the
    // worker reads the contact with the status already set.
    let creation = env.event("contact.creation", id, json!({}));
    let at = creation["occurredAt"].as_i64().unwrap() + 200;
    let change = env.event(
        "contact.propertyChange",
        id,
        json!({"propertyName": "hs_lead_status", "propertyValue": "CONNECTED", "occurredAt": at}),
    );
    env.deliver(&[creation, change]).await.unwrap();
    assert_accepted_without_ladder(&env, id).await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_that_happened_before_the_decision_was_recorded_is_a_disposition() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    let id = new_lead(&env, "race@pinecrest-analytics.com").await;
    env.upsert_contact(
        Some(&id.to_string()),
        &json!({"hs_lead_status": "CONNECTED"}),
        None,
    )
    .await
    .unwrap();
    let creation = env.event("contact.creation", id, json!({}));
    let at = creation["occurredAt"].as_i64().unwrap() + 1;
    env.deliver(&[creation]).await.unwrap();
    // The decision read the status already set; its change event arrives only afterwards.
    settle(&env).await;
    let decided_at = handoff_row(&env, id).await.handed_off_at_ms;
    assert!(at < decided_at, "the change happened before the decision");
    env.deliver(&[env.event(
        "contact.propertyChange",
        id,
        json!({"propertyName": "hs_lead_status", "propertyValue": "CONNECTED", "occurredAt": at}),
    )])
    .await
    .unwrap();
    assert_accepted_without_ladder(&env, id).await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creation_delivered_after_a_later_change_still_makes_one_handoff_and_one_task() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    let id = new_lead(&env, "late-creation@pinecrest-analytics.com").await;
    let now = env.now().as_millisecond();
    // HubSpot does not keep order: a property change that happened after the creation
    // arrives first, the creation five seconds of occurredAt later, then the change again.
    let change = env.event(
        "contact.propertyChange",
        id,
        json!({"propertyName": "hs_analytics_num_page_views", "propertyValue": "23", "occurredAt": now}),
    );
    let creation = env.event(
        "contact.creation",
        id,
        json!({"changeFlag": "NEW", "occurredAt": now - 5_000}),
    );
    // Each delivery is handled before the next arrives.
    assert_eq!(
        env.deliver(std::slice::from_ref(&change)).await.unwrap(),
        200
    );
    settle(&env).await;
    assert_eq!(env.deliver(&[creation]).await.unwrap(), 200);
    settle(&env).await;
    assert_eq!(env.deliver(&[change]).await.unwrap(), 200);
    settle(&env).await;
    assert_eq!(handoff_row(&env, id).await.step, Step::SlaScheduled);
    let tasks = env.tasks(Some(id)).await.unwrap();
    assert_eq!(follow_ups(&tasks).len(), 1, "one task: {tasks:#?}");
    let row = handoff_row(&env, id).await;
    assert_eq!(
        row.task_id.map(|t| t.to_string()).as_deref(),
        follow_ups(&tasks)[0]["id"].as_str()
    );
    assert_eq!(
        env.contact(id).await.unwrap()["properties"]["hubspot_owner_id"],
        json!(row.owner_id)
    );
    env.stop().await;
}
