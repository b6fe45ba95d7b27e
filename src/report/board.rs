//! The scoreboard: the period, the leads decided in it (each once), the KPIs of every handoff in
//! it and, when asked, of each group (`--by source|tier|team|owner`). Pure: built from rows
//! already loaded.

use std::collections::BTreeMap;

use serde::Serialize;

use super::kpi::{Kpis, NONE};
use super::leads::LeadCounts;
use super::slack::SlackAlerts;
use super::window::Window;
use crate::engine::Roster;
use crate::store::ledger::{KpiHandoff, LeadOutcome, ReadyLead, SlackCounts};

/// What the scoreboard is split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Source,
    Tier,
    Team,
    Owner,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Tier => "tier",
            Self::Team => "team",
            Self::Owner => "owner",
        }
    }

    fn of_handoff(self, h: &KpiHandoff) -> String {
        let value = match self {
            Self::Source => h.source.as_deref(),
            Self::Tier => h.tier.as_deref(),
            Self::Team => h.team.as_deref(),
            Self::Owner => return h.owner_id.to_string(),
        };
        value.unwrap_or(NONE).to_owned()
    }

    /// A ready lead joins its handoff's group; one without a handoff is only known by the owner
    /// its decision named, so it falls under `(none)` for the other groupings.
    fn of_ready(self, r: &ReadyLead) -> String {
        let value = match self {
            Self::Source => r.source.as_deref(),
            Self::Tier => r.tier.as_deref(),
            Self::Team => r.team.as_deref(),
            Self::Owner => {
                let owner = r.owner_id.or(r.decided_owner);
                return owner.map_or_else(|| NONE.to_owned(), |o| o.to_string());
            }
        };
        value.unwrap_or(NONE).to_owned()
    }
}

/// What the ledger holds for a period, as loaded.
#[derive(Debug, Clone, Default)]
pub struct LedgerRows {
    pub handoffs: Vec<KpiHandoff>,
    pub ready: Vec<ReadyLead>,
    /// The outcomes of the decisions made in the period, per contact.
    pub leads: Vec<LeadOutcome>,
}

/// The KPIs of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub key: String,
    /// With `--by owner`: the owner's name from the roster (see [`Scoreboard::named`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub kpis: Kpis,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scoreboard {
    /// e.g. `7d`.
    pub window: String,
    pub since_ms: i64,
    pub until_ms: i64,
    pub by: Option<GroupBy>,
    /// Leads decided in the period, each once, by outcome (`handed_off`, `not_ready`,
    /// `disqualified`).
    pub leads: LeadCounts,
    pub total: Kpis,
    /// Empty without `by`; else most handoffs first.
    pub groups: Vec<Group>,
    /// The Slack alerts of the period (every portal); absent where Slack alerts were never
    /// used, and then no KPI says anything about Slack either.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack: Option<SlackAlerts>,
}

impl Scoreboard {
    /// The scoreboard of `rows` loaded for `window` back from `now_ms`.
    pub fn build(rows: &LedgerRows, window: &Window, by: Option<GroupBy>, now_ms: i64) -> Self {
        let handoffs: Vec<&KpiHandoff> = rows.handoffs.iter().collect();
        let ready: Vec<&ReadyLead> = rows.ready.iter().collect();
        Self {
            window: window.text().to_owned(),
            since_ms: window.since_ms(now_ms),
            until_ms: now_ms,
            by,
            leads: LeadCounts::from_rows(&rows.leads),
            total: Kpis::compute(&handoffs, &ready, now_ms),
            groups: by.map(|by| groups(rows, by, now_ms)).unwrap_or_default(),
            slack: None,
        }
    }

    /// Adds the period's Slack alerts (`counts`); where Slack alerts were never used, takes
    /// what the KPIs say about Slack away instead.
    pub(crate) fn with_slack(mut self, counts: &SlackCounts) -> Self {
        self.slack = SlackAlerts::of(counts, self.total.accepted_in_slack());
        if self.slack.is_none() {
            self.total.forget_slack();
            for g in &mut self.groups {
                g.kpis.forget_slack();
            }
        }
        self
    }

    /// Names the owner groups from `roster` (`101` reads `101 (Jonas Becker)` in the table).
    pub fn named(mut self, roster: &Roster) -> Self {
        if self.by == Some(GroupBy::Owner) {
            for g in &mut self.groups {
                g.name = roster.owner(&g.key).map(|o| o.owner.name.clone());
            }
        }
        self
    }
}

/// The KPIs of each group of `rows` by `by`, most handoffs first (also the weekly review's tables).
pub(crate) fn groups(rows: &LedgerRows, by: GroupBy, now_ms: i64) -> Vec<Group> {
    type Members<'a> = (Vec<&'a KpiHandoff>, Vec<&'a ReadyLead>);
    let mut members: BTreeMap<String, Members<'_>> = BTreeMap::new();
    for h in &rows.handoffs {
        members.entry(by.of_handoff(h)).or_default().0.push(h);
    }
    for r in &rows.ready {
        members.entry(by.of_ready(r)).or_default().1.push(r);
    }
    let mut out: Vec<Group> = members
        .into_iter()
        .map(|(key, (handoffs, ready))| Group {
            key,
            name: None,
            kpis: Kpis::compute(&handoffs, &ready, now_ms),
        })
        .collect();
    out.sort_by(|a, b| {
        b.kpis
            .handoffs
            .cmp(&a.kpis.handoffs)
            .then(a.key.cmp(&b.key))
    });
    out
}

#[cfg(test)]
#[path = "board_tests.rs"]
mod tests;
