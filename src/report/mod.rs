//! Reports from the ledger, the end of the pipe: the seed scoreboard (`handoff report`), the
//! same KPIs as `handoff_kpi_*` gauges, one lead's stored history (`handoff explain
//! --contact-id`) and the weekly review page (`handoff review`, `review/`) and the tuning report
//! (`handoff tune`, `tune/`). Reads only: computing is pure (`kpi`, `board`, `slack`), loading
//! is a thin layer over the store's read queries.
//!
//! # KPI definitions
//! One definition each, the same in `handoff report`, the demo's scoreboard, the
//! `handoff_kpi_*` gauges, `handoff report --help` and the README. Over handoffs made in the
//! period (merged ones — a duplicate contact folded into one that kept its own handoff — are
//! counted apart and left out of every KPI):
//! - **leads** = each lead decided in the period once, by outcome: `handed_off` when any of its
//!   decisions found it ready, else its latest outcome (`leads.rs`); the decisions behind
//!   them are counted apart, since a lead is decided again on every change it reads;
//! - **lead acceptance** = accepted ÷ handoffs with a disposition;
//! - **time to accept** p50/p90 = disposition − handoff, accepted handoffs with a disposition
//!   time only, whichever channel accepted them (nearest rank); none when nothing was;
//! - **assignment coverage** = `handed_off` leads that have an owner in the ledger ÷
//!   `handed_off` leads (the same leads as above: `ready_leads_since` and `leads.rs` agree);
//! - **time to first touch** p50/p90 = first touch − handoff, touched handoffs only (nearest
//!   rank); none when nothing was touched ("no touches yet", never 0s);
//! - **SLA compliance** = touched before due ÷ handoffs with an SLA that were touched or are
//!   past due (untouched past due count as missed; untouched not yet due are pending);
//! - escalations and reassignments (sums), disposition mix (per outcome and reason), pipeline
//!   per accepted lead by source (sum and mean of deal amounts over accepted handoffs with one),
//!   handoffs open and closed.
//!
//! Where Slack alerts are used (`slack.rs`; an alert or click ever, or a handoff of the
//! period accepted in Slack), also: **accepted via** Slack button or HubSpot status (an
//! unrecorded channel is HubSpot), each ÷ accepted handoffs; and the **Slack alerts** created
//! in the period (sent, failed by reason, pending) and the clicks received in it (accept,
//! not a fit and reassign clicks that did what they say; refused ones by outcome; not yet
//! applied). Where they never were, nothing says anything about Slack.

mod board;
mod explanation;
#[cfg(test)]
mod fixtures;
mod gauges;
mod history;
mod kpi;
mod leads;
mod render;
pub mod review;
mod sheet;
mod slack;
pub mod tune;
mod window;

pub use board::{Group, GroupBy, LedgerRows, Scoreboard};
pub use gauges::{REFRESH_EVERY_MS, UNASSIGNED_GRACE_MS, refresh_gauges};
pub use history::History;
pub use kpi::{
    AcceptedVia, DispositionCount, FirstTouch, Kpis, Ratio, Sla, SourcePipeline, TimeToAccept,
    percentile,
};
pub use leads::{LeadCounts, outcome_per_lead};
pub use render::{Format, human_ms, render};
pub use slack::{CodeCount, SlackAlerts};
pub use window::Window;

use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0:?} is not a period: give a number and a unit, e.g. 30m, 24h, 7d or 2w")]
    Window(String),
    #[error(
        "{0:?} is not an ISO week: write it as 2026-W49 (a year, -W, a week number the year has)"
    )]
    Week(String),
    #[error("{0:?} is not a number of weeks: give a whole number from 1 to {max}", max = review::MAX_WEEKS)]
    Weeks(String),
    #[error("week {0} has not started yet")]
    FutureWeek(String),
    #[error("{0}")]
    Portal(String),
    #[error("the ledger has no decision or handoff for contact {contact_id} in portal {portal_id}")]
    UnknownLead {
        portal_id: handoff_ids::PortalId,
        contact_id: handoff_ids::ContactId,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `101 (Jonas Becker)`: an owner id with its roster name, or the bare id when the roster does
/// not know the owner. The form `explain` and the demo use for every owner they print: an
/// [`handoff_ids::OwnerId`], or an owner key as a report groups by it (text).
pub fn owner_label(roster: &crate::engine::Roster, id: impl std::fmt::Display) -> String {
    let id = id.to_string();
    match roster.owner(&id) {
        Some(o) if !o.owner.name.is_empty() => format!("{id} ({})", o.owner.name),
        _ => id,
    }
}

/// Loads what the scoreboard of `window` (ending at `now_ms`) reads.
pub async fn load_rows(
    store: &Store,
    window: &Window,
    now_ms: i64,
) -> Result<LedgerRows, ReportError> {
    let since = window.since_ms(now_ms);
    Ok(LedgerRows {
        handoffs: store.kpis().handoffs_since(since).await?,
        ready: store.kpis().ready_leads_since(since).await?,
        leads: store.kpis().lead_outcomes_since(since).await?,
    })
}

/// `handoff report`: the scoreboard of `window` back from `now_ms`, optionally by group.
pub async fn scoreboard(
    store: &Store,
    window: &Window,
    by: Option<GroupBy>,
    now_ms: i64,
) -> Result<Scoreboard, ReportError> {
    let rows = load_rows(store, window, now_ms).await?;
    let since = window.since_ms(now_ms);
    let slack = store.kpis().slack_counts(None, since, i64::MAX).await?;
    Ok(Scoreboard::build(&rows, window, by, now_ms).with_slack(&slack))
}
