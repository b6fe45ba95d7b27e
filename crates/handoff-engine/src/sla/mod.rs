//! SLA: the first SLA tier matching the lead's score tier and segment gives the business time to
//! first touch on a calendar; the due time, the escalation ladder and the close-the-loop time
//! are all computed on that calendar.

pub(crate) mod ladder;

use jiff::Timestamp;

use crate::decision::SlaPlan;
use crate::playbook::compile::Playbook;
use crate::roster::Roster;
use crate::routing::Assignment;
use crate::sla::ladder::ladder;

pub(crate) struct SlaInput<'a> {
    pub tier: Option<&'a str>,
    pub segment: Option<&'a str>,
    pub assignment: &'a Assignment,
    pub roster: &'a Roster,
    pub handed_off_at: Timestamp,
}

/// The plan, `Ok(None)` when no SLA tier applies, `Err` with a message when time arithmetic
/// failed (a calendar with no open time in years).
pub(crate) fn plan(pb: &Playbook, input: &SlaInput<'_>) -> Result<Option<SlaPlan>, String> {
    let sla = &pb.doc.sla;
    let found = sla.tiers.iter().zip(&pb.sla_first_touch).find(|(t, _)| {
        (t.score_tiers.is_empty()
            || input
                .tier
                .is_some_and(|x| t.score_tiers.iter().any(|s| s == x)))
            && (t.segments.is_empty()
                || input
                    .segment
                    .is_some_and(|x| t.segments.iter().any(|s| s == x)))
    });
    let Some((tier, first_touch)) = found else {
        return Ok(None);
    };
    let cal_id = tier.calendar.as_deref().unwrap_or(&sla.default_calendar);
    let cal = pb
        .calendar(cal_id)
        .ok_or_else(|| format!("calendar `{cal_id}` missing"))?;
    let first_touch = first_touch.on(cal);
    let due_at = cal
        .add(input.handed_off_at, first_touch)
        .map_err(|e| e.to_string())?;
    let steps = ladder(pb, cal, input, first_touch, due_at)?;
    let close_loop_due = match pb.close_loop_after {
        Some(d) => Some(
            cal.add(input.handed_off_at, d.on(cal))
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    Ok(Some(SlaPlan {
        tier: tier.id.clone(),
        calendar: cal_id.to_string(),
        first_touch,
        due_at,
        ladder: steps,
        close_loop_due,
    }))
}
