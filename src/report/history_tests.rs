use super::*;
use crate::report::fixtures::{HOUR, T0};

/// A handoff reassigned from 103 (who missed its SLA) to 104, and an owner the roster lacks.
fn history(owner: &str) -> History {
    let handoff = HandoffRow {
        id: 1,
        portal_id: handoff_ids::PortalId::new(62515).unwrap(),
        contact_id: handoff_ids::ContactId::new(7).unwrap(),
        status: "open".into(),
        step: crate::store::ledger::Step::TaskCreated,
        owner_id: owner.parse().unwrap(),
        team: Some("dach".into()),
        score: 80,
        tier: Some("A".into()),
        sla_tier: Some("hot".into()),
        source: Some("webinar".into()),
        trace_id: "t".into(),
        task_id: handoff_ids::TaskId::new(2002),
        task_attempted_at_ms: None,
        handed_off_at_ms: T0,
        sla_due_at_ms: Some(T0 + HOUR),
        close_loop_due_ms: None,
        sla_plan: None,
        task_text: None,
        first_touch_at_ms: None,
        sla_met: None,
        escalations: 1,
        reassignments: 1,
        missed_by: r#"["103"]"#.into(),
        disposition: None,
        disposition_reason: None,
        disposition_at_ms: None,
        deal_amount: None,
        updated_at_ms: T0,
    };
    let decision = DecisionRow {
        id: 1,
        portal_id: handoff_ids::PortalId::new(62515).unwrap(),
        contact_id: handoff_ids::ContactId::new(7).unwrap(),
        decided_at_ms: T0,
        trigger: "contact.creation".into(),
        outcome: "handed_off".into(),
        owner_id: Some("103".parse().unwrap()),
        explanation: "{}".into(),
    };
    History {
        portal_id: handoff_ids::PortalId::new(62515).unwrap(),
        contact_id: handoff_ids::ContactId::new(7).unwrap(),
        handoff: Some(handoff),
        sequence: None,
        lead: None,
        decisions: vec![decision],
        slack: (Vec::new(), Vec::new()),
        names: BTreeMap::new(),
    }
}

/// The shipped roster (`config/default.toml` `[roster]`).
fn roster() -> Roster {
    let all: toml::Table = toml::from_str(crate::config::DEFAULT_TOML).unwrap();
    let text = toml::to_string(&all["roster"]).unwrap();
    Roster::from_toml_str(&text).unwrap_or_else(|p| panic!("{p:?}"))
}

#[test]
fn owners_read_with_their_roster_names_where_the_roster_knows_them() {
    let text = history("104").named(&roster()).to_text(T0 + 2 * HOUR);
    for expected in [
        "owner           104 (Sophie Keller), team dach",
        "missed by 103 (Max Richter)",
        "(trigger contact.creation), owner 103 (Max Richter)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn an_owner_the_roster_does_not_know_stays_an_id() {
    let text = history("999").named(&roster()).to_text(T0 + 2 * HOUR);
    assert!(text.contains("owner           999, team dach"), "{text}");
    let unnamed = history("104").to_text(T0 + 2 * HOUR);
    assert!(
        unnamed.contains("owner           104, team dach"),
        "{unnamed}"
    );
}
