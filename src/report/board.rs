//! The scoreboard: the period, decision counts, the KPIs of every handoff in it and, when asked,
//! of each group (`--by source|tier|team|owner`). Pure: built from rows already loaded.

use std::collections::BTreeMap;

use serde::Serialize;

use super::kpi::{Kpis, NONE};
use super::window::Window;
use crate::store::ledger::{KpiHandoff, ReadyLead};

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
            Self::Owner => Some(h.owner_id.as_str()),
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
            Self::Owner => r.owner_id.as_deref().or(r.decided_owner.as_deref()),
        };
        value.unwrap_or(NONE).to_owned()
    }
}

/// What the ledger holds for a period, as loaded.
#[derive(Debug, Clone, Default)]
pub struct LedgerRows {
    pub handoffs: Vec<KpiHandoff>,
    pub ready: Vec<ReadyLead>,
    /// `(outcome, count)` of decisions made in the period.
    pub decisions: Vec<(String, i64)>,
}

/// The KPIs of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub key: String,
    pub kpis: Kpis,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scoreboard {
    /// e.g. `7d`.
    pub window: String,
    pub since_ms: i64,
    pub until_ms: i64,
    pub by: Option<GroupBy>,
    /// Decisions made in the period, by outcome (`handed_off`, `not_ready`, `disqualified`).
    pub decisions: BTreeMap<String, u64>,
    pub total: Kpis,
    /// Empty without `by`; else most handoffs first.
    pub groups: Vec<Group>,
}

impl Scoreboard {
    /// The scoreboard of `rows` loaded for `window` back from `now_ms`.
    pub fn build(rows: &LedgerRows, window: &Window, by: Option<GroupBy>, now_ms: i64) -> Self {
        let handoffs: Vec<&KpiHandoff> = rows.handoffs.iter().collect();
        let ready: Vec<&ReadyLead> = rows.ready.iter().collect();
        let decisions = rows
            .decisions
            .iter()
            .map(|(outcome, n)| (outcome.clone(), u64::try_from(*n).unwrap_or(0)))
            .collect();
        Self {
            window: window.text().to_owned(),
            since_ms: window.since_ms(now_ms),
            until_ms: now_ms,
            by,
            decisions,
            total: Kpis::compute(&handoffs, &ready, now_ms),
            groups: by.map(|by| groups(rows, by, now_ms)).unwrap_or_default(),
        }
    }

    /// Decisions of one outcome in the period.
    pub fn decided(&self, outcome: &str) -> u64 {
        self.decisions.get(outcome).copied().unwrap_or(0)
    }
}

fn groups(rows: &LedgerRows, by: GroupBy, now_ms: i64) -> Vec<Group> {
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
