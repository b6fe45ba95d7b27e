//! The world every pipeline load script runs in: the HubSpot sandbox (in this process, limited
//! to `--rate` requests per 10 s) and the real `handoff serve` binary as a child process on its
//! own SQLite store, so its peak memory is its own and it can be SIGKILLed.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use handoff::demo::service::ServiceMode;
use handoff::demo::setup::{PORTAL_ID, Speed};
use handoff::demo::{DemoEnv, DemoSecrets, EnvOptions, LeadTemplate, lead_templates};
use handoff::store::ledger::Step;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::task::JoinSet;

/// Arguments: `--name value` pairs after the mode.
pub fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The webhook secret of the load scripts' portal (the crash script signs from its own tasks).
const WEBHOOK_SECRET: &str = "pipeline-bench-webhook-secret";

pub struct World {
    pub env: DemoEnv,
    /// Holds the store and logs until the run ends.
    _dir: tempfile::TempDir,
    pub http: reqwest::Client,
    pub sandbox: String,
    pub webhook: String,
    next_event: i64,
}

/// SLAs far away: only handoffs spend requests during a run.
fn slow_sla() -> Speed {
    Speed {
        first_touch_s: 86_400,
        reassign_after_s: 3_600,
        close_loop_s: 172_800,
    }
}

impl World {
    /// Starts the sandbox and `serve` with the shipped defaults plus `extra` TOML.
    pub async fn start(extra: &str) -> anyhow::Result<Self> {
        Self::start_with(extra, false).await
    }

    /// [`World::start`], the sandbox playing Slack and `serve` alerting there when `slack`.
    pub async fn start_with(extra: &str, slack: bool) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let options = EnvOptions {
            speed: slow_sla(),
            seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/sandbox").into()),
            requests_per_10s: u32::try_from(arg("--rate", 110))?,
            log_format: "json",
            extra_settings: format!("[pipeline]\nbatch_window_ms = 200\n{extra}"),
            service: ServiceMode::Binary(env!("CARGO_BIN_EXE_handoff").into()),
            secrets: DemoSecrets {
                webhook_secret: SecretString::from(WEBHOOK_SECRET),
                ..DemoSecrets::default()
            },
            stepped: false,
            slack,
            slack_without_account: Vec::new(),
        };
        let env = DemoEnv::start(dir.path(), options).await?;
        let sandbox = env.sandbox.base_url.clone();
        let webhook = format!("http://{}/webhooks/hubspot", env.addr);
        Ok(Self {
            env,
            _dir: dir,
            http: reqwest::Client::new(),
            sandbox,
            webhook,
            next_event: 1,
        })
    }

    /// Creates `n` contacts in the sandbox, cycling through the example leads of
    /// `fixtures/contacts/` (each with a unique email); returns their ids.
    pub async fn create_contacts(&self, n: usize) -> anyhow::Result<Vec<i64>> {
        let templates = lead_templates(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/contacts"
        )))?;
        let mut companies = Vec::new();
        for t in &templates {
            companies.push(match &t.company {
                Some(co) => Some(
                    self.control_post("companies", &json!({ "properties": co }))
                        .await?,
                ),
                None => None,
            });
        }
        let mut set = JoinSet::new();
        let mut ids = vec![0i64; n];
        let mut next = 0usize;
        while next < n || !set.is_empty() {
            while next < n && set.len() < 16 {
                let k = next % templates.len();
                let body = contact_body(&templates[k], companies[k].as_ref(), next);
                let (http, url) = (
                    self.http.clone(),
                    format!("{}/_sandbox/contacts", self.sandbox),
                );
                let i = next;
                set.spawn(async move {
                    let v: Value = http
                        .post(url)
                        .json(&body)
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    anyhow::Ok((i, id_of(&v)))
                });
                next += 1;
            }
            if let Some(done) = set.join_next().await {
                let (i, id) = done??;
                ids[i] = id.ok_or_else(|| anyhow::anyhow!("sandbox answered without an id"))?;
            }
        }
        Ok(ids)
    }

    async fn control_post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let url = format!("{}/_sandbox/{path}", self.sandbox);
        Ok(self
            .http
            .post(url)
            .json(body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// One webhook event as HubSpot sends it.
    pub fn event(&mut self, subscription_type: &str, contact_id: i64, extra: Value) -> Value {
        self.next_event += 1;
        let mut e = json!({
            "eventId": self.next_event, "subscriptionId": 4001, "portalId": PORTAL_ID,
            "appId": 54321, "occurredAt": jiff::Timestamp::now().as_millisecond(),
            "subscriptionType": subscription_type, "attemptNumber": 0,
            "objectId": contact_id, "changeSource": "CRM",
        });
        if let (Some(e), Some(extra)) = (e.as_object_mut(), extra.as_object()) {
            e.extend(extra.clone());
        }
        e
    }

    /// Posts a signed (v3) delivery; the HTTP status, or `None` when the service did not
    /// answer (it was being killed) — HubSpot would retry that delivery.
    pub async fn deliver(&self, events: &[Value]) -> Option<u16> {
        deliver_to(&self.http, &self.webhook, events).await
    }

    /// Sends a creation event for each of `ids`, in deliveries of 100 as HubSpot does; every
    /// delivery must be answered 200.
    pub async fn deliver_creations(&mut self, ids: &[i64]) -> anyhow::Result<()> {
        for chunk in ids.chunks(100) {
            let events: Vec<Value> = chunk
                .iter()
                .map(|id| self.event("contact.creation", *id, json!({})))
                .collect();
            let status = self.deliver(&events).await;
            anyhow::ensure!(status == Some(200), "delivery answered {status:?}");
        }
        Ok(())
    }

    /// Sandbox request statistics.
    pub async fn stats(&self) -> anyhow::Result<Value> {
        let url = format!("{}/_sandbox/stats", self.sandbox);
        Ok(self
            .http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Every task in the sandbox.
    pub async fn tasks(&self) -> anyhow::Result<Vec<Value>> {
        let url = format!("{}/_sandbox/tasks", self.sandbox);
        let v: Value = self
            .http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(match v {
            Value::Array(items) => items,
            other => other["results"].as_array().cloned().unwrap_or_default(),
        })
    }

    /// Where the pipeline stands: decisions by outcome and handoffs by step.
    pub async fn progress(&self) -> anyhow::Result<Progress> {
        let decisions: i64 = self
            .env
            .store
            .kpis()
            .decision_counts_since(0)
            .await?
            .iter()
            .map(|(_, n)| n)
            .sum();
        let mut steps = BTreeMap::new();
        for r in self.env.store.ledger().handoffs_since(0).await? {
            *steps.entry(r.step.as_str()).or_insert(0usize) += 1;
        }
        Ok(Progress { decisions, steps })
    }

    /// Waits until `contacts` distinct contacts are decided and every handoff finished its
    /// steps; returns how long that took from `since`.
    pub async fn until_settled(
        &self,
        contacts: usize,
        since: Instant,
        limit: Duration,
    ) -> anyhow::Result<Duration> {
        let mut last = String::new();
        loop {
            let p = self.progress().await?;
            let line = p.to_string();
            if line != last {
                eprintln!("  {:>6.1}s {line}", since.elapsed().as_secs_f64());
                last = line;
            }
            if p.settled(contacts) {
                return Ok(since.elapsed());
            }
            if since.elapsed() > limit {
                anyhow::bail!("not settled after {limit:?}: {p}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl World {
    /// Waits until no event job is waiting or running (every acknowledged event handled).
    pub async fn until_drained(&self, since: Instant, limit: Duration) -> anyhow::Result<Duration> {
        loop {
            let open: i64 = self
                .env
                .store
                .queue()
                .depth(jiff::Timestamp::now().as_millisecond())
                .await?
                .iter()
                .filter(|d| d.lane == "events" && d.status != "done")
                .map(|d| d.jobs)
                .sum();
            if open == 0 {
                return Ok(since.elapsed());
            }
            if since.elapsed() > limit {
                anyhow::bail!("{open} event jobs still open after {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

pub struct Progress {
    pub decisions: i64,
    pub steps: BTreeMap<&'static str, usize>,
}

impl Progress {
    pub fn handoffs(&self) -> usize {
        self.steps.values().sum()
    }

    fn settled(&self, contacts: usize) -> bool {
        usize::try_from(self.decisions).unwrap_or(0) >= contacts
            && self.handoffs()
                == self
                    .steps
                    .get(Step::SlaScheduled.as_str())
                    .copied()
                    .unwrap_or(0)
    }
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "decisions {} handoffs {} {:?}",
            self.decisions,
            self.handoffs(),
            self.steps
        )
    }
}

pub async fn deliver_to(http: &reqwest::Client, url: &str, events: &[Value]) -> Option<u16> {
    let body = serde_json::to_vec(events).ok()?;
    let ts = jiff::Timestamp::now().as_millisecond().to_string();
    let sig = handoff::hubspot::signature::sign_v3(
        &SecretString::from(WEBHOOK_SECRET),
        "POST",
        url,
        &body,
        &ts,
    );
    let resp = http
        .post(url)
        .header("content-type", "application/json")
        .header("X-HubSpot-Signature-v3", sig)
        .header("X-HubSpot-Request-Timestamp", ts)
        .body(body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    Some(resp.status().as_u16())
}

fn contact_body(t: &LeadTemplate, company: Option<&Value>, i: usize) -> Value {
    let mut props = t.properties.clone();
    if let Some(email) = props["email"].as_str().map(str::to_owned) {
        let (user, domain) = email.split_once('@').unwrap_or((&email, "example.com"));
        props["email"] = json!(format!("{user}+{i}@{domain}"));
    }
    let mut body = json!({ "properties": props });
    if let Some(id) = company.and_then(|c| {
        c["id"]
            .as_str()
            .map(str::to_owned)
            .or(c["id"].as_i64().map(|n| n.to_string()))
    }) {
        body["companyId"] = json!(id);
    }
    body
}

fn id_of(v: &Value) -> Option<i64> {
    v["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .or(v["id"].as_i64())
}

/// Percentile (nearest rank) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds since the epoch of an ISO-8601 time.
pub fn iso_ms(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}
