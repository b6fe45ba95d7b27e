//! handoff's lead engine, the pure stage of the pipe (worker → **engine** → decision): playbook
//! in, decision out. No I/O, clock or randomness: `now`, the roster and the routing state are
//! inputs; the new state is an output. The crate depends on no tokio, sqlx or reqwest, so that
//! purity is a compile error, not a review rule (docs/architecture.md "Crates").
//!
//! # Layout
//! - [`decide`] (here): one lead through flags, buying role, disqualifiers, scoring,
//!   readiness, routing and SLA, into a [`Decision`] that carries its explanation.
//! - [`contact`]: the input about one lead; `decision`: the output.
//! - [`playbook`]: the playbook as written in TOML, its structural validation, compilation
//!   (CEL, calendars, durations, hash) and the admin's pre-flight check.
//! - `conditions`: CEL conditions, their native fast path and the per-decision evaluator.
//! - `scoring`: fit and engagement points, tiers, readiness gates.
//! - [`roster`]: owners and teams, and the roster against HubSpot's owners list.
//! - [`routing`]: who gets a ready lead (sticky, account match, rules, pools, fallbacks).
//! - [`calendar`]: business calendars, weekly hours, business durations.
//! - `sla`: the SLA tier and its escalation ladder.
//! - [`followup`]: what a handoff creates besides the owner: task text, Lead record,
//!   sequence, templated properties; and the dispositions sales records afterwards.
//! - [`explain`]: decisions as text, and two playbooks compared (`handoff simulate`).
//! - [`snapshot`]: the contact cut to what the playbook reads, recorded for replays.
//!
//! Items are `pub(crate)` unless the service uses them across the crate edge.

#![warn(unreachable_pub)]
pub mod calendar;
pub(crate) mod conditions;
pub mod contact;
pub(crate) mod decision;
pub mod explain;
pub mod followup;
pub mod playbook;
pub mod roster;
pub mod routing;
pub(crate) mod scoring;
pub(crate) mod sla;
pub mod snapshot;

#[cfg(test)]
pub(crate) mod tests;

// Native vs interpreter agreement: for the property tests and the `cel_compile` fuzz target
// (`cargo fuzz` builds with `--cfg fuzzing`), never in the product.
#[cfg(any(test, fuzzing))]
pub use conditions::agreement;

use jiff::Timestamp;

pub use contact::Contact;
pub use decision::{Decision, Outcome};
pub use playbook::check::{check_playbook, unknown_owner_references};
pub use playbook::compile::Playbook;
pub use playbook::validate::Problem;
pub use roster::{Owner, Roster, Team};
pub use routing::RoutingState;

use conditions::evaluator::Evaluator;
use decision::{Disqualification, SlaPlan};
use followup::disposition;
use scoring::readiness;

/// Everything about the lead that a decision reads, besides the playbook, `now` and the state.
#[derive(Clone, Copy, Debug)]
pub struct DecideInput<'a> {
    pub contact: &'a Contact,
    pub roster: &'a Roster,
    /// Owners who already missed this lead's SLA (set by the worker when the ladder reassigns);
    /// they are never chosen again for it.
    pub missed_sla_by: &'a [handoff_ids::OwnerId],
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

/// A ready lead routed to an owner, and its SLA plan (a warning says why there is none: no
/// tier applies, the time arithmetic failed, or routing found no owner id to assign).
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
    let Some(assignment) = &trace.assignment else {
        warnings.push("no owner to assign, so no SLA: see the routing steps".to_string());
        return (trace, None);
    };
    let sla_input = sla::SlaInput {
        tier,
        segment,
        assignment,
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
        contact_id: c.id,
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
