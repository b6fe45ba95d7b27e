//! A decision as the ledger records it: the roster it was made against (HubSpot's view
//! applied), the decision entry, and for a handoff its owner, SLA ladder and rendered task. Used
//! by the batch (first decisions) and by SLA reassignments.

use std::sync::Arc;

use super::stored::{StoredPlan, StoredStep};
use super::task_text::{self, Rendering};
use super::touch::{self, ChangeWindow};
use super::{Rules, Run};
use crate::engine::playbook::LadderAction;
use crate::engine::{self, Decision, Outcome as Decided, Playbook, Roster};
use crate::hubspot::client::PortalId;
use crate::jobs::SlaAction;
use crate::store::ledger::{DecisionFacts, NewDecision, NewHandoff};

/// The roster with HubSpot's view applied: owners given by email alone get the id HubSpot
/// lists for that email (`engine::roster_live`), owners HubSpot does not list as assignable
/// (deactivated, archived, an unknown id, an email no active owner has) are inactive, and,
/// where the portal reads availability from HubSpot, away and out-of-office reps are marked so
/// (`availability.rs`). Without an answer from HubSpot, the roster as written, less the owners
/// given by email alone (no id to assign).
pub(crate) async fn live_roster(run: &Run<'_>, portal_id: PortalId) -> Arc<Roster> {
    let written = &run.rules.roster;
    let Ok(owners) = run.crm.assignable_owners(portal_id).await else {
        if !written.has_unresolved() {
            return written.clone();
        }
        let mut roster = (**written).clone();
        roster.park_unresolved();
        return Arc::new(roster);
    };
    let ids: std::collections::HashSet<String> = owners.iter().map(|o| o.id.to_string()).collect();
    let mut roster = (**written).clone();
    roster.resolve_emails(&super::roster_check::live_owners(&owners));
    let inactive: Vec<_> = roster
        .owners()
        .filter(|o| o.owner.active && !ids.contains(&o.owner.id))
        .map(|o| o.owner.clone())
        .collect();
    for mut owner in inactive {
        owner.active = false;
        roster.upsert(owner);
    }
    super::availability::apply_live(run, &mut roster, &owners, portal_id).await;
    Arc::new(roster)
}

/// Says in the explanation why a disqualified lead's score has no company part: `read.rs`
/// did not read the company of a lead a company-free disqualifier disqualifies.
pub(crate) fn note_company_not_read(
    d: &mut Decision,
    c: &engine::Contact,
    pb: &Playbook,
    now: jiff::Timestamp,
) {
    if c.company.is_none()
        && let Some(id) = pb.disqualified_without_company(c, now)
    {
        d.warnings.push(format!(
            "company not read: `{id}` disqualifies the lead whatever its company"
        ));
    }
}

pub(crate) fn outcome_name(o: Decided) -> &'static str {
    match o {
        Decided::HandOff => "handed_off",
        Decided::NotReady => "not_ready",
        Decided::Disqualified => "disqualified",
    }
}

/// What recording a decision reads besides the decision and the contact: the rules it was made
/// with and the portal's source property. The worker's runs and the demo's simulated history
/// (`demo::history`) record decisions through it alike.
#[derive(Clone, Copy)]
pub(crate) struct Recorder<'a> {
    pub(crate) rules: &'a Rules,
    /// `pipeline.source_property` ("" = not tracked).
    pub(crate) source_property: &'a str,
}

impl Run<'_> {
    pub(crate) fn recorder(&self) -> Recorder<'_> {
        Recorder {
            rules: &self.rules,
            source_property: &self.settings.source_property,
        }
    }
}

/// The ledger entry for one decision (and its handoff, when it hands off).
pub(crate) fn record(
    run: &Recorder<'_>,
    c: &engine::Contact,
    d: &Decision,
    trigger: String,
    window: ChangeWindow,
) -> NewDecision {
    let assignment = d.routing.as_ref().and_then(|r| r.assignment.as_ref());
    let owner = assignment.map(|a| a.owner_id);
    // A ready lead routing found no owner id for has no handoff: it counts as unassigned
    // (`unassigned_leads{stage="not_handed_off"}`) and is decided again on its next event.
    let handoff = match (assignment, d.outcome) {
        (Some(a), Decided::HandOff) => Some(new_handoff(run, c, d, a, window)),
        _ => None,
    };
    NewDecision {
        contact_id: c.id,
        decided_at_ms: d.decided_at.as_millisecond(),
        trigger,
        outcome: outcome_name(d.outcome).into(),
        owner_id: owner,
        explanation: serde_json::to_string(d).unwrap_or_else(|_| "{}".into()),
        facts: Some(facts(run, c, d)),
        handoff,
    }
}

/// The lead's source, read from the portal's source property (none when it names none).
fn source_of<'c>(run: &Recorder<'_>, c: &'c engine::Contact) -> Option<&'c str> {
    let source_property = run.source_property;
    (!source_property.is_empty())
        .then(|| c.get(source_property))
        .flatten()
}

/// What `d` was, as the ledger's columns (`handoff tune`), with the contact cut to what the
/// playbook reads for replays (`handoff simulate --playbook`).
pub(crate) fn facts(run: &Recorder<'_>, c: &engine::Contact, d: &Decision) -> DecisionFacts {
    use engine::routing::{StepResult, Via};
    let routing = d.routing.as_ref();
    let via = routing.and_then(|r| r.assignment.as_ref()).map(|a| &a.via);
    let route_kind = via.map(|v| match v {
        Via::Sticky => "sticky",
        Via::AccountMatch => "account_match",
        Via::RuleOwner { .. } => "rule_owner",
        Via::Pool { .. } => "pool",
        Via::TeamFallback { .. } => "team_fallback",
        Via::GlobalFallback => "global_fallback",
    });
    let route_pool = match via {
        Some(Via::Pool { pool, .. }) => Some(pool.clone()),
        _ => None,
    };
    // The first pool with no eligible member: the chain went on from it.
    let fallback_from = routing.and_then(|r| {
        r.steps.iter().find_map(|s| {
            (s.result == StepResult::Exhausted)
                .then(|| s.stage.strip_prefix("pool "))
                .flatten()
                .map(str::to_string)
        })
    });
    let score = &d.score;
    DecisionFacts {
        score_total: score.total,
        tier: score.tier.clone(),
        source: source_of(run, c).map(str::to_string),
        buying_role: d.buying_role.clone(),
        route_kind: route_kind.map(str::to_string),
        route_pool,
        fallback_from,
        rules: (score.fit.matched.iter().chain(&score.engagement.matched))
            .map(|h| h.id.clone())
            .collect(),
        contact: serde_json::to_string(&engine::snapshot::snapshot(c, &run.rules.playbook)).ok(),
    }
}

fn new_handoff(
    run: &Recorder<'_>,
    c: &engine::Contact,
    d: &Decision,
    a: &engine::routing::Assignment,
    window: ChangeWindow,
) -> NewHandoff {
    let plan = stored_plan(d, c, &run.rules.playbook, window);
    let source = source_of(run, c);
    let rendering = Rendering {
        rules: run.rules,
        source,
        owner_id: a.owner_id,
        owner_name: a.owner_name.as_deref(),
    };
    NewHandoff {
        owner_id: a.owner_id,
        team: a.team.clone(),
        score: d.score.total,
        tier: d.score.tier.clone(),
        sla_tier: d.sla.as_ref().map(|s| s.tier.clone()),
        source: source.map(str::to_string),
        trace_id: uuid::Uuid::now_v7().simple().to_string(),
        handed_off_at_ms: d.decided_at.as_millisecond(),
        sla_due_at_ms: d.sla.as_ref().map(|s| s.due_at.as_millisecond()),
        close_loop_due_ms: plan.close_loop_due_ms,
        sla_plan: serde_json::to_string(&plan).ok(),
        task_text: task_text::render(d, c, &rendering),
    }
}

/// The decision's SLA ladder as stored, with the disposition `c` already shows — unless the
/// run that decided it carried a change of that disposition (`window`): then it is news.
pub(crate) fn stored_plan(
    d: &Decision,
    c: &engine::Contact,
    playbook: &Playbook,
    window: ChangeWindow,
) -> StoredPlan {
    let disposition_at_handoff = engine::followup::disposition::classify(playbook, c)
        .filter(|_| window.changed_at_ms.is_none())
        .map(|d| (touch::outcome_name(d.outcome).to_owned(), d.reason));
    let Some(sla) = &d.sla else {
        return StoredPlan {
            disposition_at_handoff,
            window_start_ms: window.start_ms,
            ..StoredPlan::default()
        };
    };
    StoredPlan {
        disposition_at_handoff,
        window_start_ms: window.start_ms,
        ladder: sla
            .ladder
            .iter()
            .map(|s| StoredStep {
                action: match s.action {
                    LadderAction::Remind => SlaAction::Remind,
                    LadderAction::Escalate => SlaAction::Escalate,
                    LadderAction::Reassign => SlaAction::Reassign,
                    LadderAction::FallbackQueue => SlaAction::FallbackQueue,
                },
                at_ms: s.at.as_millisecond(),
            })
            .collect(),
        close_loop_due_ms: sla.close_loop_due.map(|t| t.as_millisecond()),
    }
}
