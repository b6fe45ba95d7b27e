//! `handoff demo`: the whole product on one machine in about two minutes. It starts the HubSpot
//! sandbox, `serve` on the embedded SQLite store, creates the example leads of
//! `fixtures/contacts/` in the sandbox and sends the signed webhooks HubSpot would send. The
//! logs show decisions, owners, tasks; on an accelerated clock (SLAs of seconds) one rep
//! touches a lead in time, one qualifies a lead, one disqualifies, and the untouched leads walk
//! the escalation ladder (reminder, manager task, reassignment). It ends with the scoreboard.

pub mod env;
pub mod secrets;
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
    tracing::info!(listen = %env.addr, sandbox = %env.sandbox.base_url, "demo started: sandbox and serve are up");
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

/// Creates the example contacts (and their companies) in the sandbox.
async fn create_leads(env: &DemoEnv, dir: &Path) -> anyhow::Result<Vec<i64>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut ids = Vec::new();
    for path in files {
        let c: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        let props = strings(&c["properties"]);
        let company = match c.get("company") {
            Some(co) if co.is_object() => Some(
                env.upsert_company(None, &strings(&co["properties"]))
                    .await?,
            ),
            _ => None,
        };
        ids.push(env.upsert_contact(None, &props, company.as_deref()).await?);
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

/// The scoreboard of everything the demo handed off.
async fn scoreboard(env: &DemoEnv) -> String {
    match env.store.handoffs_since(0).await {
        Ok(rows) => {
            let decisions = env.store.decision_counts_since(0).await.unwrap_or_default();
            let stats = env.stats().await.unwrap_or(Value::Null);
            summary(&rows, &decisions, &stats)
        }
        Err(err) => format!("could not read the ledger: {err}"),
    }
}

fn summary(
    rows: &[crate::store::ledger::HandoffRow],
    decisions: &[(String, i64)],
    stats: &Value,
) -> String {
    let touched = rows
        .iter()
        .filter(|r| r.first_touch_at_ms.is_some())
        .count();
    let met = rows.iter().filter(|r| r.sla_met == Some(1)).count();
    let escalations: i64 = rows.iter().map(|r| r.escalations).sum();
    let reassigned: i64 = rows.iter().map(|r| r.reassignments).sum();
    let accepted = rows
        .iter()
        .filter(|r| r.disposition.as_deref() == Some("accepted"))
        .count();
    let disposed = rows.iter().filter(|r| r.disposition.is_some()).count();
    let mut out = String::from("\nhandoff demo — scoreboard\n");
    for (outcome, n) in decisions {
        out.push_str(&format!("  decisions {outcome:<14} {n}\n"));
    }
    out.push_str(&format!("  handoffs                 {}\n", rows.len()));
    out.push_str(&format!("  touched / SLA met        {touched} / {met}\n"));
    out.push_str(&format!(
        "  accepted / dispositions  {accepted} / {disposed}\n"
    ));
    out.push_str(&format!("  escalations              {escalations}\n"));
    out.push_str(&format!("  reassignments            {reassigned}\n"));
    out.push_str(&format!(
        "  HubSpot requests         {}\n",
        stats["requestsTotal"]
            .as_u64()
            .or(stats["requests_total"].as_u64())
            .unwrap_or(0)
    ));
    out
}
