//! The fallback chain: a rule's pool, then each pool's `fallback_pool` (cycle-safe), then the
//! first pool's team fallback owner, then the global fallback queue owner, who is assigned
//! whatever their availability — as long as there is an owner id to assign: a global fallback
//! owner given by email that HubSpot has not resolved leaves the lead without an owner (a step
//! says so; `handoff doctor` and the start-up check warn about it), never assigned the email.

use std::collections::BTreeSet;

use super::availability::Checks;
use super::round_robin::pick;
use super::{
    Assignment, Candidate, RouteInput, RouteStep, RoutingState, RoutingTrace, StepResult, Via,
    excluded, step,
};
use crate::playbook::PoolDoc;
use crate::playbook::compile::Playbook;

pub(crate) fn pool_chain(
    pb: &Playbook,
    input: &RouteInput<'_>,
    state: &mut RoutingState,
    mut steps: Vec<RouteStep>,
    first: Option<&str>,
    rule: Option<&str>,
) -> RoutingTrace {
    let pools = &pb.doc.routing.pools;
    let mut visited = BTreeSet::new();
    let mut cursor = first;
    while let Some(id) = cursor {
        let Some(pool) = pools.get(id).filter(|_| visited.insert(id.to_string())) else {
            break;
        };
        let (step, chosen) = pick_in(id, pool, input, state);
        steps.push(step);
        if let Some(owner) = chosen {
            let via = Via::Pool {
                pool: id.to_string(),
                rule: rule.map(str::to_string),
            };
            return finish(input, state, steps, &owner, via, Some(pool.team.clone()));
        }
        cursor = pool.fallback_pool.as_deref();
    }
    let first_team = first.and_then(|p| pools.get(p)).map(|p| p.team.as_str());
    if let Some(team) = first_team.and_then(|t| input.roster.team(t))
        && let Some(fb) = &team.fallback_owner
    {
        match input.exclusion(fb, Checks::default(), state) {
            None => {
                steps.push(step(
                    "team fallback",
                    StepResult::Assigned,
                    format!("team {} fallback owner", team.id),
                ));
                let via = Via::TeamFallback {
                    team: team.id.clone(),
                };
                return finish(input, state, steps, fb, via, Some(team.id.clone()));
            }
            Some(why) => steps.push(excluded(
                "team fallback".into(),
                StepResult::Exhausted,
                format!("team {} fallback owner unavailable", team.id),
                (fb, why),
            )),
        }
    }
    global(pb, input, state, steps)
}

/// Weighted round-robin among the pool's eligible members: the step that records every
/// candidate, and the owner picked (`None` when no member is eligible).
fn pick_in(
    id: &str,
    pool: &PoolDoc,
    input: &RouteInput<'_>,
    state: &mut RoutingState,
) -> (RouteStep, Option<String>) {
    let checks = Checks {
        working_hours: pool.respect_working_hours,
        max_per_day: pool.max_per_day,
        max_per_week: pool.max_per_week,
    };
    let candidates: Vec<Candidate> = pool
        .members
        .iter()
        .map(|m| Candidate {
            owner_id: m.owner.clone(),
            weight: m.weight,
            excluded: input.exclusion(&m.owner, checks, state),
        })
        .collect();
    let members: Vec<&str> = pool.members.iter().map(|m| m.owner.as_str()).collect();
    let eligible: Vec<(&str, u32)> = candidates
        .iter()
        .filter(|c| c.excluded.is_none())
        .map(|c| (c.owner_id.as_str(), c.weight))
        .collect();
    let ps = state.pools.entry(id.to_string()).or_default();
    let chosen = pick(&mut ps.credits, &members, &eligible);
    let (result, detail) = match (&chosen, pool.fallback_pool.as_deref()) {
        (Some(_), _) => {
            ps.picks = ps.picks.saturating_add(1);
            let detail = format!(
                "weighted round-robin among {} of {} members",
                eligible.len(),
                members.len()
            );
            (StepResult::Assigned, detail)
        }
        (None, Some(n)) => (
            StepResult::Exhausted,
            format!("no eligible member; next pool {n}"),
        ),
        (None, None) => (StepResult::Exhausted, "no eligible member".to_string()),
    };
    let step = RouteStep {
        stage: format!("pool {id}"),
        result,
        detail,
        candidates,
    };
    (step, chosen)
}

pub(crate) fn global(
    pb: &Playbook,
    input: &RouteInput<'_>,
    state: &mut RoutingState,
    mut steps: Vec<RouteStep>,
) -> RoutingTrace {
    let reference = &pb.doc.routing.fallback_owner;
    let in_roster = input.roster.owner(reference).is_some();
    let (result, detail) = match (in_roster, input.roster.assignable_id(reference)) {
        (true, Some(_)) => (StepResult::Assigned, "global fallback queue owner".into()),
        (false, Some(id)) => (
            StepResult::Assigned,
            format!("global fallback queue owner {id} (not in roster)"),
        ),
        (true, None) => (
            StepResult::Unassigned,
            format!(
                "global fallback queue owner {reference} has no HubSpot owner id (given by \
                 email, not resolved): the lead stays without an owner (see `handoff doctor`)"
            ),
        ),
        (false, None) => (
            StepResult::Unassigned,
            format!(
                "global fallback queue owner `{reference}` is neither in the roster nor an \
                 owner id: the lead stays without an owner"
            ),
        ),
    };
    let unassigned = result == StepResult::Unassigned;
    steps.push(step("global fallback", result, detail));
    if unassigned {
        return RoutingTrace {
            steps,
            assignment: None,
        };
    }
    finish(input, state, steps, reference, Via::GlobalFallback, None)
}

/// Records the handoff against the owner's capacity and builds the trace. `reference` names
/// the owner as the playbook or roster does (an id, or the email of an owner given by email):
/// what is assigned is its HubSpot owner id, never the email; without one (only an unresolved
/// fallback owner gets here without being excluded), nobody is.
pub(crate) fn finish(
    input: &RouteInput<'_>,
    state: &mut RoutingState,
    mut steps: Vec<RouteStep>,
    reference: &str,
    via: Via,
    team: Option<String>,
) -> RoutingTrace {
    let owner = input.roster.owner(reference);
    let Some(owner_id) = input.roster.assignable_id(reference) else {
        steps.push(step(
            "owner",
            StepResult::Unassigned,
            format!("owner {reference} has no HubSpot owner id: the lead stays without an owner"),
        ));
        return RoutingTrace {
            steps,
            assignment: None,
        };
    };
    let tz = owner
        .map(|o| o.tz.clone())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    state.record(owner_id, &tz, input.now);
    if matches!(via, Via::Sticky | Via::AccountMatch | Via::RuleOwner { .. }) {
        let stage = match &via {
            Via::Sticky => "sticky",
            Via::AccountMatch => "account match",
            _ => "rule owner",
        };
        steps.push(step(
            stage,
            StepResult::Assigned,
            format!("owner {owner_id}"),
        ));
    }
    let team = team.or_else(|| owner.and_then(|o| o.owner.teams.first().cloned()));
    RoutingTrace {
        steps,
        assignment: Some(Assignment {
            owner_id,
            owner_name: owner.map(|o| o.owner.name.clone()),
            team,
            via,
        }),
    }
}
