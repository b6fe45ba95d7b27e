//! The scoreboard (`handoff report`, `/metrics` KPI gauges) over a seeded ledger.

mod cli;
mod scoreboard;
