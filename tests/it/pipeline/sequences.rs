//! First touch end to end: the sandbox and `serve` with `pipeline.sequence_portals` on for the
//! demo portal, the example playbook's `[[playbook.sequences]]` rule (demo offers, tiers A/B →
//! sequence 4001). A matching lead is enrolled once on behalf of its owner; a contact already
//! in a sequence and an owner without a seat still get their task, and the reason is in the
//! ledger and the metric.

use handoff::demo::{DemoEnv, EnvOptions};
use handoff::store::ledger::Step;
use serde_json::{Value, json};

use crate::support::world::{
    follow_ups, handed_off_lead, handoff_row, new_lead, settle, speed, start_with,
};

const PORTAL: i64 = 62515;

async fn start(dir: &std::path::Path) -> DemoEnv {
    start_with(
        dir,
        EnvOptions {
            speed: speed(),
            extra_settings: format!("[pipeline]\nsequence_portals = [{PORTAL}]\n"),
            ..EnvOptions::default()
        },
    )
    .await
}

/// The sandbox's seeded owners (`PublicOwner`s).
fn seeded_owners() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/sandbox/owners.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The seeded owner `id`: (user id, email).
fn owner_user(owner_id: &str) -> (String, String) {
    let owners = seeded_owners();
    let o = owners.iter().find(|o| o["id"] == owner_id).unwrap();
    (
        o["userId"].as_u64().unwrap().to_string(),
        o["email"].as_str().unwrap().to_owned(),
    )
}

async fn enrollments(env: &DemoEnv) -> Vec<Value> {
    let body = env
        .control(reqwest::Method::GET, "sequences/enrollments", None)
        .await
        .unwrap();
    body["results"].as_array().cloned().unwrap_or_default()
}

async fn ledger(env: &DemoEnv, id: i64) -> handoff::store::sequences::SequenceRecord {
    env.store
        .sequences()
        .record(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            handoff_ids::ContactId::try_from(id).unwrap(),
        )
        .await
        .unwrap()
        .unwrap()
}

async fn counted(env: &DemoEnv, outcome: &str, reason: &str) -> f64 {
    let m = crate::support::scrape::scrape(&format!("http://{}", env.addr)).await;
    // A series never incremented is not rendered: that is a count of 0.
    m.get(&format!(
        "handoff_pipeline_sequence_enrollments_total{{outcome=\"{outcome}\",reason=\"{reason}\"}}"
    ))
    .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matching_lead_is_enrolled_once_on_behalf_of_its_owner() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    let id = handed_off_lead(&env, "first.touch@pinecrest-analytics.com").await;
    let rec = ledger(&env, id).await;
    assert_eq!(rec.sequence_state.as_deref(), Some("enrolled"));
    assert_eq!(rec.sequence_id.as_deref(), Some("4001"));

    let row = env
        .store
        .ledger()
        .handoffs_for(
            handoff_ids::PortalId::try_from(PORTAL).unwrap(),
            &[handoff_ids::ContactId::try_from(id).unwrap()],
        )
        .await
        .unwrap()
        .remove(0);
    let (user_id, email) = owner_user(&row.owner_id.to_string());
    let list = enrollments(&env).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let e = &list[0];
    assert_eq!(e["contactId"], id.to_string());
    assert_eq!(e["sequenceId"], "4001");
    assert_eq!(e["enrolledBy"], user_id, "on behalf of the owner's user");
    assert_eq!(e["enrolledByEmail"], email, "from the owner's inbox");
    assert_eq!(rec.sequence_enrollment_id.as_deref(), e["id"].as_str());
    assert_eq!(follow_ups(&env.tasks(Some(id)).await.unwrap()).len(), 1);
    // `handoff explain --contact-id` shows the enrollment with the lead's history.
    let history = handoff::report::History::load(
        &env.store,
        handoff_ids::PortalId::new(62515).unwrap(),
        handoff_ids::ContactId::try_from(id).unwrap(),
    )
    .await
    .unwrap();
    let enrolled = format!("4001: enrolled (enrollment {})", e["id"].as_str().unwrap());
    let text = history.to_text(env.now().as_millisecond());
    assert!(text.contains(&enrolled), "{text}");

    // HubSpot sends more events for the contact (and redelivers the first): no second call.
    let again = env.event("contact.creation", id, json!({}));
    let change = env.event(
        "contact.propertyChange",
        id,
        json!({"propertyName": "jobtitle", "propertyValue": "VP Marketing"}),
    );
    env.deliver(&[again, change]).await.unwrap();
    env.change(id, &json!({"jobtitle": "VP Marketing"}))
        .await
        .unwrap();
    let calls = |s: &Value| s["byRoute"]["POST /automation/sequences/2026-09/enrollments"].as_u64();
    settle(&env).await;
    let depth = env.store.queue().depth(env.now().as_millisecond()).await;
    let events: i64 = depth
        .unwrap()
        .iter()
        .filter(|d| d.lane == "events")
        .map(|d| d.jobs)
        .sum();
    assert_eq!(events, 0, "the later events handled");
    assert_eq!(calls(&env.stats().await.unwrap()), Some(1));
    assert_eq!(enrollments(&env).await.len(), 1);
    assert_eq!(counted(&env, "enrolled", "none").await, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrollment_whose_answer_was_lost_is_found_on_the_retry_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    // HubSpot enrolls the contact, but the answer is a 502: did it land? The job retries.
    env.control(
        reqwest::Method::PUT,
        "sequences/lost-answers",
        Some(&json!({"count": 1})),
    )
    .await
    .unwrap();
    let id = handed_off_lead(&env, "lost.answer@pinecrest-analytics.com").await;
    let rec = ledger(&env, id).await;
    assert_eq!(rec.sequence_state.as_deref(), Some("enrolled"));
    let list = enrollments(&env).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        rec.sequence_enrollment_id.as_deref(),
        list[0]["id"].as_str()
    );
    let stats = env.stats().await.unwrap();
    assert_eq!(
        stats["byRoute"]["POST /automation/sequences/2026-09/enrollments"].as_u64(),
        Some(1),
        "the retry read the enrollment instead of enrolling again"
    );
    assert_eq!(follow_ups(&env.tasks(Some(id)).await.unwrap()).len(), 1);
    assert_eq!(counted(&env, "enrolled", "none").await, 1.0);
    assert_eq!(counted(&env, "skipped", "already_enrolled").await, 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_already_in_a_sequence_still_gets_its_task_and_the_reason_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    let id = new_lead(&env, "busy.lead@pinecrest-analytics.com").await;
    // A rep enrolled the contact in HubSpot before the lead was handed off.
    env.control(
        reqwest::Method::POST,
        "sequences/enrollments",
        Some(&json!({"contactId": id.to_string(), "sequenceId": "4002", "userId": "9300"})),
    )
    .await
    .unwrap();
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    settle(&env).await;
    assert_eq!(
        handoff_row(&env, id).await.step,
        Step::SlaScheduled,
        "the handoff with its SLA ladder"
    );
    let rec = ledger(&env, id).await;
    assert_eq!(
        (
            rec.sequence_state.as_deref(),
            rec.sequence_reason.as_deref()
        ),
        (Some("skipped"), Some("already_enrolled"))
    );
    assert_eq!(follow_ups(&env.tasks(Some(id)).await.unwrap()).len(), 1);
    let history = handoff::report::History::load(
        &env.store,
        handoff_ids::PortalId::new(62515).unwrap(),
        handoff_ids::ContactId::try_from(id).unwrap(),
    )
    .await
    .unwrap();
    let json: Value = serde_json::from_str(&history.to_json()).unwrap();
    assert_eq!(json["sequence"]["sequence_reason"], "already_enrolled");
    let list = enrollments(&env).await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0]["sequenceId"], "4002",
        "the rep's enrollment is untouched"
    );
    assert_eq!(counted(&env, "skipped", "already_enrolled").await, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_without_a_sales_seat_still_gets_the_task_and_the_reason_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path()).await;
    // No user of the portal has a Sales Hub Professional seat.
    let users: Vec<u64> = seeded_owners()
        .iter()
        .filter_map(|o| o["userId"].as_u64())
        .collect();
    env.control(
        reqwest::Method::PUT,
        "sequences/users",
        Some(&json!({"withoutSeat": users})),
    )
    .await
    .unwrap();
    let id = handed_off_lead(&env, "no.seat@pinecrest-analytics.com").await;
    let rec = ledger(&env, id).await;
    assert_eq!(
        (
            rec.sequence_state.as_deref(),
            rec.sequence_reason.as_deref()
        ),
        (Some("skipped"), Some("no_seat"))
    );
    assert_eq!(follow_ups(&env.tasks(Some(id)).await.unwrap()).len(), 1);
    assert!(enrollments(&env).await.is_empty());
    assert_eq!(counted(&env, "skipped", "no_seat").await, 1.0);
    assert_eq!(counted(&env, "enrolled", "none").await, 0.0);
}

#[test]
fn check_config_names_a_sequence_portal_that_is_not_configured_and_a_bad_rule() {
    let dir = tempfile::tempdir().unwrap();
    // The example playbook with one more rule, whose sequence id and tier are wrong.
    let default =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml"))
            .unwrap();
    let playbook_at = default.find("[playbook]\n").unwrap();
    let roster_at = default.find("[[roster.teams]]").unwrap();
    let playbook = format!(
        "{}\n[[playbook.sequences]]\ntiers = [\"Z\"]\nsequence_id = \"welcome\"\n",
        &default[playbook_at..roster_at]
    );
    std::fs::write(
        dir.path().join("local.toml"),
        format!(
            "[pipeline]\nsequence_portals = [62515, 7]\n\n\
             [[hubspot.portals]]\nid = 62515\nplaybook = \"example-b2b-saas\"\n\
             auth = {{ kind = \"private_app\", token_env = \"HUBSPOT_TOKEN_62515\" }}\n\n{playbook}"
        ),
    )
    .unwrap();
    let mut env: std::collections::HashMap<String, String> =
        crate::support::app::base_env(dir.path());
    env.insert("HUBSPOT_TOKEN_62515".into(), "pat-na1-test".into());
    let sources = handoff::config::ConfigSources {
        dir: Some(dir.path().to_path_buf()),
        env: Some(env),
    };
    let text = handoff::config::load(&sources).unwrap_err().to_string();
    for expected in [
        "pipeline.sequence_portals[1]: portal 7 is not configured in [[hubspot.portals]]",
        "playbook.sequences[1].sequence_id",
        "playbook.sequences[1].tiers[0]: unknown tier `Z`",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains("sequence_portals[0]"), "{text}");
}
