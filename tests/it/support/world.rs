//! The world the pipeline tests run in: the sandbox and `serve` on an accelerated clock (SLAs of
//! seconds), ready leads, and polling helpers.

use std::time::Duration;

use handoff::demo::setup::Speed;
use handoff::demo::{DemoEnv, EnvOptions};
use handoff::store::ledger::Step;
use serde_json::{Value, json};

pub fn speed() -> Speed {
    Speed {
        first_touch_s: 3,
        reassign_after_s: 2,
        close_loop_s: 600,
    }
}

/// A first touch far away: no SLA step runs during a test, only handoffs spend requests.
pub fn calm() -> Speed {
    Speed {
        first_touch_s: 3600,
        reassign_after_s: 600,
        close_loop_s: 7200,
    }
}

/// The contact's handoff in the demo portal, as the ledger has it now.
pub async fn handoff_row(env: &DemoEnv, id: i64) -> handoff::store::ledger::HandoffRow {
    env.store
        .ledger()
        .handoffs_for(handoff::demo::setup::PORTAL_ID, &[id])
        .await
        .unwrap()
        .remove(0)
}

pub async fn start(dir: &std::path::Path) -> DemoEnv {
    start_at(dir, speed()).await
}

/// The sandbox and `serve` (with its admin listener), SLAs at `speed`.
pub async fn start_at(dir: &std::path::Path, speed: Speed) -> DemoEnv {
    start_with(
        dir,
        EnvOptions {
            speed,
            ..EnvOptions::default()
        },
    )
    .await
}

/// Starts a world with `options` (seed, rate limit and log format are the tests' own).
pub async fn start_with(dir: &std::path::Path, options: EnvOptions) -> DemoEnv {
    // Logs appear in a failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("info,sqlx=warn")
        .with_test_writer()
        .try_init();
    let options = EnvOptions {
        seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/sandbox").into()),
        requests_per_10s: 110,
        log_format: "json",
        ..options
    };
    DemoEnv::start(dir, options).await.unwrap()
}

/// A ready US lead (tier A/B), as the example playbook routes it to the us-sdr pool.
pub fn us_lead(email: &str) -> Value {
    json!({
        "email": email, "firstname": "Julia", "lastname": "Alvarez",
        "jobtitle": "Director of Marketing", "phone": "+1 415 555 0134",
        "country": "US", "state": "CA", "company": "Pinecrest Analytics",
        "hs_analytics_num_page_views": "22", "num_conversion_events": "4",
        "recent_conversion_date": jiff::Timestamp::now().to_string(),
        "recent_conversion_event_name": "Pricing demo",
    })
}

pub async fn new_lead(env: &DemoEnv, email: &str) -> i64 {
    let company = env
        .upsert_company(None, &json!({"name": "Pinecrest Analytics Inc.", "domain": "pinecrest-analytics.com",
            "industry": "INFORMATION_TECHNOLOGY_AND_SERVICES", "numberofemployees": "85", "country": "US"}))
        .await
        .unwrap();
    env.upsert_contact(None, &us_lead(email), Some(&company))
        .await
        .unwrap()
}

/// A new lead whose creation webhook has run through to a handoff with its SLA ladder.
pub async fn handed_off_lead(env: &DemoEnv, email: &str) -> i64 {
    let id = new_lead(env, email).await;
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    eventually(15, "the handoff with its SLA ladder", || async {
        env.store
            .ledger()
            .handoffs_for(62515, &[id])
            .await
            .unwrap()
            .first()
            .is_some_and(|r| r.step == Step::SlaScheduled)
    })
    .await;
    id
}

/// Polls until `check` holds or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
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

pub fn follow_ups(tasks: &[Value]) -> Vec<&Value> {
    tasks
        .iter()
        .filter(|t| {
            let s = t["properties"]["hs_task_subject"].as_str().unwrap_or("");
            !s.starts_with("Reminder") && !s.starts_with("Escalation")
        })
        .collect()
}
