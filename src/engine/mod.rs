//! The pure lead engine (see the crate doc): playbook in, decision out. No I/O, clock or
//! randomness: `now`, the roster and the routing state are inputs; the new state is an output.

// Native vs interpreter agreement: for the property tests and the `cel_compile` fuzz target.
#[cfg(any(test, fuzzing))]
pub mod agreement;
pub mod calendar;
pub mod check;
pub mod company_free;
pub mod compile;
pub mod condition;
pub mod contact;
pub mod decision;
pub mod disposition;
pub mod duration;
mod evaluator;
pub mod fastpath;
pub mod hours;
mod ladder;
pub mod leads;
pub mod owners;
pub mod playbook;
pub mod playbook_routing;
pub mod readiness;
mod render;
pub mod roster_live;
pub mod routing;
pub mod scoring;
pub mod sequences;
pub mod simulate;
mod sla;
pub mod tasks;
pub mod template_properties;
pub mod toml_doc;
pub mod validate;
mod validate_routing;

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_fastpath;
#[cfg(test)]
mod tests_routing;

use jiff::Timestamp;

pub use check::check_playbook;
pub use compile::Playbook;
pub use contact::Contact;
pub use decision::{Decision, Outcome};
pub use owners::{Owner, Roster, Team};
pub use routing::RoutingState;
pub use validate::Problem;

use decision::{Disqualification, SlaPlan};
use evaluator::Evaluator;

/// Everything about the lead that a decision reads, besides the playbook, `now` and the state.
#[derive(Clone, Copy, Debug)]
pub struct DecideInput<'a> {
    pub contact: &'a Contact,
    pub roster: &'a Roster,
    /// Owners who already missed this lead's SLA (set by the worker when the ladder reassigns);
    /// they are never chosen again for it.
    pub missed_sla_by: &'a [String],
}

/// Decides one lead. Deterministic: the same inputs give the same decision and state.
pub fn decide(
    input: &DecideInput<'_>,
    playbook: &Playbook,
    now: Timestamp,
    state: &RoutingState,
) -> (Decision, RoutingState) {
    let mut next = state.clone();
    let decision = decide_in_place(input, playbook, now, &mut next);
    (decision, next)
}

/// The playbook's definitions applied: the flags (all, with whether each holds), the first
/// buying role that holds, and the disqualifiers that hold.
fn judge<'a>(
    pb: &'a Playbook,
    ev: &mut Evaluator<'a>,
    warnings: &mut Vec<String>,
) -> (Vec<(String, bool)>, Option<String>, Vec<Disqualification>) {
    let d = &pb.doc.definitions;
    let flags: Vec<(String, bool)> = d
        .flags
        .iter()
        .zip(&pb.flags)
        .map(|(f, cond)| (f.id.clone(), ev.holds(cond, &f.id, warnings)))
        .collect();
    ev.set_flags(flags.clone());
    let buying_role = d
        .buying_roles
        .iter()
        .zip(&pb.roles)
        .find(|(r, cond)| ev.holds(cond, &r.id, warnings));
    let buying_role = buying_role.map(|(r, _)| r.id.clone());
    if let Some(role) = &buying_role {
        ev.set_role(role);
    }
    let disqualified_by = d
        .disqualifiers
        .iter()
        .zip(&pb.disqualifiers)
        .filter(|(q, cond)| ev.holds(cond, &q.id, warnings))
        .map(|(q, _)| Disqualification {
            id: q.id.clone(),
            reason: q.reason.clone(),
        })
        .collect();
    (flags, buying_role, disqualified_by)
}

/// A ready lead routed to an owner, and its SLA plan (a warning says why there is none).
fn hand_off<'a>(
    pb: &'a Playbook,
    (input, tier, now): (&DecideInput<'_>, Option<&str>, Timestamp),
    ev: &mut Evaluator<'a>,
    state: &mut RoutingState,
    warnings: &mut Vec<String>,
) -> (routing::RoutingTrace, Option<SlaPlan>) {
    let c = input.contact;
    let r = &pb.doc.routing;
    let segment = routing::rules::segment_of(&r.segments, c, &r.fields);
    let route_input = routing::RouteInput {
        contact: c,
        roster: input.roster,
        missed_sla_by: input.missed_sla_by,
        tier,
        segment,
        now,
    };
    let trace = routing::route(pb, ev, &route_input, state, warnings);
    let sla_input = sla::SlaInput {
        tier,
        segment,
        assignment: &trace.assignment,
        roster: input.roster,
        handed_off_at: now,
    };
    let plan = match sla::plan(pb, &sla_input) {
        Ok(None) => {
            warnings.push("no SLA tier applies to this lead".to_string());
            None
        }
        Ok(plan) => plan,
        Err(e) => {
            warnings.push(format!("SLA not computed: {e}"));
            None
        }
    };
    (trace, plan)
}

/// [`decide`] updating the state in place (no copy of the state): for the worker's hot loop.
/// The state changes only when the lead is handed off.
pub fn decide_in_place(
    input: &DecideInput<'_>,
    playbook: &Playbook,
    now: Timestamp,
    state: &mut RoutingState,
) -> Decision {
    let pb = playbook;
    let c = input.contact;
    let mut warnings = Vec::new();
    let mut ev = Evaluator::new(pb, c, now, &mut warnings);
    let (flags, buying_role, disqualified_by) = judge(pb, &mut ev, &mut warnings);
    let score = scoring::score(pb, c, &mut ev, now, &mut warnings);
    let readiness = readiness::readiness(pb, c, &score);
    let outcome = if !disqualified_by.is_empty() {
        Outcome::Disqualified
    } else if readiness.ready {
        Outcome::HandOff
    } else {
        Outcome::NotReady
    };
    let (mut routing, mut sla) = (None, None);
    if outcome == Outcome::HandOff {
        let tier = score.tier.as_deref();
        let (trace, plan) = hand_off(pb, (input, tier, now), &mut ev, state, &mut warnings);
        (routing, sla) = (Some(trace), plan);
    }
    Decision {
        contact_id: c.id.clone(),
        decided_at: now,
        playbook: pb.doc.name.clone(),
        playbook_hash: pb.hash().to_string(),
        outcome,
        flags: flags.into_iter().filter(|f| f.1).map(|f| f.0).collect(),
        buying_role,
        disqualified_by,
        score,
        readiness,
        routing,
        sla,
        disposition: disposition::classify(pb, c),
        warnings,
    }
}
