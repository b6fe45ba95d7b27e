//! Touches and dispositions, read from a handed-off contact's properties: a touch property
//! (`pipeline.touch_properties`) with a time at or after the handoff is the first touch; the
//! playbook's disposition map says accepted / nurture / disqualified (a disposition counts as
//! a touch too: sales has acted on the lead).

use crate::engine::contact::parse_epoch_ms;
use crate::engine::playbook::DispositionOutcome;
use crate::engine::{Contact, Playbook};
use crate::store::ledger::HandoffRow;

use super::intent::Plan;
use super::steps::StoredPlan;

/// Which contact properties say a lead was touched and what its deal is worth.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    pub touch_properties: &'a [String],
    pub deal_amount_property: &'a str,
}

impl<'a> Settings<'a> {
    pub fn of(s: &'a crate::worker::settings::PipelineSettings) -> Self {
        Settings {
            touch_properties: &s.touch_properties,
            deal_amount_property: &s.deal_amount_property,
        }
    }
}

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

/// What the contact shows since its handoff. When only a disposition shows a touch, the
/// touch happened when the disposition property changed (`changed_at_ms`, never before the
/// handoff) or, without a change event in hand, `now_ms`.
///
/// A disposition the contact already showed at handoff is not news, unless a change event of
/// a disposition property says sales set it since (`changed_at_ms`, see
/// `batch.rs::disposition_news`): a rep who sets the status the lead was created with has
/// still acted on it.
pub fn observe(
    contact: &Contact,
    handoff: &HandoffRow,
    playbook: &Playbook,
    settings: &Settings<'_>,
    changed_at_ms: Option<i64>,
    now_ms: i64,
) -> Observed {
    let Settings {
        touch_properties,
        deal_amount_property,
    } = *settings;
    let touched = touch_properties
        .iter()
        .filter_map(|p| contact.get(p))
        .filter_map(|v| parse_epoch_ms(v).ok())
        .filter(|at| *at >= handoff.handed_off_at_ms)
        .min();
    let before = changed_at_ms
        .is_none()
        .then(|| StoredPlan::of(handoff).disposition_at_handoff)
        .flatten();
    let disposition = crate::engine::followup::disposition::classify(playbook, contact)
        .map(|d| (outcome_name(d.outcome), d.reason))
        .filter(|(outcome, reason)| {
            before
                .as_ref()
                .is_none_or(|(o, r)| o != outcome || r != reason)
        });
    let disposition_touch = changed_at_ms.map_or(now_ms, |at| at.max(handoff.handed_off_at_ms));
    let touched_at_ms = touched.or(disposition.as_ref().map(|_| disposition_touch));
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

/// When the latest change of a disposition property in `plan` happened, if that change is news
/// from sales: it happened at or after `since_ms` (the start of the run that decided the
/// handoff) and after the contact was created. The order the worker sees events in does not
/// matter: a status change that arrives in the creation's batch, or before the decision was
/// recorded, is a disposition all the same. A status the contact was created with is not
/// news; should HubSpot send a property change for a value set at creation (not documented
/// either way, see docs/hubspot.md), that change happens at the creation's time and is
/// excluded by the strict comparison.
pub(crate) fn disposition_news(plan: &Plan, c: &Contact, since_ms: i64) -> Option<i64> {
    let created_ms = [
        plan.created_at_ms,
        c.get("createdate").and_then(|v| parse_epoch_ms(v).ok()),
    ]
    .into_iter()
    .flatten()
    .max();
    plan.disposition_changes_ms
        .iter()
        .copied()
        .filter(|at| *at >= since_ms && created_ms.is_none_or(|created| *at > created))
        .max()
}

/// Where a handoff's disposition changes are judged from (see `disposition_news`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ChangeWindow {
    /// When the oldest event of the deciding run happened.
    pub start_ms: Option<i64>,
    /// When a disposition property changed within the run, if that is news from sales.
    pub changed_at_ms: Option<i64>,
}

impl ChangeWindow {
    pub(crate) fn of(plan: Option<&&Plan>, c: &Contact) -> Self {
        let Some(plan) = plan else {
            return ChangeWindow::default();
        };
        ChangeWindow {
            start_ms: plan.window_start_ms,
            changed_at_ms: disposition_news(plan, c, plan.window_start_ms.unwrap_or(i64::MIN)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(created: Option<i64>, changes: &[i64]) -> Plan {
        Plan {
            window_start_ms: Some(1_000),
            created_at_ms: created,
            disposition_changes_ms: changes.to_vec(),
            ..Plan::default()
        }
    }

    fn contact(createdate: Option<&str>) -> Contact {
        Contact {
            id: handoff_ids::ContactId::new(7).unwrap(),
            properties: [("createdate".to_string(), createdate.map(str::to_string))].into(),
            company: None,
            event: None,
        }
    }

    #[test]
    fn a_change_after_the_creation_is_news_whatever_order_it_arrives_in() {
        let c = contact(Some("1970-01-01T00:00:00.900Z"));
        assert_eq!(
            disposition_news(&plan(Some(1_000), &[1_200]), &c, 1_000),
            Some(1_200)
        );
        // The latest change is the one that counts.
        assert_eq!(
            disposition_news(&plan(None, &[1_300, 1_200]), &c, 1_000),
            Some(1_300)
        );
        // Judged against the deciding run's start, not the time the worker saw it.
        assert_eq!(
            disposition_news(&plan(None, &[1_100]), &c, 1_000),
            Some(1_100)
        );
    }

    #[test]
    fn a_status_set_at_creation_or_before_the_deciding_run_is_not_news() {
        let c = contact(Some("1970-01-01T00:00:01.000Z"));
        // A change at the creation's own time is the value the contact was created with.
        assert_eq!(
            disposition_news(&plan(Some(1_000), &[1_000]), &c, 1_000),
            None
        );
        assert_eq!(disposition_news(&plan(None, &[1_000]), &c, 0), None);
        // A change before the run that decided the handoff was already there.
        assert_eq!(disposition_news(&plan(None, &[1_500]), &c, 2_000), None);
        assert_eq!(disposition_news(&plan(None, &[]), &c, 0), None);
    }

    #[test]
    fn a_disposition_touch_happens_at_the_change_never_before_the_handoff() {
        let playbook = crate::config::example_playbook();
        let handoff = HandoffRow {
            handed_off_at_ms: 5_000,
            ..HandoffRow::example()
        };
        let mut c = contact(None);
        c.properties
            .insert("hs_lead_status".into(), Some("CONNECTED".into()));
        let settings = Settings {
            touch_properties: &[],
            deal_amount_property: "",
        };
        let seen = observe(&c, &handoff, &playbook, &settings, Some(4_000), 9_000);
        assert_eq!(seen.disposition.as_ref().map(|d| d.0), Some("accepted"));
        assert_eq!(seen.touched_at_ms, Some(5_000));
        let seen = observe(&c, &handoff, &playbook, &settings, Some(6_000), 9_000);
        assert_eq!(seen.touched_at_ms, Some(6_000));
    }
}
