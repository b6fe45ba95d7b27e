//! The tuning report (`handoff tune`, the weekly review's last section): what the recorded
//! outcomes say about the playbook's rules. Pure: computed from the ledger's decision facts
//! (`DecisionFactRow`, migration 0012) without I/O, and unit-tested with hand-computed values.
//!
//! A **lead** is a contact decided in the period, once: its last decision there (its score,
//! rules, source, tier, role and route), with what became of its handoff (disposition, deal,
//! first touch). Decisions recorded before facts existed are counted as `not_recorded` and
//! left out of every figure, never read as zero.
//!
//! - per scoring rule: the leads it matched against those it did not, their acceptance (with a
//!   95% Wilson interval), disqualification and pipeline per accepted lead, and the lift
//!   (matched acceptance ÷ unmatched acceptance); a rate over fewer than [`MIN_SAMPLE`] leads
//!   with a disposition is "too few to judge", and so is a lift built on one;
//! - the same per source, tier and buying role (`segments`);
//! - a threshold sweep (`sweep.rs`): leads scoring at least each candidate threshold. Only
//!   handed-off leads can have a disposition, so acceptance above a lower threshold than the
//!   playbook's counts only the leads that were handed off;
//! - routing: acceptance and time to first touch per pool and per owner (`routing.rs`).

mod load;
mod render;
mod replay;
mod routing;
mod stats;
mod suggest;
mod sweep;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

pub use load::load;
pub use render::{judged, page, section, table};
pub use replay::{Change, Decided, Replay, replay};
pub use routing::RouteRow;
pub use stats::{Judged, MIN_SAMPLE, Outcomes, wilson};
pub use suggest::{Suggestion, apply, points_of, suggestions};
pub use sweep::SweepRow;
use sweep::sweep;

use crate::store::ledger::DecisionFactRow;

/// One lead as the report reads it (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lead<'r> {
    pub(crate) score: i64,
    pub(crate) handed_off: bool,
    pub(crate) rules: Vec<String>,
    pub(crate) row: &'r DecisionFactRow,
    pub(crate) disposition: Option<&'r str>,
    pub(crate) deal_amount: Option<f64>,
}

/// A scoring rule's leads against the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRow {
    pub rule: String,
    pub matched: Outcomes,
    pub unmatched: Outcomes,
    /// Matched acceptance ÷ unmatched acceptance; none when either is too few to judge or
    /// the unmatched leads accepted none.
    pub lift: Option<f64>,
}

/// One value of a segment (a source, a tier, a buying role); `(none)` when the lead has none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentRow {
    pub value: String,
    pub outcomes: Outcomes,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tuning {
    /// Leads with facts.
    pub leads: u64,
    /// Leads whose decisions were recorded without facts (left out).
    pub not_recorded: u64,
    pub all: Outcomes,
    pub rules: Vec<RuleRow>,
    pub sources: Vec<SegmentRow>,
    pub tiers: Vec<SegmentRow>,
    pub buying_roles: Vec<SegmentRow>,
    pub threshold: i64,
    pub sweep: Vec<SweepRow>,
    pub pools: Vec<RouteRow>,
    pub owners: Vec<RouteRow>,
}

/// The playbook's part of the report: its threshold and its scoring rules (listed even when
/// they matched no lead).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TuneSetup {
    pub threshold: i64,
    pub rules: Vec<String>,
}

impl TuneSetup {
    pub fn of(pb: &crate::engine::Playbook) -> TuneSetup {
        let s = &pb.doc.scoring;
        TuneSetup {
            threshold: s.handoff_threshold,
            rules: s
                .fit
                .iter()
                .chain(&s.engagement)
                .map(|r| r.id.clone())
                .collect(),
        }
    }
}

/// One lead per contact: the last of its rows (`rows` are by contact and time, or one per
/// contact in any order), and how many contacts had no facts.
pub(crate) fn leads(rows: &[DecisionFactRow]) -> (Vec<Lead<'_>>, u64) {
    // By contact, each contact's rows in their order (a stable sort), then its last row.
    let mut by_contact: Vec<&DecisionFactRow> = rows.iter().collect();
    by_contact.sort_by_key(|r| r.contact_id);
    let last = by_contact
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            by_contact
                .get(i + 1)
                .is_none_or(|n| n.contact_id != r.contact_id)
        })
        .map(|(_, r)| *r);
    let mut missing = 0;
    let mut out = Vec::with_capacity(by_contact.len());
    for row in last {
        let (Some(score), Some(rules)) = (row.score_total, row.rules()) else {
            missing += 1;
            continue;
        };
        let handed_off = row.outcome == "handed_off" && row.handed_off_at_ms.is_some();
        out.push(Lead {
            score,
            handed_off,
            rules,
            row,
            disposition: row.disposition.as_deref().filter(|_| handed_off),
            deal_amount: row.deal_amount,
        });
    }
    (out, missing)
}

/// The report over `rows` (the period's decision facts) for the playbook `setup` describes.
pub fn build(rows: &[DecisionFactRow], setup: &TuneSetup) -> Tuning {
    let (leads, not_recorded) = leads(rows);
    let mut all = Outcomes::default();
    leads.iter().for_each(|l| all.add(l));
    let segment = |key: fn(&DecisionFactRow) -> Option<&String>| segments(&leads, key);
    Tuning {
        leads: all.leads,
        not_recorded,
        all,
        rules: rule_rows(&leads, &setup.rules),
        sources: segment(|r| r.source.as_ref()),
        tiers: segment(|r| r.tier.as_ref()),
        buying_roles: segment(|r| r.buying_role.as_ref()),
        threshold: setup.threshold,
        sweep: sweep(&leads, setup.threshold),
        pools: routing::by(&leads, |r| r.route_pool.as_deref()),
        owners: routing::by(&leads, |r| r.handoff_owner),
    }
}

fn rule_rows(leads: &[Lead<'_>], rules: &[String]) -> Vec<RuleRow> {
    let mut ids: Vec<String> = rules.to_vec();
    for l in leads {
        for r in &l.rules {
            if !ids.contains(r) {
                ids.push(r.clone());
            }
        }
    }
    ids.into_iter()
        .map(|rule| {
            let (mut matched, mut unmatched) = (Outcomes::default(), Outcomes::default());
            for l in leads {
                let side = if l.rules.contains(&rule) {
                    &mut matched
                } else {
                    &mut unmatched
                };
                side.add(l);
            }
            let lift = match (matched.acceptance().rate(), unmatched.acceptance().rate()) {
                (Some(m), Some(u)) if u > 0.0 => Some(m / u),
                _ => None,
            };
            RuleRow {
                rule,
                matched,
                unmatched,
                lift,
            }
        })
        .collect()
}

fn segments(leads: &[Lead<'_>], key: fn(&DecisionFactRow) -> Option<&String>) -> Vec<SegmentRow> {
    let mut by: BTreeMap<&str, Outcomes> = BTreeMap::new();
    for l in leads {
        let value = key(l.row).map_or("(none)", String::as_str);
        by.entry(value).or_default().add(l);
    }
    by.into_iter()
        .map(|(value, outcomes)| SegmentRow {
            value: value.to_owned(),
            outcomes,
        })
        .collect()
}
