//! The world the pipeline tests run in: the sandbox and `serve` with SLAs of seconds, ready
//! leads, and time driven by the test: `serve`'s worker runs no loop, the test runs what is due
//! (`settle`) and lets time pass on the world's clock (`run_for`, `run_until`), so nothing waits
//! for a wall clock. Only a world whose `serve` is the real binary in a child process (crash
//! tests, the log story) has the wall clock and its worker's own loop: `poll_child` waits for it.

use std::time::Duration;

use handoff::demo::service::ServiceMode;
use handoff::demo::setup::Speed;
use handoff::demo::{DemoEnv, EnvOptions};
use handoff::store::ledger::Step;
use handoff::worker::Ran;
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
        .handoffs_for(
            handoff_ids::PortalId::try_from(handoff::demo::setup::PORTAL_ID).unwrap(),
            &[handoff_ids::ContactId::try_from(id).unwrap()],
        )
        .await
        .unwrap()
        .remove(0)
}

/// The demo portal's recorded decisions about contact `id`, oldest first.
pub async fn decisions_of(env: &DemoEnv, id: i64) -> Vec<handoff::store::ledger::DecisionRow> {
    env.store
        .ledger()
        .decisions_of(
            handoff_ids::PortalId::try_from(handoff::demo::setup::PORTAL_ID).unwrap(),
            handoff_ids::ContactId::try_from(id).unwrap(),
        )
        .await
        .unwrap()
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
    let stepped = matches!(options.service, ServiceMode::InProcess);
    let options = EnvOptions {
        seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/sandbox").into()),
        requests_per_10s: 110,
        log_format: "json",
        stepped,
        ..options
    };
    DemoEnv::start(dir, options).await.unwrap()
}

/// Starts a calm world whose settings add `layer(the accelerated playbook)`: a playbook and
/// roster a test rewrites.
pub async fn start_with_layer(
    dir: &std::path::Path,
    layer: impl FnOnce(toml::Table) -> String,
) -> DemoEnv {
    let playbook = handoff::demo::setup::accelerated_playbook(calm()).unwrap();
    let options = EnvOptions {
        speed: calm(),
        extra_settings: layer(playbook),
        ..EnvOptions::default()
    };
    start_with(dir, options).await
}

/// A ready US lead (tier A/B), as the example playbook routes it to the us-sdr pool, with a
/// conversion now.
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

/// A new lead whose creation webhook has run through to a handoff with its SLA ladder (the
/// world's time passes only while a step is retried, e.g. after a lost answer).
pub async fn handed_off_lead(env: &DemoEnv, email: &str) -> i64 {
    let id = new_lead(env, email).await;
    env.deliver(&[env.event("contact.creation", id, json!({}))])
        .await
        .unwrap();
    let ladder = "the handoff with its SLA ladder";
    run_until(env, Duration::from_secs(60), ladder, || async {
        env.store
            .ledger()
            .handoffs_for(
                handoff_ids::PortalId::new(62515).unwrap(),
                &[handoff_ids::ContactId::try_from(id).unwrap()],
            )
            .await
            .unwrap()
            .first()
            .is_some_and(|r| r.step == Step::SlaScheduled)
    })
    .await;
    id
}

/// Runs what is due now, until nothing due is left that a run can take: what one delivery
/// (or one moment's checks) leads to, without the clock moving.
pub async fn settle(env: &DemoEnv) -> Ran {
    let mut ran = env.run_due().await.unwrap();
    let mut last = ran.clone();
    while !last.is_empty() && due_now(env).await {
        last = env.run_due().await.unwrap();
        ran.merge(last.clone());
    }
    ran
}

/// Lets `span` of the world's time pass: the clock stops at every job's time within it, and
/// what is due there runs.
pub async fn run_for(env: &DemoEnv, span: Duration) {
    let end = env.now() + span;
    step_until(env, end, || async { false }).await;
    let left = end.duration_since(env.now());
    if left.is_positive() {
        env.advance(left.unsigned_abs()).unwrap();
    }
    settle(env).await;
}

/// Lets the world's time pass, at most `limit`, stopping at every job's time and running what
/// is due there, until `done` holds (checked at every stop); panics if it never does.
pub async fn run_until<F, Fut>(env: &DemoEnv, limit: Duration, what: &str, done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = env.now() + limit;
    assert!(
        step_until(env, end, done).await,
        "{what} did not happen within {limit:?} of the world's time"
    );
}

/// Runs what is due, then moves the clock to each next job's time up to `end`, until `done`.
async fn step_until<F, Fut>(env: &DemoEnv, end: jiff::Timestamp, mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    settle(env).await;
    loop {
        if done().await {
            return true;
        }
        let Some(next) = next_job_at(env).await.filter(|at| *at <= end) else {
            return false;
        };
        let wait = next.duration_since(env.now());
        if wait.is_positive() {
            env.advance(wait.unsigned_abs()).unwrap();
        }
        settle(env).await;
    }
}

/// A job is due now (not counting running or dead ones).
async fn due_now(env: &DemoEnv) -> bool {
    let now = env.now().as_millisecond();
    let depth = env.store.queue().depth(now).await.unwrap();
    depth.iter().any(|d| d.status == "due")
}

/// When the next job that is not due yet is set to run.
async fn next_job_at(env: &DemoEnv) -> Option<jiff::Timestamp> {
    let now = env.now().as_millisecond();
    let depth = env.store.queue().depth(now).await.unwrap();
    depth
        .iter()
        .filter(|d| ["held", "paused", "scheduled"].contains(&d.status.as_str()))
        .filter_map(|d| d.next_run_at_ms)
        .min()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
}

/// The event jobs still waiting (not done, not dead).
pub async fn events_waiting(env: &DemoEnv) -> i64 {
    let now = env.now().as_millisecond();
    let depth = env.store.queue().depth(now).await.unwrap();
    depth
        .iter()
        .filter(|d| d.lane == "events" && d.status != "dead")
        .map(|d| d.jobs)
        .sum()
}

/// Polls until `check` holds or `secs` pass: only for a world whose `serve` is the real binary
/// in a child process, which runs its worker's own loop on the wall clock.
/// The `serve` child is killed mid-handoff (SIGKILL), HubSpot's faults are cleared, the child
/// restarts, and the handoff of contact `id` resumes until its SLA is scheduled.
pub async fn crash_and_finish(env: &mut DemoEnv, id: i64) {
    env.child().unwrap().kill().await.unwrap();
    env.set_faults(&json!({})).await.unwrap();
    env.child().unwrap().restart().await.unwrap();
    poll_child(30, "the handoff to resume and finish", || async {
        let portal = handoff_ids::PortalId::try_from(handoff::demo::setup::PORTAL_ID).unwrap();
        let contact = handoff_ids::ContactId::try_from(id).unwrap();
        let rows = env
            .store
            .ledger()
            .handoffs_for(portal, &[contact])
            .await
            .unwrap();
        rows.first().is_some_and(|r| r.step == Step::SlaScheduled)
    })
    .await;
}

pub async fn poll_child<F, Fut>(secs: u64, what: &str, mut check: F)
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
