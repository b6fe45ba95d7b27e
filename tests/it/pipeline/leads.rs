//! HubSpot Lead records (`[playbook.leads]`, issue #8 capability 2) end to end: signed
//! deliveries into `serve`, the pipeline against the sandbox's Leads and pipelines endpoints.
//! A handoff creates exactly one lead (also when HubSpot's answer to the create is lost or the
//! process is killed while the create is in flight), a lead stage webhook becomes a
//! disposition (a working stage or a lead handoff did not create records nothing), a
//! reassignment moves the lead's owner, and a portal that refuses leads still gets its task.

use handoff::demo::service::ServiceMode;
use handoff::demo::setup::{Speed, accelerated_playbook};
use handoff::demo::{DemoEnv, EnvOptions};
use handoff::store::ledger::Step;
use serde_json::{Value, json};

use std::time::Duration;

use crate::support::world::{
    calm, crash_and_finish, events_waiting, follow_ups, handed_off_lead, handoff_row, new_lead,
    poll_child, run_until, settle, speed, start_with,
};

/// The demo playbook with leads on; `extra` is appended (other sections) as the last layer.
fn leads_on(speed: Speed, extra: &str) -> String {
    let mut pb = accelerated_playbook(speed).unwrap();
    let leads: toml::Table = toml::from_str(
        r#"
enabled = true
name = "{name} — {offer}"
lead_type = "NEW BUSINESS"
"#,
    )
    .unwrap();
    pb.insert("leads".into(), toml::Value::Table(leads));
    let mut top = toml::Table::new();
    top.insert("playbook".into(), toml::Value::Table(pb));
    format!("{}\n{extra}", toml::to_string(&top).unwrap())
}

async fn start(dir: &std::path::Path, speed: Speed, extra: &str) -> DemoEnv {
    start_with(
        dir,
        EnvOptions {
            speed,
            extra_settings: leads_on(speed, extra),
            ..EnvOptions::default()
        },
    )
    .await
}

async fn leads_of(env: &DemoEnv, contact: i64) -> Vec<Value> {
    let list = env
        .control(
            reqwest::Method::GET,
            &format!("leads?contactId={contact}"),
            None,
        )
        .await
        .unwrap();
    list["results"].as_array().cloned().unwrap_or_default()
}

/// The generic webhook HubSpot sends when a lead's stage changes (docs/hubspot.md "Lead stage
/// webhooks").
fn stage_event(env: &DemoEnv, lead_id: &str, stage: &str) -> Value {
    env.event(
        "object.propertyChange",
        lead_id.parse().unwrap(),
        json!({"objectTypeId": "0-136", "propertyName": "hs_pipeline_stage", "propertyValue": stage}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portals_lead_stages_are_read_when_the_service_starts_before_any_lead() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path(), calm(), "").await;
    // The world is back from its start once the checks `serve` runs at start are done.
    let stats = env.stats().await.unwrap();
    assert_eq!(
        stats["byRoute"]["GET /crm/pipelines/2026-09/{object}"].as_u64(),
        Some(1),
        "the lead pipelines read at start: {stats}"
    );
    let creates = stats["byRoute"]["POST /crm/objects/2026-09/leads/batch/create"].as_u64();
    assert_eq!(creates, None, "no lead was created yet: {stats}");
    // The first lead finds the stages known: no second read.
    let id = handed_off_lead(&env, "early@pinecrest-analytics.com").await;
    assert_eq!(leads_of(&env, id).await.len(), 1, "the lead");
    let stats = env.stats().await.unwrap();
    assert_eq!(stats["byRoute"]["GET /crm/pipelines/2026-09/{object}"], 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handoff_creates_one_lead_and_its_disqualified_stage_becomes_a_disposition() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path(), calm(), "").await;
    let id = handed_off_lead(&env, "lena@pinecrest-analytics.com").await;
    // HubSpot redelivers the creation: still one handoff, one lead.
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    let leads = leads_of(&env, id).await;
    assert_eq!(leads.len(), 1, "one lead per handoff: {leads:#?}");
    let lead = &leads[0];
    assert_eq!(lead["contactIds"], json!([id.to_string()]));
    assert_eq!(lead["properties"]["hubspot_owner_id"], json!(row.owner_id));
    assert_eq!(lead["properties"]["hs_lead_type"], json!("NEW BUSINESS"));
    assert_eq!(
        lead["properties"]["hs_lead_name"],
        json!("Julia Alvarez — Pricing demo")
    );
    let lead_id = lead["id"].as_str().unwrap().to_string();
    let stored = env.store.leads().of_handoffs(&[row.id]).await.unwrap();
    assert_eq!(stored[&row.id].state, "created");
    assert_eq!(stored[&row.id].lead_id.as_deref(), Some(lead_id.as_str()));
    // `handoff explain --contact-id` shows the lead with the handoff.
    let history = handoff::report::History::load(
        &env.store,
        handoff_ids::PortalId::new(62515).unwrap(),
        handoff_ids::ContactId::try_from(id).unwrap(),
    )
    .await
    .unwrap();
    let text = history.to_text(env.now().as_millisecond());
    let shown = format!("HubSpot lead    created {lead_id}, owner {}", row.owner_id);
    assert!(text.contains(&shown), "{text}");

    // The rep disqualifies the lead in HubSpot's workspace; HubSpot sends the stage change.
    env.control(
        reqwest::Method::POST,
        &format!("leads/{lead_id}/stage"),
        Some(&json!({"stage": "unqualified-stage-id", "reason": "NOT_A_GOOD_FIT"})),
    )
    .await
    .unwrap();
    let status = env
        .deliver(&[stage_event(&env, &lead_id, "unqualified-stage-id")])
        .await
        .unwrap();
    assert_eq!(status, 200);
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    assert_eq!(
        row.disposition.as_deref(),
        Some("disqualified"),
        "the disposition from the lead's stage"
    );
    assert_eq!(row.disposition_reason.as_deref(), Some("NOT_A_GOOD_FIT"));
    assert_eq!(row.status, "closed", "a disposition closes the handoff");
    assert!(row.first_touch_at_ms.is_some(), "a disposition is a touch");
    let tasks = env.tasks(Some(id)).await.unwrap();
    assert_eq!(follow_ups(&tasks).len(), 1);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_working_stage_and_a_lead_handoff_did_not_create_record_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path(), calm(), "").await;
    let id = handed_off_lead(&env, "working@pinecrest-analytics.com").await;
    let lead_id = leads_of(&env, id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.control(
        reqwest::Method::POST,
        &format!("leads/{lead_id}/stage"),
        Some(&json!({"stage": "attempting-stage-id"})),
    )
    .await
    .unwrap();
    let status = env
        .deliver(&[
            stage_event(&env, &lead_id, "attempting-stage-id"),
            // A lead handoff did not create (made by hand in HubSpot): not handoff's.
            stage_event(&env, "987654321", "unqualified-stage-id"),
        ])
        .await
        .unwrap();
    assert_eq!(status, 200);
    settle(&env).await;
    assert_eq!(events_waiting(&env).await, 0, "the lead events handled");
    let row = handoff_row(&env, id).await;
    assert_eq!(
        row.disposition, None,
        "Attempting is the rep working the lead"
    );
    assert_eq!(row.status, "open");
    assert_eq!(row.first_touch_at_ms, None);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_create_whose_answer_is_lost_is_looked_up_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    // The client gives up on an answer after 1 s; HubSpot's answer takes 4 s.
    let env = start(dir.path(), calm(), "[hubspot]\nrequest_timeout_ms = 1000\n").await;
    env.set_faults(&json!({
        "pathPrefix": "/crm/objects/2026-09/leads/batch/create",
        "responseDelayMs": 4000,
    }))
    .await
    .unwrap();
    let id = handed_off_lead(&env, "lost@pinecrest-analytics.com").await;
    let row = handoff_row(&env, id).await;
    let stored = env.store.leads().of_handoffs(&[row.id]).await.unwrap();
    assert_eq!(stored[&row.id].state, "created");
    let leads = leads_of(&env, id).await;
    assert_eq!(leads.len(), 1, "the retry found the lead: {leads:#?}");
    assert_eq!(stored[&row.id].lead_id.as_deref(), leads[0]["id"].as_str());
    let m = crate::support::scrape::scrape(&format!("http://{}", env.addr)).await;
    assert!(
        m.value("handoff_pipeline_leads_total{outcome=\"unconfirmed\"}") >= 1.0,
        "the first answer was lost:\n{}",
        m.text
    );
    assert_eq!(
        m.value("handoff_pipeline_leads_total{outcome=\"created\"}"),
        1.0
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_that_refuses_leads_still_gets_its_task_and_the_refusal_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path(), calm(), "").await;
    env.control(
        reqwest::Method::POST,
        "leads/refuse",
        Some(&json!({"refuse": true})),
    )
    .await
    .unwrap();
    let id = handed_off_lead(&env, "refused@pinecrest-analytics.com").await;
    let tasks = env.tasks(Some(id)).await.unwrap();
    assert_eq!(follow_ups(&tasks).len(), 1, "the task is there: {tasks:#?}");
    assert!(leads_of(&env, id).await.is_empty());
    let row = handoff_row(&env, id).await;
    let stored = env.store.leads().of_handoffs(&[row.id]).await.unwrap();
    assert_eq!(stored[&row.id].state, "refused");
    assert!(
        stored[&row.id]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("not been set up")),
        "{stored:?}"
    );
    let m = crate::support::scrape::scrape(&format!("http://{}", env.addr)).await;
    assert_eq!(
        m.value("handoff_pipeline_leads_total{outcome=\"refused\"}"),
        1.0,
        "{}",
        m.text
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reassignment_after_a_missed_sla_moves_the_lead_to_the_new_owner() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path(), speed(), "").await;
    let id = new_lead(&env, "moved@pinecrest-analytics.com").await;
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    // The ladder may reassign more than once: run until the lead matches the latest owner.
    let moved = "a reassignment with the lead moved";
    run_until(&env, Duration::from_secs(30), moved, || async {
        let rows = env
            .store
            .ledger()
            .handoffs_for(
                handoff_ids::PortalId::new(62515).unwrap(),
                &[handoff_ids::ContactId::try_from(id).unwrap()],
            )
            .await
            .unwrap();
        let Some(r) = rows.first() else { return false };
        let leads = leads_of(&env, id).await;
        r.reassignments >= 1
            && r.step == Step::SlaScheduled
            && leads
                .first()
                .is_some_and(|l| l["properties"]["hubspot_owner_id"] == json!(r.owner_id))
    })
    .await;
    let row = handoff_row(&env, id).await;
    let first = row.missed_by()[0];
    assert_ne!(row.owner_id, first);
    let leads = leads_of(&env, id).await;
    assert_eq!(leads.len(), 1, "the lead moves, no second lead: {leads:#?}");
    assert_eq!(
        leads[0]["properties"]["hubspot_owner_id"],
        json!(row.owner_id),
        "the lead follows the handoff to its new owner, away from {first}"
    );
    let stored = env.store.leads().of_handoffs(&[row.id]).await.unwrap();
    assert_eq!(stored[&row.id].owner_id, Some(row.owner_id));
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_while_the_lead_create_is_in_flight_leaves_one_lead() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "[queue]\nlease_ms = 2000\nmaintenance_interval_ms = 1000\n";
    let mut env = start_with(
        dir.path(),
        EnvOptions {
            speed: calm(),
            extra_settings: leads_on(calm(), extra),
            service: ServiceMode::Binary(env!("CARGO_BIN_EXE_handoff").into()),
            ..EnvOptions::default()
        },
    )
    .await;
    // HubSpot creates the lead but its answer never arrives before the crash.
    env.set_faults(&json!({
        "pathPrefix": "/crm/objects/2026-09/leads/batch/create",
        "responseDelayMs": 120_000,
    }))
    .await
    .unwrap();
    let id = new_lead(&env, "killed@pinecrest-analytics.com").await;
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    poll_child(20, "the lead created in HubSpot", || async {
        !leads_of(&env, id).await.is_empty()
    })
    .await;
    let row = handoff_row(&env, id).await;
    let stored = env.store.leads().of_handoffs(&[row.id]).await.unwrap();
    assert_eq!(
        stored[&row.id].state, "attempted",
        "the crash comes before the answer"
    );

    crash_and_finish(&mut env, id).await;
    let leads = leads_of(&env, id).await;
    assert_eq!(leads.len(), 1, "one lead, not two: {leads:#?}");
    let stored = env.store.leads().of_handoffs(&[row.id]).await.unwrap();
    assert_eq!(stored[&row.id].state, "created");
    assert_eq!(
        stored[&row.id].lead_id.as_deref(),
        leads[0]["id"].as_str(),
        "the ledger found the lead created before the crash"
    );
    env.stop().await;
}
