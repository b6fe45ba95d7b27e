//! `handoff simulate`: the same contacts through two playbooks, side by side, so an admin sees
//! what an edit changes before deploying it. Pure: contacts, roster, playbooks and `now` in, a
//! comparison out. Each playbook keeps its own routing state across the batch, as production
//! would.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::Serialize;

use crate::{
    Contact, DecideInput, Decision, Outcome, Playbook, Roster, RoutingState, decide_in_place,
};

/// What one playbook decided for one lead, in brief.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadResult {
    pub outcome: Outcome,
    pub score: i64,
    pub tier: Option<String>,
    pub owner: Option<handoff_ids::OwnerId>,
    pub team: Option<String>,
    pub via: Option<String>,
    pub sla_due: Option<Timestamp>,
    pub missing_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadChange {
    pub contact_id: handoff_ids::ContactId,
    pub baseline: LeadResult,
    pub candidate: LeadResult,
    /// What differs, in words ("owner 101 → 205 (pool dach-ae)", "tier B → A").
    pub why: Vec<String>,
}

/// Counts per owner, team, tier and outcome under each playbook, and every lead that moved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    pub contacts: usize,
    pub baseline: String,
    pub candidate: String,
    pub by_owner: BTreeMap<String, (usize, usize)>,
    pub by_team: BTreeMap<String, (usize, usize)>,
    pub by_tier: BTreeMap<String, (usize, usize)>,
    pub by_outcome: BTreeMap<String, (usize, usize)>,
    pub changes: Vec<LeadChange>,
}

pub fn simulate(
    contacts: &[Contact],
    roster: &Roster,
    baseline: &Playbook,
    candidate: &Playbook,
    now: Timestamp,
) -> Simulation {
    let mut sim = Simulation {
        contacts: contacts.len(),
        baseline: baseline.name().to_owned(),
        candidate: candidate.name().to_owned(),
        by_owner: BTreeMap::new(),
        by_team: BTreeMap::new(),
        by_tier: BTreeMap::new(),
        by_outcome: BTreeMap::new(),
        changes: Vec::new(),
    };
    let (mut state_a, mut state_b) = (RoutingState::default(), RoutingState::default());
    for contact in contacts {
        let input = DecideInput {
            contact,
            roster,
            missed_sla_by: &[],
        };
        let a = brief(&decide_in_place(&input, baseline, now, &mut state_a));
        let b = brief(&decide_in_place(&input, candidate, now, &mut state_b));
        let owner = |r: &LeadResult| r.owner.map(|o| o.to_string());
        count(
            &mut sim.by_owner,
            owner(&a).as_deref(),
            owner(&b).as_deref(),
        );
        count(&mut sim.by_team, a.team.as_deref(), b.team.as_deref());
        count(&mut sim.by_tier, a.tier.as_deref(), b.tier.as_deref());
        count(
            &mut sim.by_outcome,
            Some(outcome_name(a.outcome)),
            Some(outcome_name(b.outcome)),
        );
        let why = differences(&a, &b);
        if !why.is_empty() {
            sim.changes.push(LeadChange {
                contact_id: contact.id,
                baseline: a,
                candidate: b,
                why,
            });
        }
    }
    sim
}

fn brief(d: &Decision) -> LeadResult {
    let assignment = d.routing.as_ref().and_then(|r| r.assignment.as_ref());
    LeadResult {
        outcome: d.outcome,
        score: d.score.total,
        tier: d.score.tier.clone(),
        owner: assignment.map(|a| a.owner_id),
        team: assignment.and_then(|a| a.team.clone()),
        via: assignment.map(|a| describe_via(&a.via)),
        sla_due: d.sla.as_ref().map(|s| s.due_at),
        missing_fields: d.readiness.missing_fields.clone(),
    }
}

/// `{"kind":"pool","pool":"dach-ae","rule":"dach-enterprise"}` → `pool (pool=dach-ae, rule=dach-enterprise)`.
pub fn describe_via<T: Serialize>(via: &T) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(via) else {
        return String::new();
    };
    let kind = map
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("")
        .replace('_', " ");
    let details: Vec<String> = map
        .iter()
        .filter(|(k, v)| k.as_str() != "kind" && !v.is_null())
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            )
        })
        .collect();
    if details.is_empty() {
        kind
    } else {
        format!("{kind} ({})", details.join(", "))
    }
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::HandOff => "hand_off",
        Outcome::NotReady => "not_ready",
        Outcome::Disqualified => "disqualified",
    }
}

fn count(map: &mut BTreeMap<String, (usize, usize)>, a: Option<&str>, b: Option<&str>) {
    if let Some(a) = a {
        map.entry(a.to_owned()).or_default().0 += 1;
    }
    if let Some(b) = b {
        map.entry(b.to_owned()).or_default().1 += 1;
    }
}

fn show(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

fn differences(a: &LeadResult, b: &LeadResult) -> Vec<String> {
    let mut why = Vec::new();
    if a.outcome != b.outcome {
        let mut line = format!(
            "outcome {} → {}",
            outcome_name(a.outcome),
            outcome_name(b.outcome)
        );
        if !b.missing_fields.is_empty() {
            line.push_str(&format!(" (missing {})", b.missing_fields.join(", ")));
        }
        why.push(line);
    }
    if a.tier != b.tier {
        why.push(format!(
            "tier {} → {} (score {} → {})",
            show(&a.tier),
            show(&b.tier),
            a.score,
            b.score
        ));
    }
    if a.owner != b.owner {
        let was = a.owner.map_or_else(|| "-".to_string(), |o| o.to_string());
        why.push(match &b.owner {
            Some(owner) => format!("owner {was} → {owner} via {}", show(&b.via)),
            None if b.outcome == Outcome::HandOff => format!("owner {was} → none (no owner id)"),
            None => format!("owner {was} → none (not handed off)"),
        });
    } else if a.team != b.team {
        why.push(format!("team {} → {}", show(&a.team), show(&b.team)));
    }
    if a.sla_due != b.sla_due && a.outcome == b.outcome {
        let at = |t: &Option<Timestamp>| t.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
        why.push(format!("SLA due {} → {}", at(&a.sla_due), at(&b.sla_due)));
    }
    why
}

impl fmt::Display for Simulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} contacts: baseline {:?} vs candidate {:?}",
            self.contacts, self.baseline, self.candidate
        )?;
        for (title, map) in [
            ("outcome", &self.by_outcome),
            ("tier", &self.by_tier),
            ("team", &self.by_team),
            ("owner", &self.by_owner),
        ] {
            writeln!(
                f,
                "\n{title:<14} {:>9} {:>10} {:>7}",
                "baseline", "candidate", "change"
            )?;
            for (name, (a, b)) in map {
                let delta = *b as i64 - *a as i64;
                writeln!(f, "  {name:<12} {a:>9} {b:>10} {delta:>+7}")?;
            }
        }
        writeln!(f, "\n{} lead(s) change:", self.changes.len())?;
        for change in &self.changes {
            writeln!(f, "  {}: {}", change.contact_id, change.why.join("; "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{example, playbook_text, ts};

    #[test]
    fn the_same_playbook_changes_nothing() {
        let (pb, roster, contacts) = example();
        let sim = simulate(&contacts, &roster, &pb, &pb, ts("2026-11-24T09:00:00Z"));
        assert_eq!(sim.contacts, contacts.len());
        assert!(sim.changes.is_empty(), "{sim}");
        assert!(sim.by_outcome.values().all(|(a, b)| a == b));
    }

    #[test]
    fn a_raised_threshold_shows_which_leads_stop_being_handed_off_and_why() {
        let (pb, roster, contacts) = example();
        let text = playbook_text();
        let raised = text.replace("handoff_threshold = 50", "handoff_threshold = 1000");
        assert_ne!(raised, text, "the example playbook has a threshold");
        let candidate = Playbook::from_toml_str(&raised).unwrap_or_else(|p| panic!("{p:#?}"));
        let sim = simulate(
            &contacts,
            &roster,
            &pb,
            &candidate,
            ts("2026-11-24T09:00:00Z"),
        );
        let handed =
            |m: &BTreeMap<String, (usize, usize)>| m.get("hand_off").copied().unwrap_or_default();
        let (before, after) = handed(&sim.by_outcome);
        assert!(before > 0 && after == 0, "{sim}");
        assert_eq!(sim.changes.len(), before, "{sim}");
        assert!(
            sim.changes
                .iter()
                .all(|c| c.why[0].starts_with("outcome hand_off → not_ready")),
            "{sim}"
        );
        let text = sim.to_string();
        assert!(text.contains("lead(s) change"));
    }
}
