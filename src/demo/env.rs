//! A running demo world: the HubSpot sandbox, `serve` on its own SQLite store pointed at it,
//! and helpers to act like HubSpot and like a sales rep — create a lead, send the signed
//! webhook HubSpot would send, touch or qualify a lead. The demo command and the end-to-end
//! tests both drive it; a test world steps `serve`'s worker on its own clock instead of waiting
//! for the worker's loop (`EnvOptions::stepped`).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::secrets::{DemoAuth, DemoSecrets};
use super::service::{ChildService, Service, ServiceMode};
use super::setup::{self, PORTAL_ID, Speed};
use crate::hubspot::client::{Clock, ManualClock};
use crate::sandbox::{self, RunningSandbox, SandboxConfig};
use crate::startup::{Application, Drive, Stepped};
use crate::store::Store;
use crate::worker::Ran;
use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

/// Options of a demo world.
#[derive(Debug, Clone)]
pub struct EnvOptions {
    pub speed: Speed,
    /// Seed directory of the sandbox (owners, companies, contacts).
    pub seed_dir: Option<std::path::PathBuf>,
    /// The sandbox's burst limit: requests per 10 s.
    pub requests_per_10s: u32,
    pub log_format: &'static str,
    /// TOML added as the last configuration layer (queue leases, batch sizes, ...).
    pub extra_settings: String,
    pub service: ServiceMode,
    /// The credentials; the sandbox accepts only these.
    pub secrets: DemoSecrets,
    /// In process only: `serve`'s worker runs no loop; the caller steps it
    /// ([`DemoEnv::run_due`]) on the world's own clock, which it moves ([`DemoEnv::advance`]).
    pub stepped: bool,
    /// The sandbox plays Slack too and `serve` sends its alerts there (`[alerts.slack]`).
    pub slack: bool,
    /// Playing Slack: the owners (HubSpot owner ids) who have no Slack account.
    pub slack_without_account: Vec<u64>,
}

impl Default for EnvOptions {
    fn default() -> Self {
        Self {
            speed: Speed::default(),
            seed_dir: Some("fixtures/sandbox".into()),
            requests_per_10s: 110,
            log_format: "pretty",
            extra_settings: String::new(),
            service: ServiceMode::InProcess,
            secrets: DemoSecrets::default(),
            stepped: false,
            slack: false,
            slack_without_account: Vec::new(),
        }
    }
}

pub struct DemoEnv {
    pub sandbox: RunningSandbox,
    pub addr: SocketAddr,
    /// The admin listener (loopback, no token).
    pub admin_addr: SocketAddr,
    pub store: Store,
    pub http: reqwest::Client,
    /// The configuration directory `serve` runs with; `handoff --config DIR` opens the same
    /// store afterwards (`explain`, `report`).
    pub config_dir: std::path::PathBuf,
    /// The roster `serve` routes to (owner names for the narration).
    pub roster: std::sync::Arc<crate::engine::Roster>,
    /// The playbook `serve` decides with (the review page is read against it).
    pub playbook: std::sync::Arc<crate::engine::Playbook>,
    service: Service,
    webhook_secret: SecretString,
    next_event_id: std::sync::atomic::AtomicI64,
    /// The worker and the clock, when the caller steps the worker.
    stepped: Option<(Stepped, Arc<ManualClock>)>,
}

/// The sandbox of a world: its seed and rate limit, accepting only the world's credentials
/// (so a miswired secret shows); playing Slack, its clicks go to `serve` at `addr`.
fn sandbox_config(options: &EnvOptions, addr: SocketAddr) -> SandboxConfig {
    let mut config = SandboxConfig {
        seed_dir: options.seed_dir.clone(),
        ..SandboxConfig::default()
    };
    if options.slack {
        let s = &options.secrets;
        config.slack.bot_token = Some(s.slack_bot_token.clone());
        config.slack.signing_secret = Some(s.slack_signing_secret.clone());
        config.slack.interactions_url = Some(format!("http://{addr}/slack/interactions"));
        config.slack.without_account = options.slack_without_account.clone();
    }
    match &options.secrets.auth {
        DemoAuth::PrivateApp { token } => config.tokens = vec![token.expose_secret().to_owned()],
        DemoAuth::OAuth { refresh_token, .. } => {
            config.refresh_tokens = vec![refresh_token.expose_secret().to_owned()];
        }
    }
    config.rate_limit.requests = options.requests_per_10s;
    config.rate_limit.interval_ms = 10_000;
    config
}

/// `serve` built in this process: on the system clock with its worker's loop, or, `stepped`,
/// on a clock of its own with the worker and the clock handed back (the start checks done).
async fn in_process(
    loaded: crate::config::LoadedConfig,
    stepped: bool,
) -> anyhow::Result<(Application, Option<(Stepped, Arc<ManualClock>)>)> {
    if !stepped {
        return Ok((Application::build(loaded).await?, None));
    }
    let clock = Arc::new(ManualClock::new(Timestamp::now()));
    let drive = Drive {
        clock: clock.clone(),
        worker_loop: false,
    };
    let app = Application::build_with(loaded, drive).await?;
    let worker = app.stepped();
    worker.start().await;
    Ok((app, Some((worker, clock))))
}

impl DemoEnv {
    /// Starts the sandbox and the service (store under `dir`).
    pub async fn start(dir: &Path, options: EnvOptions) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let sandbox = sandbox::spawn(sandbox_config(&options, addr)).await?;
        let mut extra = options.extra_settings.clone();
        if options.slack {
            let layer = setup::slack_layer(dir, &sandbox.slack_base_url, &options.secrets)?;
            extra = format!("{layer}\n{extra}");
        }
        let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let admin_addr = admin.local_addr()?;
        let public_url = format!("http://{addr}/webhooks/hubspot");
        let sources = setup::write(
            dir,
            &sandbox.base_url,
            &public_url,
            options.speed,
            options.log_format,
            &extra,
            &options.secrets,
        )
        .map_err(|r| anyhow::anyhow!("demo configuration: {r}"))?;
        let loaded = crate::config::load(&sources)
            .map_err(|r| anyhow::anyhow!("demo configuration: {r}"))?;
        let config_dir = sources.dir.clone().unwrap_or_else(|| dir.join("conf"));
        let roster = loaded.roster.clone();
        let playbook = loaded.playbook.clone();
        let mut stepped = None;
        let (service, store) = match &options.service {
            ServiceMode::InProcess => {
                let (app, worker) = in_process(loaded, options.stepped).await?;
                stepped = worker;
                let store = app.store().clone();
                (Service::in_process(app, listener, admin).await, store)
            }
            ServiceMode::Binary(binary) => {
                // The child binds the ports itself (and again after every restart).
                drop((listener, admin));
                let child = ChildService::start(
                    binary.clone(),
                    sources,
                    (addr, admin_addr),
                    dir.join("serve.log"),
                )
                .await?;
                let store = Store::connect(&loaded.settings.store).await?;
                (Service::Child(Box::new(child)), store)
            }
        };
        Ok(Self {
            sandbox,
            addr,
            admin_addr,
            store,
            http: reqwest::Client::new(),
            config_dir,
            roster,
            playbook,
            service,
            webhook_secret: options.secrets.webhook_secret.clone(),
            next_event_id: std::sync::atomic::AtomicI64::new(1),
            stepped,
        })
    }

    /// The world's time: its clock's when the worker is stepped, else the wall clock's.
    pub fn now(&self) -> Timestamp {
        match &self.stepped {
            Some((_, clock)) => clock.now(),
            None => Timestamp::now(),
        }
    }

    /// Moves the world's clock forward (a stepped world only).
    pub fn advance(&self, by: Duration) -> anyhow::Result<()> {
        let (_, clock) = self.stepped()?;
        clock.advance(by);
        Ok(())
    }

    /// One step of `serve`'s worker: every job due now, on every lane, run to its end.
    pub async fn run_due(&self) -> anyhow::Result<Ran> {
        let (worker, _) = self.stepped()?;
        Ok(worker.run_due().await)
    }

    fn stepped(&self) -> anyhow::Result<&(Stepped, Arc<ManualClock>)> {
        self.stepped
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the worker runs its own loop in this world"))
    }

    /// Creates (or updates) a contact in the sandbox; returns its id.
    pub async fn upsert_contact(
        &self,
        id: Option<&str>,
        properties: &Value,
        company_id: Option<&str>,
    ) -> anyhow::Result<i64> {
        let mut body = json!({ "properties": properties });
        if let Some(id) = id {
            body["id"] = json!(id);
        }
        if let Some(c) = company_id {
            body["companyId"] = json!(c);
        }
        let resp = self
            .control(reqwest::Method::POST, "contacts", Some(&body))
            .await?;
        let id = resp["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .or(resp["id"].as_i64());
        id.ok_or_else(|| anyhow::anyhow!("sandbox answered without an id: {resp}"))
    }

    /// Creates (or updates) a company in the sandbox; returns its id.
    pub async fn upsert_company(
        &self,
        id: Option<&str>,
        properties: &Value,
    ) -> anyhow::Result<String> {
        let mut body = json!({ "properties": properties });
        if let Some(id) = id {
            body["id"] = json!(id);
        }
        let resp = self
            .control(reqwest::Method::POST, "companies", Some(&body))
            .await?;
        Ok(resp["id"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| resp["id"].to_string()))
    }

    /// One webhook event as HubSpot sends it.
    pub fn event(&self, subscription_type: &str, contact_id: i64, extra: Value) -> Value {
        let id = self
            .next_event_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut e = json!({
            "eventId": id,
            "subscriptionId": 4001,
            "portalId": PORTAL_ID,
            "appId": 54321,
            "occurredAt": self.now().as_millisecond(),
            "subscriptionType": subscription_type,
            "attemptNumber": 0,
            "objectId": contact_id,
            "changeSource": "CRM",
        });
        if let (Some(e), Some(extra)) = (e.as_object_mut(), extra.as_object()) {
            e.extend(extra.clone());
        }
        e
    }

    /// Posts a signed (v3) delivery; returns the HTTP status.
    pub async fn deliver(&self, events: &[Value]) -> anyhow::Result<u16> {
        let body = serde_json::to_vec(events)?;
        let url = format!("http://{}/webhooks/hubspot", self.addr);
        let ts = jiff::Timestamp::now().as_millisecond().to_string();
        let sig =
            crate::hubspot::signature::sign_v3(&self.webhook_secret, "POST", &url, &body, &ts);
        let resp = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("X-HubSpot-Signature-v3", sig)
            .header("X-HubSpot-Request-Timestamp", ts)
            .body(body)
            .send()
            .await?;
        Ok(resp.status().as_u16())
    }

    /// Sets properties on a contact in the sandbox and sends the property-change events
    /// HubSpot would send for them.
    pub async fn change(&self, contact_id: i64, properties: &Value) -> anyhow::Result<u16> {
        let id = contact_id.to_string();
        self.upsert_contact(Some(&id), properties, None).await?;
        let events: Vec<Value> = properties
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                self.event(
                    "contact.propertyChange",
                    contact_id,
                    json!({ "propertyName": k, "propertyValue": v.as_str().unwrap_or_default() }),
                )
            })
            .collect();
        self.deliver(&events).await
    }

    /// Tasks the sandbox holds (optionally of one contact).
    pub async fn tasks(&self, contact_id: Option<i64>) -> anyhow::Result<Vec<Value>> {
        let path = match contact_id {
            Some(c) => format!("tasks?contactId={c}"),
            None => "tasks".to_string(),
        };
        let v = self.control(reqwest::Method::GET, &path, None).await?;
        Ok(match v {
            Value::Array(items) => items,
            other => other["results"].as_array().cloned().unwrap_or_default(),
        })
    }

    /// A contact as the sandbox holds it.
    pub async fn contact(&self, contact_id: i64) -> anyhow::Result<Value> {
        self.control(
            reqwest::Method::GET,
            &format!("contacts/{contact_id}"),
            None,
        )
        .await
    }

    /// The sandbox's request statistics.
    pub async fn stats(&self) -> anyhow::Result<Value> {
        self.control(reqwest::Method::GET, "stats", None).await
    }

    /// Sets the sandbox's injected faults (`PUT /_sandbox/faults`; `{}` clears them).
    pub async fn set_faults(&self, faults: &Value) -> anyhow::Result<Value> {
        self.control(reqwest::Method::PUT, "faults", Some(faults))
            .await
    }

    /// `serve` as a child process, when the world runs it that way (kill, restart, peak RSS).
    pub fn child(&mut self) -> anyhow::Result<&mut ChildService> {
        self.service
            .child()
            .ok_or_else(|| anyhow::anyhow!("serve runs in this process, not as a child"))
    }

    /// One call of the sandbox's control API (`/_sandbox/{path}`), its JSON answer.
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}/_sandbox/{path}", self.sandbox.base_url);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(body);
        }
        Ok(request.send().await?.error_for_status()?.json().await?)
    }

    /// Stops the service (draining) and the sandbox.
    pub async fn stop(self) {
        self.service.stop().await;
        self.store.close().await;
        let _ = self.sandbox.stop().await;
    }
}
