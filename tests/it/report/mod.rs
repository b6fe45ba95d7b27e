//! The scoreboard (`handoff report`, `/metrics` KPI gauges) and the weekly review page
//! (`handoff review`, `GET /review`, and the page in headless Chromium) over a seeded ledger.

mod browser;
mod cli;
mod replay;
mod review;
mod review_facts;
mod review_totals;
mod scoreboard;
mod simulated;
mod tune;
