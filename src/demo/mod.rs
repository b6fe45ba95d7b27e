//! `handoff demo`: the whole product on one machine in about a minute. It starts the HubSpot
//! sandbox, `serve` on the embedded SQLite store, and records twelve weeks of simulated history
//! into the store (`history`: generated leads decided by the engine with the shipped playbook,
//! and what sales did with them, on a simulated clock). Then the live part: it creates the
//! example leads of `fixtures/contacts/` in the sandbox and sends the signed webhooks HubSpot
//! would send. The logs show decisions, owners (by name), tasks; on an accelerated clock (SLAs
//! of seconds) one rep accepts a lead from handoff's Slack DM (the sandbox plays Slack too), one
//! qualifies a lead, one disqualifies, and the untouched leads walk the escalation ladder
//! (reminder, manager task, reassignment; a re-ping in the owner's DM thread and the manager's
//! DM in Slack). It ends
//! with the scoreboard of the live run, one line per lead, the weekly review page of the
//! twelve weeks (written into the demo's directory, `page.rs`), and the `explain`, `report`
//! and `review` commands that open the store it keeps.

pub mod data;
pub mod env;
pub mod history;
pub mod page;
pub mod secrets;
pub mod service;
pub mod setup;
pub mod slack;
pub mod summary;

use handoff_ids::ContactId;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

pub use env::{DemoEnv, EnvOptions};
pub use secrets::{DemoAuth, DemoSecrets};
pub use summary::DemoLead;

/// What the demo does, tunable for tests.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub contacts_dir: std::path::PathBuf,
    /// How long the accelerated clock runs before the scoreboard, seconds.
    pub run_s: u64,
    /// How a person runs this `handoff` (e.g. `target/release/handoff`), for the closing
    /// commands.
    pub command: String,
    pub env: EnvOptions,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            contacts_dir: "fixtures/contacts".into(),
            run_s: 60,
            command: "handoff".into(),
            env: EnvOptions::default(),
        }
    }
}

/// The directory the demo keeps its store and configuration in: `dir` when given (created if
/// missing, refused unless empty, so two runs never mix), else a new
/// `handoff-demo-YYYYMMDD-HHMMSS` under the system's temporary directory (outside any
/// repository).
pub fn workdir(dir: Option<PathBuf>, now: jiff::Timestamp) -> anyhow::Result<PathBuf> {
    if let Some(dir) = dir {
        std::fs::create_dir_all(&dir)?;
        if std::fs::read_dir(&dir)?.next().is_some() {
            anyhow::bail!(
                "{} is not empty: give a new or empty directory for the demo's store",
                dir.display()
            );
        }
        return Ok(dir);
    }
    let stamp = now.strftime("%Y%m%d-%H%M%S").to_string();
    let base = std::env::temp_dir();
    for n in 1..1000 {
        let name = match n {
            1 => format!("handoff-demo-{stamp}"),
            n => format!("handoff-demo-{stamp}-{n}"),
        };
        match std::fs::create_dir(base.join(&name)) {
            Ok(()) => return Ok(base.join(name)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        }
    }
    anyhow::bail!("no free handoff-demo directory under {}", base.display())
}

/// Runs the demo in `dir` and returns what it ends with: the scoreboard, the leads, and the
/// commands that open the store kept in `dir`.
pub async fn run(dir: &Path, options: DemoOptions) -> anyhow::Result<String> {
    let env = DemoEnv::start(dir, options.env.clone()).await?;
    tracing::info!(listen = %env.addr, admin = %env.admin_addr, sandbox = %env.sandbox.base_url, "demo started: sandbox and serve are up");
    let start = jiff::Timestamp::now();
    let history = page::record_history(&env, start).await?;
    tracing::info!(
        leads = history.leads,
        handoffs = history.handoffs,
        dispositions = history.dispositions,
        "demo: recorded 12 weeks of simulated history (decided by the engine, worked by sales on a simulated clock)"
    );
    let leads = create_leads(&env, &options.contacts_dir).await?;
    let events: Vec<Value> = leads
        .iter()
        .map(|l| {
            env.event(
                "contact.creation",
                l.contact_id.get(),
                json!({ "changeFlag": "NEW" }),
            )
        })
        .collect();
    let status = env.deliver(&events).await?;
    tracing::info!(
        leads = leads.len(),
        status,
        "demo: HubSpot sent the contact.creation webhooks"
    );
    // A redelivery, as HubSpot does after a timeout: harmless.
    env.deliver(&events).await?;
    act_like_sales(&env, start.as_millisecond()).await?;
    tracing::info!(
        run_s = options.run_s,
        "demo: the other leads wait — watch the SLA ladder"
    );
    tokio::time::sleep(Duration::from_secs(options.run_s)).await;
    let board = scoreboard(&env).await;
    let (table, picks) = summary::leads(&env, &leads).await?;
    let review = page::write_review(&env, dir, jiff::Timestamp::now()).await?;
    let next = summary::next_steps(dir, &env.config_dir, &options.command, &picks, &review);
    env.stop().await;
    Ok(format!("{board}\n{table}\n{next}"))
}

/// Waits for the handoffs made since `since_ms` (the live part's), then acts like sales on the
/// first three, a few seconds after their handoff (as a rep would, well within the accelerated
/// SLA): an Accept in the Slack DM, a qualification, a disqualification. The others walk the
/// ladder (re-pinged in Slack, escalated to their manager). The log names each lead's owner.
async fn act_like_sales(env: &DemoEnv, since_ms: i64) -> anyhow::Result<()> {
    let mut handed = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        handed = env.store.ledger().handoffs_since(since_ms).await?;
        if handed.len() >= 3 {
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let owner = |i: usize| {
        handed.get(i).map(|h| {
            (
                h.contact_id.get(),
                crate::report::owner_label(&env.roster, h.owner_id),
            )
        })
    };
    if let Some(first) = handed.first() {
        accept_in_slack(env, first, &owner_of(env, first)).await?;
    }
    if let Some((id, owner)) = owner(1) {
        tracing::info!(contact_id = id, owner = %owner, "demo: a rep qualifies the second lead");
        env.change(
            id,
            &json!({ "hs_lead_status": "CONNECTED", "recent_deal_amount": "24000" }),
        )
        .await?;
    }
    if let Some((id, owner)) = owner(2) {
        tracing::info!(contact_id = id, owner = %owner, "demo: a rep disqualifies the third lead");
        env.change(id, &json!({ "hs_lead_status": "UNQUALIFIED", "hs_lead_disqualification_reason": "no budget this year" }))
            .await?;
    }
    Ok(())
}

fn owner_of(env: &DemoEnv, h: &crate::store::ledger::HandoffRow) -> String {
    crate::report::owner_label(&env.roster, h.owner_id)
}

/// The first lead's owner finds handoff's DM in Slack and clicks **Accept**: the lead is
/// accepted and touched, its ladder stops, and the DM says who accepted it.
async fn accept_in_slack(
    env: &DemoEnv,
    h: &crate::store::ledger::HandoffRow,
    owner: &str,
) -> anyhow::Result<()> {
    // The stand-in's users and DMs follow the HubSpot owner ids.
    let (user, dm) = (format!("U{}", h.owner_id), format!("D{}", h.owner_id));
    let mut sent = None;
    for _ in 0..50 {
        let messages = env.slack_messages(Some(&dm)).await?;
        sent = messages.into_iter().find(|m| m["thread_ts"].is_null());
        if sent.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let Some(sent) = sent else {
        tracing::warn!(
            contact_id = h.contact_id.get(),
            "demo: no Slack DM arrived for the first lead"
        );
        return Ok(());
    };
    let text = sent["text"].as_str().unwrap_or_default();
    tracing::info!(contact_id = h.contact_id.get(), owner = %owner, slack_dm = %dm, text, "demo: the owner got a Slack DM with Accept, Not a fit and Reassign");
    let at = (
        sent["channel"].as_str().unwrap_or_default(),
        sent["ts"].as_str().unwrap_or_default(),
    );
    let status = env.slack_click(at, slack::Button::Accept, &user).await?;
    tracing::info!(contact_id = h.contact_id.get(), owner = %owner, status, "demo: the rep clicks Accept in Slack: the lead is accepted and its ladder stops");
    Ok(())
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
async fn create_leads(env: &DemoEnv, dir: &Path) -> anyhow::Result<Vec<DemoLead>> {
    let mut leads = Vec::new();
    for t in lead_templates(dir)? {
        let company = match &t.company {
            Some(co) => Some(env.upsert_company(None, co).await?),
            None => None,
        };
        let contact_id = env
            .upsert_contact(None, &t.properties, company.as_deref())
            .await?;
        // The sandbox's answer, parsed once: the demo never names contact 0.
        leads.push(DemoLead {
            contact_id: ContactId::try_from(contact_id)?,
            label: t.label(),
        });
    }
    Ok(leads)
}

impl LeadTemplate {
    /// `Anna Schmidt, Nordwerk Software GmbH`; the file name when the contact has no name.
    pub fn label(&self) -> String {
        let p = |k: &str| self.properties[k].as_str().unwrap_or("").trim().to_owned();
        let person = format!("{} {}", p("firstname"), p("lastname"))
            .trim()
            .to_owned();
        let who = if person.is_empty() {
            p("email")
        } else {
            person
        };
        let who = if who.is_empty() {
            self.name.clone()
        } else {
            who
        };
        match p("company") {
            c if c.is_empty() => who,
            c => format!("{who}, {c}"),
        }
    }
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

/// The scoreboard of the live run — the same one `handoff report --since 1h` prints; the
/// simulated history stops an hour before it (`page::HISTORY_GAP`) — and what it cost in
/// HubSpot requests.
async fn scoreboard(env: &DemoEnv) -> String {
    let now = jiff::Timestamp::now().as_millisecond();
    let board = match crate::report::Window::parse(summary::LIVE_WINDOW) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_keeps_its_store_in_a_new_directory_and_never_reuses_a_full_one() {
        let tmp = tempfile::tempdir().unwrap();
        let fresh = tmp.path().join("a/b");
        assert_eq!(
            workdir(Some(fresh.clone()), jiff::Timestamp::UNIX_EPOCH).unwrap(),
            fresh
        );
        assert!(fresh.is_dir());
        std::fs::write(fresh.join("handoff-demo.db"), "x").unwrap();
        let err = workdir(Some(fresh.clone()), jiff::Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(err.to_string().contains("is not empty"), "{err}");
    }

    #[test]
    fn a_lead_reads_as_person_and_company() {
        let t = |properties: Value| LeadTemplate {
            name: "file-stem".into(),
            properties,
            company: None,
        };
        let full = t(json!({ "firstname": "Anna", "lastname": "Schmidt", "company": "Nordwerk" }));
        assert_eq!(full.label(), "Anna Schmidt, Nordwerk");
        assert_eq!(t(json!({ "email": "a@b.test" })).label(), "a@b.test");
        assert_eq!(t(json!({})).label(), "file-stem");
    }
}
