//! Leads decided in a period, each counted once: the first line of the scoreboard and the
//! `handoff_kpi_leads{outcome}` gauge. A lead is decided again whenever a property the playbook
//! reads changes, so decisions outnumber leads; counting leads keeps this line in step with
//! the handoffs and assignment coverage next to it.

use handoff_ids::{ContactId, PortalId};
use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::ledger::LeadOutcome;

/// The outcome a lead that was ready at least once in the period is counted under.
pub const HANDED_OFF: &str = "handed_off";

/// The leads decided in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LeadCounts {
    /// Distinct leads (portal, contact) with a decision in the period.
    pub total: u64,
    /// Leads by outcome, each once: `handed_off` when any of its decisions in the period found
    /// it ready (these are the ready leads of assignment coverage), otherwise the outcome of
    /// its latest decision (`not_ready`, `disqualified`).
    pub by_outcome: BTreeMap<String, u64>,
    /// Decisions made about these leads in the period (at least one per lead).
    pub decisions: u64,
}

/// The outcome each lead (portal, contact) counts under: `handed_off` when any of its
/// decisions was, otherwise the outcome of its latest decision.
pub fn outcome_per_lead(rows: &[LeadOutcome]) -> BTreeMap<(PortalId, ContactId), &str> {
    /// Whether any decision handed the lead off, and its latest `(time, outcome)`.
    type Seen<'a> = (bool, (i64, &'a str));
    let mut leads: BTreeMap<(PortalId, ContactId), Seen<'_>> = BTreeMap::new();
    for r in rows {
        let latest = (r.last_decided_at_ms, r.outcome.as_str());
        let entry = leads
            .entry((r.portal_id, r.contact_id))
            .or_insert((false, latest));
        entry.0 |= r.outcome == HANDED_OFF;
        entry.1 = entry.1.max(latest);
    }
    leads
        .into_iter()
        .map(|(lead, (ready, (_, latest)))| (lead, if ready { HANDED_OFF } else { latest }))
        .collect()
}

impl LeadCounts {
    /// Folds the per-contact outcome rows of the store into one count per lead.
    pub fn from_rows(rows: &[LeadOutcome]) -> Self {
        let leads = outcome_per_lead(rows);
        let mut by_outcome: BTreeMap<String, u64> = BTreeMap::new();
        for outcome in leads.values() {
            *by_outcome.entry((*outcome).to_owned()).or_default() += 1;
        }
        Self {
            total: leads.len() as u64,
            by_outcome,
            decisions: rows
                .iter()
                .map(|r| u64::try_from(r.decisions).unwrap_or(0))
                .sum(),
        }
    }

    /// Leads counted under `outcome`.
    pub fn with(&self, outcome: &str) -> u64 {
        self.by_outcome.get(outcome).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(contact_id: u64, outcome: &str, decisions: i64, last: i64) -> LeadOutcome {
        LeadOutcome {
            portal_id: PortalId::new(62515).unwrap(),
            contact_id: ContactId::new(contact_id).unwrap(),
            outcome: outcome.into(),
            decisions,
            last_decided_at_ms: last,
        }
    }

    #[test]
    fn a_lead_decided_again_after_a_property_change_counts_once() {
        // The demo's story: four leads handed off, two of them decided again when a rep
        // touched them; three disqualified, two not ready. Six handed_off decisions, four leads.
        let rows = [
            row(1, "handed_off", 1, 10),
            row(2, "handed_off", 2, 20),
            row(3, "handed_off", 2, 20),
            row(4, "handed_off", 1, 10),
            row(5, "disqualified", 1, 10),
            row(6, "disqualified", 1, 10),
            row(7, "disqualified", 1, 10),
            row(8, "not_ready", 1, 10),
            row(9, "not_ready", 1, 10),
        ];
        let leads = LeadCounts::from_rows(&rows);
        assert_eq!(leads.total, 9);
        assert_eq!(leads.decisions, 11);
        assert_eq!(
            (
                leads.with("handed_off"),
                leads.with("disqualified"),
                leads.with("not_ready")
            ),
            (4, 3, 2)
        );
        assert_eq!(leads.by_outcome.values().sum::<u64>(), leads.total);
    }

    #[test]
    fn a_lead_ready_once_counts_as_handed_off_else_its_latest_outcome_counts() {
        let rows = [
            // Not ready, then ready after enrichment, then not ready again: it was handed off.
            row(1, "handed_off", 1, 20),
            row(1, "not_ready", 2, 30),
            // Not ready, then disqualified: disqualified.
            row(2, "disqualified", 1, 50),
            row(2, "not_ready", 1, 40),
            // Disqualified, then not ready (the disqualifier went away, a field is missing).
            row(3, "disqualified", 1, 40),
            row(3, "not_ready", 1, 50),
        ];
        let leads = LeadCounts::from_rows(&rows);
        assert_eq!(leads.total, 3);
        assert_eq!(leads.decisions, 7);
        assert_eq!(leads.with("handed_off"), 1);
        assert_eq!(leads.with("disqualified"), 1);
        assert_eq!(leads.with("not_ready"), 1);
    }

    #[test]
    fn the_same_contact_id_in_two_portals_is_two_leads() {
        let mut other = row(1, "not_ready", 1, 10);
        other.portal_id = PortalId::new(1).unwrap();
        let leads = LeadCounts::from_rows(&[row(1, "handed_off", 1, 10), other]);
        assert_eq!(leads.total, 2);
        assert_eq!((leads.with("handed_off"), leads.with("not_ready")), (1, 1));
    }

    #[test]
    fn no_decision_means_no_lead() {
        assert_eq!(LeadCounts::from_rows(&[]), LeadCounts::default());
    }
}
