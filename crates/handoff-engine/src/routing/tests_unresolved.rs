//! Owners without a HubSpot owner id (given by email, not resolved) are never assigned: the
//! fallback chain skips them, and a global fallback owner without one leaves the lead without
//! an owner, saying so, rather than assigning the email.

use handoff_ids::OwnerId;

use crate::roster::live::LiveOwner;
use crate::routing::{Exclusion, StepResult, Via};
use crate::tests::{default_section, example, ts};
use crate::*;

const QUEUE: &str = "lead-queue@example.com";
const SUNDAY_NIGHT: &str = "2026-11-29T03:00:00Z";

/// The example playbook and roster with the queue owner (900, global and inbound team
/// fallback) given by its email alone, and `fallback_owner` naming it by that email.
fn queue_by_email() -> (Playbook, Roster) {
    let (pb, _, _) = example();
    let text = crate::tests::playbook_text().replace(
        "fallback_owner = \"900\"",
        &format!("fallback_owner = \"{QUEUE}\""),
    );
    let pb = Playbook::from_toml_str(&text).unwrap_or(pb);
    let roster_text = default_section("roster")
        .replace("id = \"900\"\n", "")
        .replace(
            "fallback_owner = \"900\"",
            &format!("fallback_owner = \"{QUEUE}\""),
        );
    let roster = Roster::from_toml_str(&roster_text).unwrap_or_else(|p| unreachable!("{p:#?}"));
    assert!(roster.owner(QUEUE).is_some_and(|o| o.id.is_none()));
    (pb, roster)
}

/// Everyone the UK lead 51002 could go to, paused: only the global fallback remains.
fn all_paused(roster: &Roster) -> Roster {
    let mut r = roster.clone();
    for id in ["104", "202", "302", "201", "200"] {
        if let Some(o) = r.owner(id) {
            let mut o = o.owner.clone();
            o.paused = true;
            r.upsert(o);
        }
    }
    r
}

fn decide_uk(pb: &Playbook, roster: &Roster, state: &RoutingState) -> (Decision, RoutingState) {
    let (_, _, cs) = example();
    let c = cs.iter().find(|c| c.id.get() == 51002).cloned();
    let c = c.unwrap_or_else(|| unreachable!("fixture 51002"));
    let input = DecideInput {
        contact: &c,
        roster,
        missed_sla_by: &[],
    };
    decide(&input, pb, ts(SUNDAY_NIGHT), state)
}

#[test]
fn a_global_fallback_owner_hubspot_never_resolved_leaves_the_lead_without_an_owner() {
    let (pb, roster) = queue_by_email();
    let (d, state) = decide_uk(&pb, &all_paused(&roster), &RoutingState::default());
    assert_eq!(d.outcome, Outcome::HandOff, "still a ready lead: {d}");
    let trace = d.routing.as_ref().unwrap_or_else(|| unreachable!());
    assert_eq!(trace.assignment, None, "the email is never assigned: {d}");
    let last = trace.steps.last().unwrap_or_else(|| unreachable!());
    assert_eq!(
        (last.stage.as_str(), last.result),
        ("global fallback", StepResult::Unassigned)
    );
    assert!(last.detail.contains(QUEUE) && last.detail.contains("no HubSpot owner id"));
    assert!(d.sla.is_none());
    assert!(d.warnings.iter().any(|w| w.contains("no owner to assign")));
    assert!(state.load.is_empty(), "no capacity counted for nobody");
    let text = d.to_string();
    assert!(text.contains("NO OWNER"), "{text}");
    assert!(!text.contains(&format!("Owner {QUEUE}")), "{text}");
    let json = serde_json::to_value(&d).unwrap_or_default();
    assert_eq!(json["routing"]["assignment"], serde_json::Value::Null);
    assert_eq!(
        json["routing"]["steps"].as_array().unwrap().last().unwrap()["result"],
        "unassigned"
    );
}

#[test]
fn a_team_fallback_owner_without_an_id_is_passed_over_with_the_reason() {
    let (pb, mut roster) = queue_by_email();
    // Team uk (the first pool's) falls back to the queue, named by its email.
    let mut uk = roster.team("uk").cloned().unwrap_or_default();
    uk.fallback_owner = Some(QUEUE.to_string());
    roster.upsert_team(uk);
    let (d, _) = decide_uk(&pb, &all_paused(&roster), &RoutingState::default());
    let steps = d
        .routing
        .as_ref()
        .map(|r| r.steps.clone())
        .unwrap_or_default();
    let team = steps.iter().find(|s| s.stage == "team fallback");
    let team = team.unwrap_or_else(|| unreachable!("{d}"));
    assert_eq!(team.result, StepResult::Exhausted);
    assert_eq!(team.candidates[0].owner_id, QUEUE);
    assert_eq!(team.candidates[0].excluded, Some(Exclusion::Unresolved));
    let text = d.to_string();
    assert!(
        text.contains("excluded: no HubSpot owner id (given by email, not resolved)"),
        "{text}"
    );
    assert_eq!(d.routing.and_then(|r| r.assignment), None);
}

#[test]
fn once_hubspot_resolves_the_fallback_owner_it_is_assigned_by_its_id() {
    let (pb, mut roster) = queue_by_email();
    let live: Vec<LiveOwner> = roster
        .owners()
        .map(|o| LiveOwner {
            id: o.id.or(OwnerId::new(900)).unwrap_or_else(|| unreachable!()),
            email: Some(o.owner.email.clone()),
            assignable: true,
            archived: false,
        })
        .collect();
    roster.resolve_emails(&live);
    let (d, state) = decide_uk(&pb, &all_paused(&roster), &RoutingState::default());
    let a = d.routing.and_then(|r| r.assignment);
    let a = a.unwrap_or_else(|| unreachable!());
    assert_eq!((a.owner_id.get(), a.via), (900, Via::GlobalFallback));
    assert_eq!(
        state.load.keys().map(|o| o.get()).collect::<Vec<_>>(),
        [900]
    );
}

/// The target of the ladder's fallback-queue step when lead 51002 is handed off on Monday
/// morning (routed normally: only that step names the queue).
fn queue_target(pb: &Playbook, roster: &Roster) -> Option<String> {
    let (_, _, cs) = example();
    let c = cs.iter().find(|c| c.id.get() == 51002).cloned();
    let c = c.unwrap_or_else(|| unreachable!());
    let input = DecideInput {
        contact: &c,
        roster,
        missed_sla_by: &[],
    };
    let (d, _) = decide(
        &input,
        pb,
        ts("2026-11-30T09:00:00Z"),
        &RoutingState::default(),
    );
    let sla = d.sla.unwrap_or_else(|| unreachable!());
    let step = sla
        .ladder
        .into_iter()
        .find(|s| s.action == playbook::LadderAction::FallbackQueue);
    step.unwrap_or_else(|| unreachable!()).target
}

#[test]
fn the_ladder_names_the_fallback_queue_by_id_and_no_one_while_it_has_none() {
    let (pb, roster) = queue_by_email();
    assert_eq!(queue_target(&pb, &roster), None, "never the email");
    let (pb, roster, _) = example();
    assert_eq!(queue_target(&pb, &roster).as_deref(), Some("900"));
}

#[test]
fn a_numeric_fallback_owner_not_in_the_roster_is_assigned_as_that_owner_id() {
    let (_, roster, _) = example();
    let text = crate::tests::playbook_text()
        .replace("fallback_owner = \"900\"", "fallback_owner = \"950\"");
    let pb = Playbook::from_toml_str(&text).unwrap_or_else(|p| unreachable!("{p:#?}"));
    let (d, _) = decide_uk(&pb, &all_paused(&roster), &RoutingState::default());
    let a = d
        .routing
        .and_then(|r| r.assignment)
        .unwrap_or_else(|| unreachable!());
    assert_eq!((a.owner_id.get(), a.via), (950, Via::GlobalFallback));
}
