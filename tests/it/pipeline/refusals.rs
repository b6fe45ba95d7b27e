//! HubSpot's 2026-09 write validation end to end (docs/hubspot.md "Write validation"): the
//! sandbox requires a task property as a portal's admins would; the handoff whose task HubSpot
//! refuses is dead-lettered with HubSpot's code and the property named, the other handoffs of
//! the batch get their tasks, and once the task template sets the property a replay of the dead
//! letter creates the task — on both API versions, with per-input errors and with the whole
//! batch refused.

use handoff::demo::EnvOptions;
use handoff::demo::setup::PORTAL_ID;
use handoff::hubspot::client::ApiVersion;
use handoff::store::queue::DeadFilter;
use serde_json::{Value, json};

use std::time::Duration;

use crate::support::world::{calm, follow_ups, run_until, settle, start_with, us_lead};

const RULE: &str = "hs_call_reason_x";

/// A world on API version `v` whose sandbox requires `RULE` on CALL tasks (the example
/// playbook's demo-request template makes CALL tasks, its default template TODO ones).
async fn start(
    dir: &std::path::Path,
    v: ApiVersion,
    whole_request: bool,
) -> handoff::demo::DemoEnv {
    let env = start_with(
        dir,
        EnvOptions {
            speed: calm(),
            extra_settings: format!("[hubspot]\napi_version = \"{v}\"\n"),
            ..EnvOptions::default()
        },
    )
    .await;
    let rule = json!({"object": "tasks", "wholeRequest": whole_request,
        "conditional": [{"property": RULE, "when": {"hs_task_type": "CALL"}}]});
    env.control(reqwest::Method::POST, "validation", Some(&rule))
        .await
        .unwrap();
    env
}

/// Two ready leads in one delivery: a demo request (a CALL task) and a contact-form lead.
async fn two_leads(env: &handoff::demo::DemoEnv) -> (i64, i64) {
    let company = env
        .upsert_company(
            None,
            &json!({"name": "Pinecrest Analytics Inc.", "domain": "pinecrest-analytics.com",
            "country": "US", "numberofemployees": "1500"}),
        )
        .await
        .unwrap();
    let demo = env
        .upsert_contact(
            None,
            &us_lead("demo@pinecrest-analytics.com"),
            Some(&company),
        )
        .await
        .unwrap();
    let mut form = us_lead("form@pinecrest-analytics.com");
    form["recent_conversion_event_name"] = json!("Contact us form");
    let form = env
        .upsert_contact(None, &form, Some(&company))
        .await
        .unwrap();
    let events = [demo, form].map(|id| env.event("contact.creation", id, json!({})));
    env.deliver(&events).await.unwrap();
    (demo, form)
}

async fn dead_reasons(env: &handoff::demo::DemoEnv) -> Vec<(i64, String)> {
    let dead = env
        .store
        .dead_letters()
        .list(&DeadFilter::default())
        .await
        .unwrap();
    dead.into_iter()
        .map(|d| (d.id, d.last_error.unwrap_or_default()))
        .collect()
}

fn creates(env: &handoff::demo::DemoEnv) -> u64 {
    env.sandbox
        .sandbox
        .stats()
        .by_route
        .iter()
        .filter(|(route, _)| route.ends_with("tasks/batch/create"))
        .map(|(_, n)| n)
        .sum()
}

async fn refused_then_replayed(v: ApiVersion) {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path(), v, false).await;
    let (demo, form) = two_leads(&env).await;
    settle(&env).await;
    assert!(
        !env.tasks(Some(form)).await.unwrap().is_empty(),
        "the contact-form lead's task"
    );
    let dead = dead_reasons(&env).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    let reason = &dead[0].1;
    for part in [
        "task create refused by HubSpot: MISSING_CONDITIONAL_REQUIRED_PROPERTY for property hs_call_reason_x",
        "[[playbook.tasks]] id = \"demo-request\", properties = { hs_call_reason_x = \"…\" }",
    ] {
        assert!(reason.contains(part), "{v}: `{part}` not in {reason}");
    }
    assert!(
        env.tasks(Some(demo)).await.unwrap().is_empty(),
        "no task without the property"
    );
    assert_eq!(
        creates(&env),
        1,
        "{v}: one batch, one request; the other task was created"
    );
    let metrics = reqwest::get(format!("http://{}/metrics", env.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = format!(
        "handoff_hubspot_write_refusals_total{{object=\"task\",code=\"MISSING_CONDITIONAL_REQUIRED_PROPERTY\",property=\"{RULE}\"}} 1"
    );
    assert!(metrics.contains(&series), "{metrics}");

    // The operator adds the property to the template, reloads and replays the dead letter.
    let playbook = dir.path().join("conf/20-playbook.toml");
    let mut top: toml::Table =
        toml::from_str(&std::fs::read_to_string(&playbook).unwrap()).unwrap();
    let tasks = top["playbook"]["tasks"].as_array().unwrap().clone();
    let tasks: Vec<toml::Value> = tasks
        .into_iter()
        .map(|mut t| {
            if t["id"].as_str() == Some("demo-request") {
                let props: toml::Table =
                    toml::from_str(&format!("{RULE} = \"inbound: {{offer}}\"")).unwrap();
                t.as_table_mut()
                    .unwrap()
                    .insert("properties".into(), props.into());
            }
            t
        })
        .collect();
    top["playbook"]
        .as_table_mut()
        .unwrap()
        .insert("tasks".into(), tasks.into());
    std::fs::write(&playbook, toml::to_string(&top).unwrap()).unwrap();
    let admin = |path: &str| format!("http://{}{path}", env.admin_addr);
    let http = reqwest::Client::new();
    let r = http
        .post(admin("/admin/rules/reload"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = http
        .post(admin(&format!("/admin/dlq/{}/replay", dead[0].0)))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    // The refused create was attempted: the replay looks for it once HubSpot's search index
    // has caught up (`pipeline.task_lookup_delay_ms`), then creates it.
    let replayed = "the demo lead's task after the replay";
    run_until(&env, Duration::from_secs(60), replayed, || async {
        !env.tasks(Some(demo)).await.unwrap().is_empty()
    })
    .await;
    let tasks = env.tasks(Some(demo)).await.unwrap();
    let task = follow_ups(&tasks)[0];
    assert_eq!(task["properties"][RULE], json!("inbound: Pricing demo"));
    assert_eq!(task["properties"]["hs_task_type"], json!("CALL"));
    let row = env
        .store
        .ledger()
        .handoffs_for(
            handoff_ids::PortalId::try_from(PORTAL_ID).unwrap(),
            &[handoff_ids::ContactId::try_from(demo).unwrap()],
        )
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        row.task_id.map(|t| t.to_string()).as_deref(),
        task["id"].as_str()
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_refused_for_a_required_property_dead_letters_that_handoff_with_the_property_named_while_the_batchs_other_task_is_created()
 {
    refused_then_replayed(ApiVersion::Dated2026_09).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_v3_api_a_refused_task_is_dead_lettered_the_same_way_and_replays_once_the_template_sets_the_property()
 {
    refused_then_replayed(ApiVersion::V3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_hubspot_refuses_the_whole_batch_the_other_task_is_still_created() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path(), ApiVersion::Dated2026_09, true).await;
    let (demo, form) = two_leads(&env).await;
    settle(&env).await;
    assert!(
        !env.tasks(Some(form)).await.unwrap().is_empty(),
        "the contact-form lead's task"
    );
    let dead: Vec<Value> = dead_reasons(&env)
        .await
        .into_iter()
        .map(|(_, r)| json!(r))
        .collect();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(
        dead[0]
            .as_str()
            .unwrap()
            .contains("MISSING_CONDITIONAL_REQUIRED_PROPERTY for property hs_call_reason_x"),
        "{dead:?}"
    );
    assert!(env.tasks(Some(demo)).await.unwrap().is_empty());
    // The batch, then each of the two tasks that lack the property on its own.
    assert_eq!(creates(&env), 3);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_refused_for_a_required_property_is_recorded_with_the_property_and_the_handoff_goes_on()
 {
    use handoff::demo::setup::accelerated_playbook;
    let mut pb = accelerated_playbook(calm()).unwrap();
    let leads: toml::Table = toml::from_str("enabled = true\nname = \"{name}\"").unwrap();
    pb.insert("leads".into(), toml::Value::Table(leads));
    let mut top = toml::Table::new();
    top.insert("playbook".into(), toml::Value::Table(pb));
    let dir = tempfile::tempdir().unwrap();
    let env = start_with(
        dir.path(),
        EnvOptions {
            speed: calm(),
            extra_settings: toml::to_string(&top).unwrap(),
            ..EnvOptions::default()
        },
    )
    .await;
    let rule = json!({"object": "leads", "required": ["hs_lead_source_x"]});
    env.control(reqwest::Method::POST, "validation", Some(&rule))
        .await
        .unwrap();
    let id = crate::support::world::handed_off_lead(&env, "lead@pinecrest-analytics.com").await;
    let row = env
        .store
        .ledger()
        .handoffs_for(
            handoff_ids::PortalId::try_from(PORTAL_ID).unwrap(),
            &[handoff_ids::ContactId::try_from(id).unwrap()],
        )
        .await
        .unwrap()
        .remove(0);
    assert!(row.task_id.is_some(), "the task is created");
    let lead = env
        .store
        .leads()
        .of_handoffs(&[row.id])
        .await
        .unwrap()
        .remove(&row.id)
        .unwrap();
    assert_eq!(lead.state, "refused");
    let error = lead.error.unwrap_or_default();
    for part in [
        "lead create refused by HubSpot: MISSING_REQUIRED_PROPERTY for property hs_lead_source_x",
        "[playbook.leads] properties = { hs_lead_source_x = \"…\" }",
    ] {
        assert!(error.contains(part), "`{part}` not in {error}");
    }
    assert!(
        env.store
            .dead_letters()
            .list(&DeadFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_write_back_refused_by_a_conditional_rule_dead_letters_with_the_property_named() {
    let dir = tempfile::tempdir().unwrap();
    let env = start(dir.path(), ApiVersion::V3, false).await;
    let rule = json!({"object": "contacts",
        "conditional": [{"property": "hs_region_x", "when": {"country": "US"}}]});
    env.control(reqwest::Method::POST, "validation", Some(&rule))
        .await
        .unwrap();
    let id = crate::support::world::new_lead(&env, "write@pinecrest-analytics.com").await;
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    settle(&env).await;
    let reason = dead_reasons(&env).await.remove(0).1;
    assert!(
        reason.starts_with("contact write-back (owner, score, tier, handoff times) refused by HubSpot: MISSING_CONDITIONAL_REQUIRED_PROPERTY for property hs_region_x"),
        "{reason}"
    );
    assert!(
        env.tasks(Some(id)).await.unwrap().is_empty(),
        "no task before the owner is written"
    );
    env.stop().await;
}
