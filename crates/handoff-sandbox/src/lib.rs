//! `handoff sandbox`: a local HubSpot-compatible server for development, tests, benchmarks and
//! the demo — the far end of the pipe (hubspot client → **HubSpot**), played locally. The crate
//! imports nothing of the service, not even the CRM client's paths or parsers: a stand-in that
//! shared the client's code would agree with its mistakes (docs/architecture.md "Crates").
//!
//! It answers exactly the endpoints handoff's CRM client calls, on both API versions
//! (`/crm/v3/…` and `/crm/…/2026-09/…`, each in its own batch shape; docs/hubspot.md
//! "Date-versioned API and write validation"), in HubSpot's shapes (docs/hubspot.md "CRM objects"):
//! contacts (get, batch read/update, search), companies (batch read), contact → company
//! associations (batch read), tasks (batch create/read, search), owners (paged), CRM users with
//! their availability (paged, `users.rs`), sales sequences (enroll, a contact's enrollment, one
//! sequence; `sequences.rs`, docs/hubspot.md "Sales sequences (first touch)"), Leads, contact and
//! company property definitions and groups (`properties.rs`), `POST /oauth/v3/token`, a token's
//! scopes (access-token-info, introspection; `access.rs`) and the Webhooks Journal (subscriptions,
//! journal reads). Around them sit HubSpot's behaviours that
//! handoff must survive: bearer auth with 401 bodies, the rolling burst limit with its headers
//! and 429 bodies, daily and search limits, merged contact ids, and injected faults (5xx, 429
//! storms, latency, daily exhaustion) that are deterministic given a seed.
//!
//! A control API under `/_sandbox/` (no auth) lets tests, the demo and benchmarks create leads,
//! touch or merge contacts, complete tasks, change faults and limits at run time, read stats,
//! take scopes away, remove or change owners and properties (`control_portal.rs`), require
//! properties as a portal's admins would (`validation.rs`, HubSpot's 2026-09 write
//! validation), and reset to the seed. Files: `state.rs` (records), `seed.rs` (fixtures),
//! `routes/` (one file per resource), `gate.rs` (auth, limits, faults per request), `ratelimit.rs`,
//! `faults.rs`, `stats.rs`, `owners.rs`, `control.rs` + `views.rs` (control API), `journal.rs`
//! (the Webhooks Journal, fed from contact changes). HubSpot's other side, the signed webhook
//! delivery, is [`sign_v3`] (`signing.rs`), which the load generator (`src/bin/loadgen.rs`,
//! `handoff-loadgen`) posts with.
//!
//! It also plays Slack (`slack/`, docs/slack.md "The stand-in"): the Web API methods handoff's
//! Slack client calls under `/api/` (`users.lookupByEmail`, `conversations.open`,
//! `chat.postMessage`, `chat.update`) with the users derived from the owners, Slack's error and
//! 429 shapes, injected faults and a per-channel pace, every message kept for tests and the demo,
//! and `POST /_sandbox/slack/click`, which sends handoff a click signed as Slack signs one. Like
//! the HubSpot side it imports nothing of the service: `handoff-slack` is a dev-dependency, for
//! the tests that prove the two compatible (`tests/slack/`).
//!
//! Items are `pub(crate)` unless the service or its tests use them across the crate edge.

#![warn(unreachable_pub)]

mod access;
mod config;
mod control;
mod control_portal;
mod error;
mod faults;
mod gate;
mod journal;
mod leads;
mod owners;
mod properties;
mod ratelimit;
mod routes;
mod seed;
mod sequences;
mod signing;
mod slack;
mod state;
mod stats;
mod users;
mod validation;
mod views;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use access::Access;
pub use config::{FaultConfig, RateLimit, SandboxConfig};
pub use control_portal::OwnerPatch;
pub use error::SandboxError;
pub use signing::{SignError, sign_v3};
pub use slack::{
    ChannelRate, ClickAction, ClickError, ClickOutcome, MessageRef, SlackAnswer, SlackClick,
    SlackConfig, SlackFault, SlackMessage, sign_slack_v0,
};
pub use stats::{SlackStats, Stats};
pub use views::ContactInput;

use faults::Faults;
use gate::Gate;
use ratelimit::Limiter;
use state::Crm;

/// A running sandbox's state; cheap to clone. Tests use it for assertions and set-up, the
/// control API calls the same methods.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Shared>,
}

struct Shared {
    config: SandboxConfig,
    /// The seeded CRM, restored by a reset.
    seeded: Crm,
    crm: Mutex<Crm>,
    gate: Mutex<Gate>,
    /// Webhooks Journal subscriptions and files (`journal.rs`).
    journal: Mutex<journal::Journal>,
    /// The Slack stand-in (`slack/`).
    slack: Mutex<slack::Slack>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Sandbox {
    /// Validates `config` and loads the seed.
    pub fn new(config: SandboxConfig) -> Result<Self, SandboxError> {
        config
            .rate_limit
            .validate()
            .and_then(|()| config.faults.validate())
            .and_then(|()| config.slack.validate())
            .map_err(SandboxError::Config)?;
        let started = state::now_ms();
        let seeded = match &config.seed_dir {
            Some(dir) => seed::load(dir, started)?,
            None => Crm::new(started),
        };
        let gate = Gate::new(
            config.tokens.clone(),
            Limiter::new(config.rate_limit.clone()),
            Faults::new(config.faults.clone(), Instant::now()),
        );
        Ok(Self {
            inner: Arc::new(Shared {
                crm: Mutex::new(seeded.clone()),
                seeded,
                gate: Mutex::new(gate),
                journal: Mutex::default(),
                slack: Mutex::new(slack::Slack::new(&config.slack, Instant::now())),
                config,
            }),
        })
    }

    pub(crate) fn crm(&self) -> MutexGuard<'_, Crm> {
        lock(&self.inner.crm)
    }

    pub(crate) fn gate(&self) -> MutexGuard<'_, Gate> {
        lock(&self.inner.gate)
    }

    pub(crate) fn journal(&self) -> MutexGuard<'_, journal::Journal> {
        lock(&self.inner.journal)
    }

    pub(crate) fn slack(&self) -> MutexGuard<'_, slack::Slack> {
        lock(&self.inner.slack)
    }

    pub(crate) fn config(&self) -> &SandboxConfig {
        &self.inner.config
    }

    /// Back to the start: the seeded records, the configured limits and faults, zero stats,
    /// empty windows, no issued tokens, no Slack messages.
    pub fn reset(&self) {
        *self.crm() = self.inner.seeded.clone();
        *self.journal() = journal::Journal::default();
        let cfg = &self.inner.config;
        *self.slack() = slack::Slack::new(&cfg.slack, Instant::now());
        *self.gate() = Gate::new(
            cfg.tokens.clone(),
            Limiter::new(cfg.rate_limit.clone()),
            Faults::new(cfg.faults.clone(), Instant::now()),
        );
    }

    /// Zero stats, nothing else changed (tests count the requests of one step).
    pub fn reset_stats(&self) {
        self.gate().stats = Stats::default();
        self.slack().stats = SlackStats::default();
    }

    /// Builds the router: HubSpot's routes behind the gate, Slack's under `/api/`, plus
    /// `/_sandbox/`.
    pub fn router(&self) -> Router {
        routes::router(self.clone())
            .merge(slack::api_router(self.clone()))
            .nest(
                "/_sandbox",
                control::router(self.clone())
                    .merge(leads::control(self.clone()))
                    .merge(validation::control(self.clone()))
                    .merge(control_portal::router(self.clone()))
                    .merge(slack::control_router(self.clone())),
            )
            .fallback(routes::unknown_route)
    }
}

/// Serves a sandbox built from `config` on `listener` until `shutdown` is cancelled.
pub async fn serve(
    config: SandboxConfig,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), SandboxError> {
    serve_sandbox(Sandbox::new(config)?, listener, shutdown).await
}

/// Serves an existing sandbox (so the caller keeps a handle for assertions).
pub(crate) async fn serve_sandbox(
    sandbox: Sandbox,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), SandboxError> {
    let listen = listener.local_addr()?;
    let (owners, companies, contacts) = sandbox.counts();
    let slack_base_url = format!("http://{listen}/api/");
    tracing::info!(listen = %listen, slack_base_url, owners, companies, contacts, "sandbox listening");
    axum::serve(listener, sandbox.router())
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    tracing::info!("sandbox stopped");
    Ok(())
}

/// A sandbox serving in the background, stopped when dropped.
pub struct RunningSandbox {
    /// `http://127.0.0.1:PORT`: the CRM client's `base_url`.
    pub base_url: String,
    /// `http://127.0.0.1:PORT/api/`: the Slack client's `base_url`.
    pub slack_base_url: String,
    /// The bound address.
    pub addr: SocketAddr,
    /// The state, for assertions and set-up.
    pub sandbox: Sandbox,
    shutdown: CancellationToken,
    task: Option<JoinHandle<Result<(), SandboxError>>>,
}

impl RunningSandbox {
    /// Stops serving and waits for the server to finish.
    pub async fn stop(mut self) -> Result<(), SandboxError> {
        self.shutdown.cancel();
        match self.task.take() {
            Some(task) => task
                .await
                .map_err(|e| SandboxError::Io(std::io::Error::other(e)))?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Binds `config.listen` (default `127.0.0.1:0`) and serves in a background task.
pub async fn spawn(config: SandboxConfig) -> Result<RunningSandbox, SandboxError> {
    let sandbox = Sandbox::new(config)?;
    let listener = TcpListener::bind(sandbox.config().listen).await?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve_sandbox(sandbox.clone(), listener, shutdown.clone()));
    Ok(RunningSandbox {
        base_url: format!("http://{addr}"),
        slack_base_url: format!("http://{addr}/api/"),
        addr,
        sandbox,
        shutdown,
        task: Some(task),
    })
}
