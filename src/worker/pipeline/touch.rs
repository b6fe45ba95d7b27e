//! Touches and dispositions, read from a handed-off contact's properties: a touch property
//! (`pipeline.touch_properties`) with a time at or after the handoff is the first touch; the
//! playbook's disposition map says accepted / nurture / disqualified (a disposition counts as
//! a touch too: sales has acted on the lead).

use crate::engine::contact::parse_epoch_ms;
use crate::engine::playbook::DispositionOutcome;
use crate::engine::{Contact, Playbook};
use crate::store::ledger::HandoffRow;

use super::steps::StoredPlan;

#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub touched_at_ms: Option<i64>,
    pub disposition: Option<(&'static str, Option<String>)>,
    pub deal_amount: Option<f64>,
}

pub fn outcome_name(o: DispositionOutcome) -> &'static str {
    match o {
        DispositionOutcome::Accepted => "accepted",
        DispositionOutcome::Nurture => "nurture",
        DispositionOutcome::Disqualified => "disqualified",
    }
}

/// What the contact shows since its handoff. `now_ms` stands in for the touch time when only
/// a disposition shows one.
pub fn observe(
    contact: &Contact,
    handoff: &HandoffRow,
    playbook: &Playbook,
    touch_properties: &[String],
    deal_amount_property: &str,
    now_ms: i64,
) -> Observed {
    let touched = touch_properties
        .iter()
        .filter_map(|p| contact.get(p))
        .filter_map(|v| parse_epoch_ms(v).ok())
        .filter(|at| *at >= handoff.handed_off_at_ms)
        .min();
    // A disposition the contact already showed at handoff is not news (HandoffRow::sla_plan).
    let before = handoff
        .sla_plan
        .as_deref()
        .and_then(|t| serde_json::from_str::<StoredPlan>(t).ok())
        .and_then(|plan| plan.disposition_at_handoff);
    let disposition = crate::engine::disposition::classify(playbook, contact)
        .map(|d| (outcome_name(d.outcome), d.reason))
        .filter(|(outcome, reason)| {
            before
                .as_ref()
                .is_none_or(|(o, r)| o != outcome || r != reason)
        });
    let touched_at_ms = touched.or(disposition.as_ref().map(|_| now_ms));
    let deal_amount = (!deal_amount_property.is_empty())
        .then(|| contact.get(deal_amount_property))
        .flatten()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite());
    Observed {
        touched_at_ms,
        disposition,
        deal_amount,
    }
}
