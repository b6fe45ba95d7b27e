//! The scoreboard (`handoff report`, `/metrics` KPI gauges) and the weekly review page
//! (`handoff review`, `GET /review`, and the page in headless Chromium) over a seeded ledger;
//! time to accept and the Slack alerts' figures in both (`slack_kpis`).

mod browser;
mod cli;
mod replay;
mod review;
mod review_facts;
mod review_totals;
mod scoreboard;
mod simulated;
mod slack_kpis;
mod tune;
mod tune_leads;
