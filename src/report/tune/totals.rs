//! The tuning report from the store's totals (`Kpis::tune_totals`) instead of the period's
//! decision rows: the same [`Tuning`] `build` gives, folded from counts per group. The sweep
//! comes from the per-score histogram (every candidate threshold exactly); a rule's unmatched
//! leads are all leads less its matched ones.

use std::collections::BTreeMap;

use super::routing::RouteRow;
use super::sweep::{SIDE, STEP, SweepRow};
use super::{Outcomes, RuleRow, SegmentRow, TuneSetup, Tuning};
use crate::store::ledger::TuneTotal;

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Outcomes {
    /// Adds a group of `t.leads` leads with one (handed off, disposition).
    fn add_group(&mut self, t: &TuneTotal) {
        let n = count(t.leads);
        self.leads += n;
        if t.handed_off == 1 {
            self.handed_off += n;
        }
        let Some(d) = t.disposition.as_deref() else {
            return;
        };
        self.with_disposition += n;
        match d {
            "accepted" => {
                self.accepted += n;
                self.pipeline += t.pipeline;
            }
            "disqualified" => self.disqualified += n,
            _ => {}
        }
    }

    fn less(&self, o: &Outcomes) -> Outcomes {
        Outcomes {
            leads: self.leads - o.leads,
            handed_off: self.handed_off - o.handed_off,
            with_disposition: self.with_disposition - o.with_disposition,
            accepted: self.accepted - o.accepted,
            disqualified: self.disqualified - o.disqualified,
            pipeline: self.pipeline - o.pipeline,
        }
    }
}

fn of<'t>(totals: &'t [TuneTotal], family: &'t str) -> impl Iterator<Item = &'t TuneTotal> {
    totals.iter().filter(move |t| t.family == family)
}

fn grouped(totals: &[TuneTotal], family: &str) -> BTreeMap<String, Outcomes> {
    let mut by: BTreeMap<String, Outcomes> = BTreeMap::new();
    for t in of(totals, family) {
        by.entry(t.name.clone()).or_default().add_group(t);
    }
    by
}

/// The report the rows behind `totals` would give for the playbook `setup` describes.
pub(crate) fn from_totals(totals: &[TuneTotal], setup: &TuneSetup) -> Tuning {
    let mut all = Outcomes::default();
    of(totals, "all").for_each(|t| all.add_group(t));
    let segment = |family| {
        grouped(totals, family)
            .into_iter()
            .map(|(value, outcomes)| SegmentRow { value, outcomes })
            .collect()
    };
    Tuning {
        leads: all.leads,
        not_recorded: of(totals, "none").map(|t| count(t.leads)).sum(),
        all,
        rules: rule_rows(totals, &all, &setup.rules),
        sources: segment("source"),
        tiers: segment("tier"),
        buying_roles: segment("buying_role"),
        threshold: setup.threshold,
        sweep: sweep(totals, setup.threshold),
        pools: routes(totals, "pool"),
        owners: routes(totals, "owner"),
    }
}

/// The playbook's rules, then the others in the order the leads (by contact) first name them.
fn rule_rows(totals: &[TuneTotal], all: &Outcomes, rules: &[String]) -> Vec<RuleRow> {
    let mut firsts: Vec<&TuneTotal> = of(totals, "rule_first").collect();
    firsts.sort_by_key(|t| (t.score, t.engine_disqualified));
    let mut ids: Vec<String> = rules.to_vec();
    for t in firsts {
        if !ids.contains(&t.name) {
            ids.push(t.name.clone());
        }
    }
    let matched = grouped(totals, "rule");
    ids.into_iter()
        .map(|rule| {
            let matched = matched.get(&rule).copied().unwrap_or_default();
            let unmatched = all.less(&matched);
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

fn sweep(totals: &[TuneTotal], threshold: i64) -> Vec<SweepRow> {
    (-SIDE..=SIDE)
        .map(|k| threshold + k * STEP)
        .filter(|t| *t >= 0)
        .map(|t| {
            let mut outcomes = Outcomes::default();
            let mut would = 0;
            for g in of(totals, "all").filter(|g| g.score >= t && g.engine_disqualified == 0) {
                would += count(g.leads);
                if g.handed_off == 1 {
                    outcomes.add_group(g);
                }
            }
            SweepRow {
                threshold: t,
                current: t == threshold,
                would_hand_off: would,
                outcomes,
            }
        })
        .collect()
}

fn routes(totals: &[TuneTotal], family: &str) -> Vec<RouteRow> {
    let wait = format!("{family}_wait");
    grouped(totals, family)
        .into_iter()
        .map(|(name, outcomes)| {
            let median = of(totals, &wait).find(|t| t.name == name);
            RouteRow {
                touched: median.map_or(0, |t| count(t.leads)),
                touch_p50_ms: median.map(|t| t.score),
                name,
                outcomes,
            }
        })
        .collect()
}
