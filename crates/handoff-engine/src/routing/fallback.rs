//! The fallback chain: a rule's pool, then each pool's `fallback_pool` (cycle-safe), then the
//! first pool's team fallback owner, then the global fallback queue owner, who is assigned
//! whatever their availability: a ready lead is never left without an owner.

use std::collections::BTreeSet;

use super::availability::{Checks, exclusion};
use super::round_robin::pick;
use super::{
    Assignment, Candidate, RouteInput, RouteStep, RoutingState, RoutingTrace, StepResult, Via, step,
};
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
    let first_team = first.and_then(|p| pools.get(p)).map(|p| p.team.clone());
    while let Some(id) = cursor {
        let Some(pool) = pools.get(id).filter(|_| visited.insert(id.to_string())) else {
            break;
        };
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
                excluded: exclusion(
                    input.roster.owner(&m.owner),
                    input.now,
                    input.missed_sla_by,
                    checks,
                    state,
                ),
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
        if let Some(owner) = chosen {
            ps.picks = ps.picks.saturating_add(1);
            let detail = format!(
                "weighted round-robin among {} of {} members",
                eligible.len(),
                members.len()
            );
            steps.push(RouteStep {
                stage: format!("pool {id}"),
                result: StepResult::Assigned,
                detail,
                candidates,
            });
            let via = Via::Pool {
                pool: id.to_string(),
                rule: rule.map(str::to_string),
            };
            return finish(input, state, steps, &owner, via, Some(pool.team.clone()));
        }
        let next = pool.fallback_pool.as_deref();
        let detail = match next {
            Some(n) => format!("no eligible member; next pool {n}"),
            None => "no eligible member".to_string(),
        };
        steps.push(RouteStep {
            stage: format!("pool {id}"),
            result: StepResult::Exhausted,
            detail,
            candidates,
        });
        cursor = next;
    }
    if let Some(team) = first_team.as_deref().and_then(|t| input.roster.team(t))
        && let Some(fb) = &team.fallback_owner
    {
        let why = exclusion(
            input.roster.owner(fb),
            input.now,
            input.missed_sla_by,
            Checks::default(),
            state,
        );
        match why {
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
            Some(why) => steps.push(RouteStep {
                stage: "team fallback".into(),
                result: StepResult::Exhausted,
                detail: format!("team {} fallback owner unavailable", team.id),
                candidates: vec![Candidate {
                    owner_id: fb.clone(),
                    weight: 1,
                    excluded: Some(why),
                }],
            }),
        }
    }
    global(pb, input, state, steps)
}

pub(crate) fn global(
    pb: &Playbook,
    input: &RouteInput<'_>,
    state: &mut RoutingState,
    mut steps: Vec<RouteStep>,
) -> RoutingTrace {
    let id = &pb.doc.routing.fallback_owner;
    let detail = match input.roster.owner(id) {
        Some(_) => "global fallback queue owner".to_string(),
        None => format!("global fallback queue owner {id} (not in roster)"),
    };
    steps.push(step("global fallback", StepResult::Assigned, detail));
    finish(input, state, steps, id, Via::GlobalFallback, None)
}

/// Records the handoff against the owner's capacity and builds the trace.
pub(crate) fn finish(
    input: &RouteInput<'_>,
    state: &mut RoutingState,
    mut steps: Vec<RouteStep>,
    owner_id: &str,
    via: Via,
    team: Option<String>,
) -> RoutingTrace {
    let owner = input.roster.owner(owner_id);
    // A pool or team may name an owner by email (given by email alone in the roster): what is
    // assigned is the HubSpot id it resolved to (the roster key), never the email.
    let owner_id = owner.map_or(owner_id, |o| o.owner.key());
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
        assignment: Assignment {
            owner_id: owner_id.to_string(),
            owner_name: owner.map(|o| o.owner.name.clone()),
            team,
            via,
        },
    }
}
