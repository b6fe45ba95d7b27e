//! The weekly review (`handoff review`, `GET /review` on the admin listener): one portal's
//! ISO week with its change from the week before and a trend over the weeks before it, as one
//! self-contained HTML page. Reads only.
//!
//! - `week.rs`: ISO weeks in the portal's time zone (`2026-W49`);
//! - `model.rs`, `routing.rs`, `metric.rs`: the figures, computed without I/O from ledger rows
//!   (the KPIs are `Kpis::compute`, the scoreboard's one definition of each);
//! - `page.rs`, `scoreboard.rs`, `tables.rs`, `slack.rs`, `chart.rs`, `review.css`: the page,
//!   with maud (HTML templates checked at compile time and escaped by default) and
//!   hand-drawn SVG; the Slack section only for a portal that uses Slack alerts;
//! - `trend.rs`: the trend weeks' figures from totals the store sums by week (the rows of
//!   only the reviewed week leave the store);
//! - this file: loading (one store query per kind of figure; the hooks and the
//!   rows on two connections at once) and the rules that
//!   pick the portal, the week and how many weeks.
//!
//! Two parts of the page come from the tuning report (`ReviewHooks`): the fallbacks per pool
//! and the tuning section. Without them the page says they are not available.

use handoff_ids::PortalId;
mod chart;
mod metric;
mod model;
mod page;
mod routing;
mod scoreboard;
mod slack;
mod tables;
mod trend;
mod week;

use std::collections::BTreeMap;

pub use model::{Pipeline, Reason, Review, ReviewRows, Segment, Setup, WeekFigures};
pub use routing::{MemberShare, PoolHealth, RepMisses, Routing};
pub use week::{IsoWeek, Week};

use super::ReportError;
use super::board::LedgerRows;
use crate::engine::{Playbook, Roster};
use crate::store::Store;

/// Weeks of trend when not asked otherwise.
pub const DEFAULT_WEEKS: usize = 12;
/// The most weeks one page shows (two years).
pub const MAX_WEEKS: usize = 104;

/// What the tuning report (`report::tune`) adds to the page. Both are optional: a ledger
/// without decision facts has neither, and the page says so instead of showing a number.
#[derive(Debug, Clone, Default)]
pub struct ReviewHooks {
    /// Leads that fell through each pool to the next step of the fallback chain, in the
    /// reviewed week, by pool name.
    pub pool_fallbacks: Option<BTreeMap<String, u64>>,
    /// The tuning section, rendered; the page's last section.
    pub tuning: Option<maud::Markup>,
}

/// Which review: a portal, a week and how many weeks of trend end with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRequest {
    pub portal_id: PortalId,
    /// The portal's IANA time zone, in which weeks start on Monday 00:00.
    pub time_zone: String,
    pub week: IsoWeek,
    pub weeks: usize,
}

/// `--weeks N`: a whole number from 1 to [`MAX_WEEKS`].
pub fn parse_weeks(text: &str) -> Result<usize, ReportError> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_WEEKS).contains(n))
        .ok_or_else(|| ReportError::Weeks(text.to_owned()))
}

/// The portal a review is of: `asked` when it is one of the `configured` portals (id, time
/// zone), else the only configured one; several or none without `asked` is an error.
pub fn pick_portal(
    configured: &[(PortalId, String)],
    asked: Option<PortalId>,
) -> Result<(PortalId, String), ReportError> {
    let ids = || {
        configured
            .iter()
            .map(|(id, _)| id.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (asked, configured) {
        (Some(id), _) => configured
            .iter()
            .find(|(p, _)| *p == id)
            .cloned()
            .ok_or_else(|| {
                ReportError::Portal(format!(
                    "portal {id} is not configured ([[hubspot.portals]]: {})",
                    if configured.is_empty() {
                        "none".into()
                    } else {
                        ids()
                    }
                ))
            }),
        (None, [one]) => Ok(one.clone()),
        (None, []) => Err(ReportError::Portal(
            "no portal is configured ([[hubspot.portals]]): the review is of one portal".into(),
        )),
        (None, _) => Err(ReportError::Portal(format!(
            "several portals are configured ({}): give --portal P",
            ids()
        ))),
    }
}

impl ReviewRequest {
    /// A request for `week` (default: the week `now_ms` falls in), refused when the week has
    /// not started by `now_ms` or the zone is unknown.
    pub fn new(
        (portal_id, time_zone): (PortalId, String),
        week: Option<IsoWeek>,
        weeks: usize,
        now_ms: i64,
    ) -> Result<Self, ReportError> {
        let tz = jiff::tz::TimeZone::get(&time_zone).map_err(|_| {
            ReportError::Portal(format!(
                "time zone {time_zone:?} of portal {portal_id} is unknown"
            ))
        })?;
        let week = week.unwrap_or_else(|| IsoWeek::containing(now_ms, &tz));
        if week.bounds_ms(&tz).0 > now_ms {
            return Err(ReportError::FutureWeek(week.to_string()));
        }
        Ok(Self {
            portal_id,
            time_zone,
            week,
            weeks: weeks.clamp(1, MAX_WEEKS),
        })
    }

    /// The weeks of the page, oldest first; the last is the reviewed week.
    pub fn weeks(&self) -> Vec<Week> {
        let tz = jiff::tz::TimeZone::get(&self.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        self.week
            .back(self.weeks)
            .into_iter()
            .map(|w| Week::iso(w, &tz))
            .collect()
    }
}

/// Loads what the review of `request` reads, as of `now_ms`: the weeks before the reviewed
/// one as totals the store computes (`trend.rs`), the reviewed week as rows; one query at a
/// time, so a review holds one reader connection and leaves the rest of the pool to the
/// pipeline.
pub async fn load(
    store: &Store,
    request: &ReviewRequest,
    now_ms: i64,
) -> Result<ReviewRows, ReportError> {
    let kpis = store.kpis();
    let portal = request.portal_id;
    let mut weeks = request.weeks();
    let Some(last) = weeks.pop() else {
        return Ok(ReviewRows::default());
    };
    let bounds: Vec<(i64, i64)> = weeks.iter().map(|w| (w.since_ms, w.until_ms)).collect();
    let totals = kpis.trend_totals(portal, &bounds, now_ms).await?;
    let rows = LedgerRows {
        handoffs: kpis
            .handoffs_between(portal, last.since_ms, last.until_ms)
            .await?,
        ready: kpis
            .ready_leads_between(portal, last.since_ms, last.until_ms)
            .await?,
        leads: kpis
            .lead_outcomes_between(portal, last.since_ms, last.until_ms)
            .await?,
    };
    let mut out = ReviewRows {
        earlier: trend::figures(&weeks, &totals),
        weeks: vec![(last.clone(), rows)],
        ..ReviewRows::default()
    };
    out.picks = kpis
        .pool_picks_between(portal, last.since_ms, last.until_ms)
        .await?;
    out.reassigned = kpis
        .reassigned_between(portal, last.since_ms, last.until_ms)
        .await?;
    out.overdue = kpis.loops_overdue(portal, now_ms).await?;
    out.slack = kpis
        .slack_counts(Some(portal), last.since_ms, last.until_ms)
        .await?;
    Ok(out)
}

/// The review page of `request`: loads, computes and renders.
pub async fn page(
    store: &Store,
    request: &ReviewRequest,
    rules: (&Playbook, &Roster),
    hooks: &ReviewHooks,
    now_ms: i64,
) -> Result<String, ReportError> {
    let rows = load(store, request, now_ms).await?;
    Ok(render(request, rules, &rows, hooks, now_ms))
}

/// The whole page as `handoff review` and `GET /review` show it: [`ledger_hooks`] and
/// [`load`] read at once, on two reader connections (neither waits for the other), then the
/// page is computed and rendered, as [`page`] with those hooks would.
pub async fn page_with_hooks(
    store: &Store,
    request: &ReviewRequest,
    rules: (&Playbook, &Roster),
    now_ms: i64,
) -> Result<String, ReportError> {
    let (hooks, rows) = tokio::try_join!(
        ledger_hooks(store, request, rules.0),
        load(store, request, now_ms)
    )?;
    Ok(render(request, rules, &rows, &hooks, now_ms))
}

fn render(
    request: &ReviewRequest,
    rules: (&Playbook, &Roster),
    rows: &ReviewRows,
    hooks: &ReviewHooks,
    now_ms: i64,
) -> String {
    let review = Review::build(
        rows,
        &Setup {
            portal_id: request.portal_id,
            time_zone: &request.time_zone,
            now_ms,
            playbook: rules.0,
            roster: rules.1,
            pool_fallbacks: hooks.pool_fallbacks.as_ref(),
        },
    );
    page::render(&review, rules.1, hooks)
}

/// What the decision facts add to the page: the reviewed week's fallbacks per pool (`None`
/// when a decision of the week was recorded without facts), and the tuning report over the
/// weeks the page shows (`None` when none of their leads has facts).
pub async fn ledger_hooks(
    store: &Store,
    request: &ReviewRequest,
    playbook: &Playbook,
) -> Result<ReviewHooks, ReportError> {
    let weeks = request.weeks();
    let (Some(first), Some(last)) = (weeks.first(), weeks.last()) else {
        return Ok(ReviewHooks::default());
    };
    let setup = super::tune::TuneSetup::of(playbook);
    let range = (first.since_ms, last.until_ms);
    let fallbacks = store
        .kpis()
        .pool_fallbacks_between(request.portal_id, last.since_ms, last.until_ms)
        .await?;
    let tuning = super::tune::load(store, request.portal_id, range, &setup).await?;
    let no_facts = tuning.leads == 0 && tuning.not_recorded > 0;
    Ok(ReviewHooks {
        pool_fallbacks: fallbacks,
        tuning: (!no_facts).then(|| super::tune::section(&tuning)),
    })
}

/// `review-62515-2026-W49.html`: the file name `handoff review` writes when not given one.
pub fn default_file_name(request: &ReviewRequest) -> String {
    format!("review-{}-{}.html", request.portal_id, request.week)
}

#[cfg(test)]
#[path = "page_tests.rs"]
mod page_tests;
