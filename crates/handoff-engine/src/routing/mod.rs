//! Routing: who gets a ready lead. In order: keep the current owner (sticky), the company's
//! owner (account match), the first matching rule (territory, segment, tier, condition) to a
//! pool or owner, then the fallback chain (next pool → team fallback owner → global fallback
//! queue owner). A ready lead ends with an owner unless the global fallback owner has no HubSpot
//! owner id (given by email, not resolved): then it has none, and the last step says why. An
//! email is never assigned as an owner id. Every step is recorded.

pub(crate) mod availability;
pub(crate) mod fallback;
pub(crate) mod round_robin;
pub(crate) mod rules;
pub(crate) mod state;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_unresolved;

use handoff_ids::OwnerId;
use jiff::Timestamp;
use serde::Serialize;

pub use availability::Exclusion;
pub use state::RoutingState;

use crate::conditions::evaluator::Evaluator;
use crate::contact::Contact;
use crate::playbook::compile::Playbook;
use crate::roster::Roster;
use availability::{Checks, exclusion};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoutingTrace {
    pub steps: Vec<RouteStep>,
    /// `None` when the chain ended at a fallback owner with no HubSpot owner id
    /// ([`StepResult::Unassigned`]): the lead stays without an owner.
    pub assignment: Option<Assignment>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RouteStep {
    /// e.g. "sticky", "rule dach-enterprise", "pool dach-ae", "team fallback", "global fallback".
    pub stage: String,
    pub result: StepResult,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepResult {
    Assigned,
    Matched,
    NoMatch,
    Skipped,
    Exhausted,
    /// The chain ended at an owner with no HubSpot owner id: nobody is assigned.
    Unassigned,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub owner_id: String,
    pub weight: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Exclusion>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub owner_id: OwnerId,
    pub owner_name: Option<String>,
    pub team: Option<String>,
    pub via: Via,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Via {
    Sticky,
    AccountMatch,
    RuleOwner { rule: String },
    Pool { pool: String, rule: Option<String> },
    TeamFallback { team: String },
    GlobalFallback,
}

/// What routing needs besides the playbook and the state.
pub(crate) struct RouteInput<'a> {
    pub contact: &'a Contact,
    pub roster: &'a Roster,
    pub missed_sla_by: &'a [OwnerId],
    pub tier: Option<&'a str>,
    pub segment: Option<&'a str>,
    pub now: Timestamp,
}

impl RouteInput<'_> {
    /// Why `owner_id` cannot take this lead now, or `None` when they can.
    pub(crate) fn exclusion(
        &self,
        owner_id: &str,
        checks: Checks,
        state: &RoutingState,
    ) -> Option<Exclusion> {
        exclusion(
            self.roster.owner(owner_id),
            self.now,
            self.missed_sla_by,
            checks,
            state,
        )
    }
}

pub(crate) fn route<'a>(
    pb: &'a Playbook,
    ev: &mut Evaluator<'a>,
    input: &RouteInput<'_>,
    state: &mut RoutingState,
    warnings: &mut Vec<String>,
) -> RoutingTrace {
    let mut steps = Vec::new();
    let r = &pb.doc.routing;
    if let Some((id, via)) = keep_current(r, input, state, &mut steps) {
        return fallback::finish(input, state, steps, id, via, None);
    }
    for (i, rule) in r.rules.iter().enumerate() {
        let label = format!("rule {}", rule.id);
        let miss = rules::miss(r, rule, input).or_else(|| {
            let when = pb.route_when.get(i).and_then(Option::as_ref);
            when.is_some_and(|c| !ev.holds(c, &label, warnings))
                .then(|| "condition did not hold".to_string())
        });
        if let Some(why) = miss {
            steps.push(step(&label, StepResult::NoMatch, why));
            continue;
        }
        steps.push(step(&label, StepResult::Matched, describe(rule)));
        return match &rule.owner {
            Some(owner) => to_rule_owner(pb, input, state, steps, (&rule.id, owner)),
            None => {
                let pool = rule.pool.as_deref();
                fallback::pool_chain(pb, input, state, steps, pool, Some(&rule.id))
            }
        };
    }
    steps.push(step(
        "rules",
        StepResult::NoMatch,
        "no routing rule matched".into(),
    ));
    fallback::pool_chain(pb, input, state, steps, r.default_pool.as_deref(), None)
}

/// Sticky, then account match: the owner the contact (or its company) already has, when they
/// can keep it. Each enabled step that does not keep is recorded.
fn keep_current<'c>(
    r: &crate::playbook::RoutingDoc,
    input: &RouteInput<'c>,
    state: &RoutingState,
    steps: &mut Vec<RouteStep>,
) -> Option<(&'c str, Via)> {
    let existing = [
        (
            r.sticky,
            "sticky",
            input.contact.get(&r.fields.owner),
            Via::Sticky,
        ),
        (
            r.account_match,
            "account match",
            input.contact.company_get(&r.fields.owner),
            Via::AccountMatch,
        ),
    ];
    for (enabled, stage, id, via) in existing {
        if !enabled {
            continue;
        }
        let Some(id) = id else {
            steps.push(step(stage, StepResult::NoMatch, "no owner set".into()));
            continue;
        };
        match input.exclusion(id, Checks::default(), state) {
            None => return Some((id, via)),
            Some(why) => steps.push(excluded(
                stage.into(),
                StepResult::Skipped,
                format!("current owner {id} cannot keep it"),
                (id, why),
            )),
        }
    }
    None
}

/// A matched rule that names an owner: that owner when available in working hours, else
/// straight to the global fallback.
fn to_rule_owner(
    pb: &Playbook,
    input: &RouteInput<'_>,
    state: &mut RoutingState,
    mut steps: Vec<RouteStep>,
    (rule, owner): (&str, &str),
) -> RoutingTrace {
    let checks = Checks {
        working_hours: true,
        ..Checks::default()
    };
    let Some(why) = input.exclusion(owner, checks, state) else {
        let via = Via::RuleOwner {
            rule: rule.to_string(),
        };
        return fallback::finish(input, state, steps, owner, via, None);
    };
    steps.push(excluded(
        format!("owner {owner}"),
        StepResult::Exhausted,
        "rule owner unavailable".into(),
        (owner, why),
    ));
    fallback::global(pb, input, state, steps)
}

fn describe(rule: &crate::playbook::RouteRuleDoc) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &rule.territory {
        parts.push(format!("territory {t}"));
    }
    if let Some(s) = &rule.segment {
        parts.push(format!("segment {s}"));
    }
    if !rule.score_tiers.is_empty() {
        parts.push(format!("tier in [{}]", rule.score_tiers.join(", ")));
    }
    if let Some(w) = &rule.when {
        parts.push(format!("when `{w}`"));
    }
    let target = rule
        .pool
        .as_ref()
        .map(|p| format!("pool {p}"))
        .or_else(|| rule.owner.as_ref().map(|o| format!("owner {o}")));
    format!(
        "{} → {}",
        if parts.is_empty() {
            "always".into()
        } else {
            parts.join(", ")
        },
        target.unwrap_or_default()
    )
}

pub(crate) fn step(stage: &str, result: StepResult, detail: String) -> RouteStep {
    RouteStep {
        stage: stage.to_string(),
        result,
        detail,
        candidates: Vec::new(),
    }
}

/// A step about one owner who was passed over, and why.
pub(crate) fn excluded(
    stage: String,
    result: StepResult,
    detail: String,
    (owner_id, why): (&str, Exclusion),
) -> RouteStep {
    RouteStep {
        stage,
        result,
        detail,
        candidates: vec![Candidate {
            owner_id: owner_id.to_string(),
            weight: 1,
            excluded: Some(why),
        }],
    }
}
