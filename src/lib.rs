//! handoff: predictable lead handoff from marketing to sales for HubSpot portals.
//!
//! HubSpot posts signed webhooks; handoff verifies them over the raw bytes, records every new
//! event durably (inbox + job queue, one transaction) before it answers 2xx, and later turns a
//! contact's events into a handoff: score, owner, task, SLA.
//!
//! # Layout
//! One straight pipe, one folder per stage. This package is the service; the stages whose
//! limits the compiler holds are crates of the workspace, re-exported here
//! (docs/architecture.md "Crates"): [`engine`] (`handoff-engine`), [`hubspot`]
//! (`handoff-hubspot`), [`slack`] (`handoff-slack`) and, with the default `demo` feature,
//! `sandbox` (`handoff-sandbox`).
//! - [`intake`]: the public HTTP routes (webhook, Slack clicks, health, metrics), the
//!   verified-webhook extractor, thin handlers.
//! - [`jobs`]: the queue's lanes, job kinds and payloads, shared by the stages that write jobs
//!   (intake, the journal backfill, the SLA ladder) and the worker that runs them.
//! - [`hubspot`] (crate): HubSpot's protocol: signature check (pure), event parsing, and the CRM
//!   client (batching, one rate budget per portal, auth, retries; `hubspot::client`).
//! - [`slack`] (crate): Slack's protocol for lead alerts: request signatures, clicks, Block Kit
//!   messages and the Web API client.
//! - [`engine`] (crate): the pure lead engine: playbooks, scoring, readiness, routing, business
//!   calendars, SLA ladder, dispositions, explanations. No I/O, clock or randomness inside.
//! - [`store`]: the `Store` handle and its parts (inbox, job queue, dead letters, handoff
//!   ledger, portal pauses, stored tokens, journal checkpoint) on SQLite (embedded default) or
//!   PostgreSQL (several replicas), with migrations.
//! - [`worker`]: the pipeline that turns events into handoffs (claim, batch, decide, write back,
//!   task, SLA ladder) and what keeps the queue healthy (lease sweeps, retention).
//! - [`report`]: KPIs from the ledger (`handoff report`, the `handoff_kpi_*` gauges) and a
//!   lead's stored history (`handoff explain --contact-id`). Reads only.
//! - [`config`]: one typed tree, layered loading, validation that reports every problem; a
//!   part's own sections and their checks are the part's (`hubspot::client::HubspotConfig`,
//!   `worker::settings`).
//! - [`metrics`] (the pipeline's, the KPI gauges, the journal's; the HubSpot client keeps its
//!   own in `hubspot::client::metrics`) and [`telemetry`]: what on-call sees.
//! - [`startup`]: builds the service (the one place parts are wired together, e.g. the
//!   store-backed OAuth token store the client is given) and serves a listener until shutdown.
//! - [`admin`]: operator tools behind the CLI and the admin routes (`admin::http`, served on
//!   their own listener): `explain`, `simulate`, the queue and dead letters, portal pauses.
//! - `sandbox` (crate, `demo` feature): a local HubSpot-compatible server (`handoff sandbox`)
//!   for development, tests, benchmarks and the demo: the CRM endpoints the client uses, rate
//!   limits, faults, control API.
//! - `demo` (`demo` feature): `handoff demo`: sandbox + serve + signed webhooks on an
//!   accelerated clock.
//! - `main.rs`: the CLI shell.

pub mod admin;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod intake;
pub mod jobs;
pub mod metrics;
pub mod report;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod worker;

pub use handoff_engine as engine;
pub use handoff_hubspot as hubspot;
#[cfg(feature = "demo")]
pub use handoff_sandbox as sandbox;
pub use handoff_slack as slack;
