//! The review as numbers, computed without I/O from rows already loaded: per week the
//! scoreboard's KPIs (`Kpis::compute`, the one definition `handoff report` uses), the reviewed
//! week by source, tier, team and owner, its disqualification and nurture reasons (Pareto) and
//! its routing health. A figure with nothing behind it is `None`, never a division by zero.

use handoff_ids::PortalId;
use std::collections::BTreeMap;

use serde::Serialize;

use super::routing::{Routing, RoutingInput};
use super::week::Week;
use crate::report::board::{self, Group, GroupBy, LedgerRows};
use crate::report::kpi::Kpis;
use crate::report::leads::LeadCounts;
use crate::report::slack::SlackAlerts;
use crate::store::ledger::{KpiHandoff, LoopOverdue, PoolPick, ReadyLead, Reassigned, SlackCounts};

/// What the ledger holds for a review, as loaded.
#[derive(Debug, Clone, Default)]
pub struct ReviewRows {
    /// The trend weeks' figures, totalled by the store (`review::trend`), oldest first: the
    /// page's weeks before those of `weeks`.
    pub earlier: Vec<WeekFigures>,
    /// Each week read as KPI rows, oldest first; the last is the reviewed week.
    pub weeks: Vec<(Week, LedgerRows)>,
    /// The reviewed week's pool picks.
    pub picks: Vec<PoolPick>,
    /// The reviewed week's reassigned handoffs.
    pub reassigned: Vec<Reassigned>,
    /// Open handoffs past their close-the-loop time, now, per owner.
    pub overdue: Vec<LoopOverdue>,
    /// The reviewed week's Slack alerts and clicks.
    pub slack: SlackCounts,
}

/// Deal amounts of the accepted handoffs that have one, over every source.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pipeline {
    pub deals: u64,
    pub sum: f64,
    /// `sum / deals`; `None` without deals.
    pub per_accepted: Option<f64>,
}

impl Pipeline {
    pub(super) fn of(k: &Kpis) -> Self {
        let deals: u64 = k.pipeline.iter().map(|p| p.deals).sum();
        let sum: f64 = k.pipeline.iter().map(|p| p.sum).sum();
        Self {
            deals,
            sum,
            per_accepted: (deals > 0).then(|| sum / deals as f64),
        }
    }
}

/// One week's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekFigures {
    pub week: Week,
    /// Leads decided in the week, each once.
    pub leads: LeadCounts,
    pub kpis: Kpis,
    pub pipeline: Pipeline,
}

/// One disqualification or nurture reason of the reviewed week, most frequent first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// `disqualified` or `nurture`.
    pub outcome: String,
    pub reason: String,
    pub count: u64,
    /// Share of all such reasons up to and including this one (the Pareto line), 0–1.
    pub cumulative: f64,
}

/// The reviewed week by one grouping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub by: GroupBy,
    /// Most handoffs first.
    pub groups: Vec<Group>,
}

/// Everything the page shows but the tuning report's parts (see `ReviewHooks`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    /// The IANA zone the weeks are cut in.
    pub time_zone: String,
    /// When the figures were read; SLAs due before it count as missed.
    pub now_ms: i64,
    /// Oldest first; the last is the reviewed week.
    pub weeks: Vec<WeekFigures>,
    pub segments: Vec<Segment>,
    pub reasons: Vec<Reason>,
    pub routing: Routing,
    /// The reviewed week's Slack alerts; `None` where the portal never used them (then no
    /// week's KPIs say anything about Slack either).
    pub slack: Option<SlackAlerts>,
}

/// What the review reads besides the ledger.
#[derive(Debug, Clone, Copy)]
pub struct Setup<'a> {
    pub portal_id: PortalId,
    pub time_zone: &'a str,
    pub now_ms: i64,
    pub playbook: &'a crate::engine::Playbook,
    pub roster: &'a crate::engine::Roster,
    /// Fallbacks per pool, when the ledger records them (`ReviewHooks::pool_fallbacks`).
    pub pool_fallbacks: Option<&'a BTreeMap<String, u64>>,
}

const GROUPINGS: [GroupBy; 4] = [
    GroupBy::Source,
    GroupBy::Tier,
    GroupBy::Team,
    GroupBy::Owner,
];

impl Review {
    /// The review of `rows`; an empty `rows.weeks` gives an empty review, not a panic.
    pub fn build(rows: &ReviewRows, setup: &Setup<'_>) -> Self {
        let weeks: Vec<WeekFigures> = rows
            .earlier
            .iter()
            .cloned()
            .chain(
                rows.weeks
                    .iter()
                    .map(|(week, r)| figures(week, r, setup.now_ms)),
            )
            .collect();
        let (weeks, slack) = slack(weeks, &rows.slack);
        let reviewed = rows.weeks.last().map(|(_, r)| r);
        let segments = segments(reviewed, setup.now_ms, slack.is_some());
        let reasons = weeks.last().map(|w| pareto(&w.kpis)).unwrap_or_default();
        let owners = segments
            .iter()
            .find(|s| s.by == GroupBy::Owner)
            .map(|s| s.groups.as_slice())
            .unwrap_or_default();
        let routing = Routing::build(&RoutingInput {
            pools: &setup.playbook.doc.routing.pools,
            roster: setup.roster,
            picks: &rows.picks,
            fallbacks: setup.pool_fallbacks,
            week: weeks.last().map(|w| &w.kpis),
            owners,
            reassigned: &rows.reassigned,
            overdue: &rows.overdue,
            close_loop_after: setup.playbook.doc.dispositions.close_loop_after.clone(),
        });
        Self {
            portal_id: setup.portal_id,
            time_zone: setup.time_zone.to_owned(),
            now_ms: setup.now_ms,
            weeks,
            segments,
            reasons,
            routing,
            slack,
        }
    }

    /// The reviewed week (the last).
    pub fn current(&self) -> Option<&WeekFigures> {
        self.weeks.last()
    }

    /// The week before the reviewed one.
    pub fn previous(&self) -> Option<&WeekFigures> {
        self.weeks
            .len()
            .checked_sub(2)
            .and_then(|i| self.weeks.get(i))
    }

    /// Nothing at all in any week: no decision and no handoff.
    pub fn is_empty(&self) -> bool {
        self.weeks
            .iter()
            .all(|w| w.leads.total == 0 && w.kpis.handoffs == 0 && w.kpis.merged == 0)
    }
}

/// The reviewed week's Slack alerts of `counts`, if the portal ever used them (an alert, a
/// click, or a handoff of these weeks accepted in Slack); if not, `weeks` say nothing about
/// Slack.
fn slack(
    mut weeks: Vec<WeekFigures>,
    counts: &SlackCounts,
) -> (Vec<WeekFigures>, Option<SlackAlerts>) {
    let accepted_in_slack = weeks.iter().any(|w| w.kpis.accepted_in_slack());
    let slack = SlackAlerts::of(counts, accepted_in_slack);
    if slack.is_none() {
        weeks.iter_mut().for_each(|w| w.kpis.forget_slack());
    }
    (weeks, slack)
}

/// The reviewed week by each grouping; nothing about Slack unless `slack_used`.
fn segments(reviewed: Option<&LedgerRows>, now_ms: i64, slack_used: bool) -> Vec<Segment> {
    GROUPINGS
        .iter()
        .map(|&by| {
            let mut groups = reviewed
                .map(|r| board::groups(r, by, now_ms))
                .unwrap_or_default();
            if !slack_used {
                groups.iter_mut().for_each(|g| g.kpis.forget_slack());
            }
            Segment { by, groups }
        })
        .collect()
}

fn figures(week: &Week, rows: &LedgerRows, now_ms: i64) -> WeekFigures {
    let handoffs: Vec<&KpiHandoff> = rows.handoffs.iter().collect();
    let ready: Vec<&ReadyLead> = rows.ready.iter().collect();
    let kpis = Kpis::compute(&handoffs, &ready, now_ms);
    WeekFigures {
        week: week.clone(),
        leads: LeadCounts::from_rows(&rows.leads),
        pipeline: Pipeline::of(&kpis),
        kpis,
    }
}

/// The disqualification and nurture reasons sales gave, most frequent first (ties by outcome
/// and reason), with the running share of all of them.
fn pareto(k: &Kpis) -> Vec<Reason> {
    let mut reasons: Vec<Reason> = k
        .dispositions
        .iter()
        .filter(|d| d.disposition == "disqualified" || d.disposition == "nurture")
        .flat_map(|d| {
            d.reasons.iter().map(|(reason, &count)| Reason {
                outcome: d.disposition.clone(),
                reason: reason.clone(),
                count,
                cumulative: 0.0,
            })
        })
        .collect();
    reasons.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.outcome, &a.reason).cmp(&(&b.outcome, &b.reason)))
    });
    let total: u64 = reasons.iter().map(|r| r.count).sum();
    let mut running = 0;
    for r in &mut reasons {
        running += r.count;
        // `total` > 0 whenever there is a reason to loop over.
        r.cumulative = running as f64 / total as f64;
    }
    reasons
}

#[cfg(test)]
#[path = "model_tests.rs"]
pub(super) mod tests;
