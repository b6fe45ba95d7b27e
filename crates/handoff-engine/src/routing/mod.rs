//! Routing: who gets a ready lead. In order: keep the current owner (sticky), the company's
//! owner (account match), the first matching rule (territory, segment, tier, condition) to a
//! pool or owner, then the fallback chain (next pool → team fallback owner → global fallback
//! queue owner). A ready lead always ends with an owner; every step is recorded.

pub(crate) mod availability;
pub(crate) mod fallback;
pub(crate) mod round_robin;
pub(crate) mod rules;
pub(crate) mod state;
#[cfg(test)]
mod tests;

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
    pub assignment: Assignment,
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
    pub owner_id: String,
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
    pub missed_sla_by: &'a [String],
    pub tier: Option<&'a str>,
    pub segment: Option<&'a str>,
    pub now: Timestamp,
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
    let keep_checks = Checks::default();
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
        match exclusion(
            input.roster.owner(id),
            input.now,
            input.missed_sla_by,
            keep_checks,
            state,
        ) {
            None => return fallback::finish(input, state, steps, id, via, None),
            Some(why) => steps.push(RouteStep {
                stage: stage.into(),
                result: StepResult::Skipped,
                detail: format!("current owner {id} cannot keep it"),
                candidates: vec![Candidate {
                    owner_id: id.to_string(),
                    weight: 1,
                    excluded: Some(why),
                }],
            }),
        }
    }
    for (i, rule) in r.rules.iter().enumerate() {
        let label = format!("rule {}", rule.id);
        let territory_ok = rule.territory.as_ref().is_none_or(|t| {
            r.territories
                .get(t)
                .is_some_and(|t| rules::territory_matches(t, input.contact, &r.fields))
        });
        let segment_ok = rule
            .segment
            .as_ref()
            .is_none_or(|s| input.segment == Some(s.as_str()));
        let tier_ok = rule.score_tiers.is_empty()
            || input
                .tier
                .is_some_and(|t| rule.score_tiers.iter().any(|x| x == t));
        let miss = if !territory_ok {
            Some(format!(
                "outside territory {}",
                rule.territory.as_deref().unwrap_or_default()
            ))
        } else if !segment_ok {
            let seg = input.segment.unwrap_or("none");
            Some(format!(
                "segment {seg}, not {}",
                rule.segment.as_deref().unwrap_or_default()
            ))
        } else if !tier_ok {
            Some(format!(
                "tier {}, not in [{}]",
                input.tier.unwrap_or("none"),
                rule.score_tiers.join(", ")
            ))
        } else if pb
            .route_when
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(|c| !ev.holds(c, &label, warnings))
        {
            Some("condition did not hold".to_string())
        } else {
            None
        };
        if let Some(why) = miss {
            steps.push(step(&label, StepResult::NoMatch, why));
            continue;
        }
        steps.push(step(&label, StepResult::Matched, describe(rule)));
        if let Some(owner) = &rule.owner {
            let checks = Checks {
                working_hours: true,
                ..Checks::default()
            };
            match exclusion(
                input.roster.owner(owner),
                input.now,
                input.missed_sla_by,
                checks,
                state,
            ) {
                None => {
                    return fallback::finish(
                        input,
                        state,
                        steps,
                        owner,
                        Via::RuleOwner {
                            rule: rule.id.clone(),
                        },
                        None,
                    );
                }
                Some(why) => {
                    steps.push(RouteStep {
                        stage: format!("owner {owner}"),
                        result: StepResult::Exhausted,
                        detail: "rule owner unavailable".into(),
                        candidates: vec![Candidate {
                            owner_id: owner.clone(),
                            weight: 1,
                            excluded: Some(why),
                        }],
                    });
                    return fallback::global(pb, input, state, steps);
                }
            }
        }
        return fallback::pool_chain(
            pb,
            input,
            state,
            steps,
            rule.pool.as_deref(),
            Some(&rule.id),
        );
    }
    steps.push(step(
        "rules",
        StepResult::NoMatch,
        "no routing rule matched".into(),
    ));
    fallback::pool_chain(pb, input, state, steps, r.default_pool.as_deref(), None)
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
