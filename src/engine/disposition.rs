//! Dispositions: what sales said, read from HubSpot values (`hs_lead_status`, lifecycle stage,
//! a reason property) and mapped to accepted / nurture / disqualified; and "close the loop": a
//! handoff still without a disposition after N business days escalates too.

use jiff::Timestamp;
use serde::Serialize;

use super::compile::Playbook;
use super::contact::Contact;
use super::decision::Disposition;

/// The first mapping rule whose property holds one of its values (case-insensitive).
pub fn classify(pb: &Playbook, c: &Contact) -> Option<Disposition> {
    pb.doc.dispositions.map.iter().find_map(|rule| {
        let v = c.get(&rule.property)?;
        rule.values
            .iter()
            .any(|x| x.eq_ignore_ascii_case(v))
            .then(|| Disposition {
                outcome: rule.outcome,
                source: format!("{} = {v}", rule.property),
                reason: rule
                    .reason_property
                    .as_deref()
                    .and_then(|p| c.get(p))
                    .map(str::to_string)
                    .or_else(|| rule.reason.clone()),
            })
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoopStatus {
    /// Sales gave a disposition.
    Closed { disposition: Disposition },
    /// Waiting, still within `close_loop_after`.
    Open { due: Timestamp },
    /// No disposition in time: escalate.
    Overdue { due: Timestamp },
    /// The playbook sets no `close_loop_after`, or its calendar has no open time.
    NotTracked,
}

/// Close-the-loop status of a lead handed off at `handed_off_at`, measured on the SLA's
/// default calendar.
pub fn close_the_loop(
    pb: &Playbook,
    c: &Contact,
    handed_off_at: Timestamp,
    now: Timestamp,
) -> LoopStatus {
    if let Some(disposition) = classify(pb, c) {
        return LoopStatus::Closed { disposition };
    }
    let (Some(after), Some(cal)) = (
        pb.close_loop_after,
        pb.calendar(&pb.doc.sla.default_calendar),
    ) else {
        return LoopStatus::NotTracked;
    };
    match cal.add(handed_off_at, after.on(cal)) {
        Ok(due) if now >= due => LoopStatus::Overdue { due },
        Ok(due) => LoopStatus::Open { due },
        Err(_) => LoopStatus::NotTracked,
    }
}
