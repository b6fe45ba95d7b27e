//! `handoff demo`: the whole product on one machine in about two minutes. It starts the HubSpot
//! sandbox, `serve` on the embedded SQLite store, creates the example leads of
//! `fixtures/contacts/` in the sandbox and sends the signed webhooks HubSpot would send. The
//! logs show decisions, owners, tasks; on an accelerated clock (SLAs of seconds) one rep
//! touches a lead in time, one qualifies a lead, one disqualifies, and the untouched leads walk
//! the escalation ladder (reminder, manager task, reassignment). It ends with the scoreboard.

pub mod env;
pub mod secrets;
pub mod service;
pub mod setup;

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

pub use env::{DemoEnv, EnvOptions};
pub use secrets::{DemoAuth, DemoSecrets};

/// What the demo does, tunable for tests.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub contacts_dir: std::path::PathBuf,
    /// How long the accelerated clock runs before the scoreboard, seconds.
    pub run_s: u64,
    pub env: EnvOptions,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            contacts_dir: "fixtures/contacts".into(),
            run_s: 60,
            env: EnvOptions::default(),
        }
    }
}

/// Runs the demo in `dir` and returns the scoreboard text.
pub async fn run(dir: &Path, options: DemoOptions) -> anyhow::Result<String> {
    let env = DemoEnv::start(dir, options.env.clone()).await?;
    tracing::info!(listen = %env.addr, admin = %env.admin_addr, sandbox = %env.sandbox.base_url, "demo started: sandbox and serve are up");
    let leads = create_leads(&env, &options.contacts_dir).await?;
    let events: Vec<Value> = leads
        .iter()
        .map(|id| env.event("contact.creation", *id, json!({ "changeFlag": "NEW" })))
        .collect();
    let status = env.deliver(&events).await?;
    tracing::info!(
        leads = leads.len(),
        status,
        "demo: HubSpot sent the contact.creation webhooks"
    );
    // A redelivery, as HubSpot does after a timeout: harmless.
    env.deliver(&events).await?;
    // Wait for the handoffs, then act like sales on the first three.
    let mut handed: Vec<i64> = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        handed = env
            .store
            .handoffs_since(0)
            .await?
            .iter()
            .map(|r| r.contact_id)
            .collect();
        if handed.len() >= 3 {
            break;
        }
    }
    let now = jiff::Timestamp::now().as_millisecond().to_string();
    if let Some(id) = handed.first() {
        tracing::info!(contact_id = id, "demo: a rep calls the first lead in time");
        env.change(*id, &json!({ "hs_last_sales_activity_timestamp": now }))
            .await?;
    }
    if let Some(id) = handed.get(1) {
        tracing::info!(contact_id = id, "demo: a rep qualifies the second lead");
        env.change(
            *id,
            &json!({ "hs_lead_status": "CONNECTED", "recent_deal_amount": "24000" }),
        )
        .await?;
    }
    if let Some(id) = handed.get(2) {
        tracing::info!(contact_id = id, "demo: a rep disqualifies the third lead");
        env.change(*id, &json!({ "hs_lead_status": "UNQUALIFIED", "hs_lead_disqualification_reason": "no budget this year" }))
            .await?;
    }
    tracing::info!(
        run_s = options.run_s,
        "demo: the other leads wait — watch the SLA ladder"
    );
    tokio::time::sleep(Duration::from_secs(options.run_s)).await;
    let board = scoreboard(&env).await;
    env.stop().await;
    Ok(board)
}

/// An example lead of `fixtures/contacts/`: its properties and its company's, as strings.
#[derive(Debug, Clone)]
pub struct LeadTemplate {
    pub name: String,
    pub properties: Value,
    pub company: Option<Value>,
}

/// The example leads of `dir`, in file-name order.
pub fn lead_templates(dir: &Path) -> anyhow::Result<Vec<LeadTemplate>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let c: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        out.push(LeadTemplate {
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            properties: strings(&c["properties"]),
            company: c
                .get("company")
                .filter(|co| co.is_object())
                .map(|co| strings(&co["properties"])),
        });
    }
    Ok(out)
}

/// Creates the example contacts (and their companies) in the sandbox.
async fn create_leads(env: &DemoEnv, dir: &Path) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::new();
    for t in lead_templates(dir)? {
        let company = match &t.company {
            Some(co) => Some(env.upsert_company(None, co).await?),
            None => None,
        };
        ids.push(
            env.upsert_contact(None, &t.properties, company.as_deref())
                .await?,
        );
    }
    Ok(ids)
}

/// Keeps the non-null properties, as strings (HubSpot's shape).
fn strings(v: &Value) -> Value {
    let map: serde_json::Map<String, Value> = v
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k.clone(), json!(s))),
            Value::Number(n) => Some((k.clone(), json!(n.to_string()))),
            Value::Bool(b) => Some((k.clone(), json!(b.to_string()))),
            _ => None,
        })
        .collect();
    Value::Object(map)
}

/// The scoreboard of the demo's day — the same one `handoff report` prints — and what it cost
/// in HubSpot requests.
async fn scoreboard(env: &DemoEnv) -> String {
    let now = jiff::Timestamp::now().as_millisecond();
    let board = match crate::report::Window::parse("1d") {
        Ok(window) => crate::report::scoreboard(&env.store, &window, None, now)
            .await
            .map(|b| crate::report::render(&b, crate::report::Format::Table))
            .unwrap_or_else(|err| format!("could not read the ledger: {err}")),
        Err(err) => err.to_string(),
    };
    let stats = env.stats().await.unwrap_or(Value::Null);
    format!(
        "\n{board}\nHubSpot requests spent: {} (429s: {})\n",
        stats["requests"].as_u64().unwrap_or(0),
        stats["rateLimited"].as_u64().unwrap_or(0)
    )
}
