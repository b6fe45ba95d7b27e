//! The escalation ladder: each step (remind, escalate to the team manager, reassign, fallback
//! queue) fires at its own business-time offset, a percentage of the SLA after handoff or an
//! offset after the due time. Reassignment itself is a new `decide` with the owner added to
//! `missed_sla_by`, so the lead never goes back to someone who already missed it.

use jiff::{SignedDuration, Timestamp};

use crate::calendar::Calendar;
use crate::calendar::duration::LadderOffset;
use crate::decision::LadderStep;
use crate::playbook::LadderAction;
use crate::playbook::compile::Playbook;
use crate::sla::SlaInput;

pub(crate) fn ladder(
    pb: &Playbook,
    cal: &Calendar,
    input: &SlaInput<'_>,
    first_touch: SignedDuration,
    due_at: Timestamp,
) -> Result<Vec<LadderStep>, String> {
    let mut out = Vec::new();
    for (step, offset) in pb.doc.ladder.iter().zip(&pb.ladder) {
        let at = match *offset {
            LadderOffset::PercentOfSla(p) => {
                let nanos = first_touch.as_nanos().saturating_mul(i128::from(p)) / 100;
                let d = SignedDuration::from_nanos(i64::try_from(nanos).unwrap_or(i64::MAX));
                cal.add(input.handed_off_at, d)
            }
            LadderOffset::AfterDue(d) => cal.add(due_at, d.on(cal)),
        }
        .map_err(|e| e.to_string())?;
        let team = input
            .assignment
            .team
            .as_deref()
            .and_then(|t| input.roster.team(t));
        let target = match step.action {
            LadderAction::Remind => Some(input.assignment.owner_id.to_string()),
            LadderAction::Escalate => team.and_then(|t| t.manager.clone()),
            LadderAction::Reassign => None,
            // The owner id the queue owner has now; none while it has none to assign.
            LadderAction::FallbackQueue => input
                .roster
                .assignable_id(&pb.doc.routing.fallback_owner)
                .map(|id| id.to_string()),
        };
        out.push(LadderStep {
            action: step.action,
            at,
            target,
        });
    }
    Ok(out)
}
