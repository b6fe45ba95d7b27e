//! `handoff simulate --playbook FILE` without `--contacts`: the recorded contact snapshots
//! (what each decision read, migration 0012) replayed through a candidate playbook, each at the
//! time it was decided, against what was recorded: handed off or not, owner, tier. A lead is
//! replayed once, by its last decision in the period; leads are replayed oldest first with one
//! routing state, which starts afresh — so an owner picked by a pool's round-robin may differ
//! from the recorded one for that reason alone.

use handoff_ids::ContactId;
use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::engine::{Contact, DecideInput, Outcome, Playbook, Roster, RoutingState};
use crate::store::ledger::RecordedContact;

/// One lead's decision, as recorded or as replayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decided {
    /// `handed_off`, `not_ready` or `disqualified`.
    pub outcome: String,
    pub owner: Option<crate::hubspot::client::OwnerId>,
    pub tier: Option<String>,
}

/// A lead whose replay differs from what was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    #[serde(with = "handoff_ids::number")]
    pub contact_id: ContactId,
    pub recorded: Decided,
    pub replayed: Decided,
}

/// The replay of a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Replay {
    pub playbook: String,
    pub leads: u64,
    /// Snapshots that no longer read as a contact (left out).
    pub unreadable: u64,
    pub handed_off_recorded: u64,
    pub handed_off_replayed: u64,
    pub changes: Vec<Change>,
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::HandOff => "handed_off",
        Outcome::NotReady => "not_ready",
        Outcome::Disqualified => "disqualified",
    }
}

/// Replays `recorded` (by contact and time) through `candidate` with `roster`.
pub fn replay(recorded: &[RecordedContact], roster: &Roster, candidate: &Playbook) -> Replay {
    let mut last: BTreeMap<ContactId, &RecordedContact> = BTreeMap::new();
    for r in recorded {
        last.insert(r.contact_id, r);
    }
    let mut leads: Vec<&RecordedContact> = last.into_values().collect();
    leads.sort_by_key(|r| (r.decided_at_ms, r.contact_id));
    let mut out = Replay {
        playbook: candidate.doc.name.clone(),
        ..Replay::default()
    };
    let mut state = RoutingState::default();
    for r in leads {
        let (Ok(contact), Ok(at)) = (
            Contact::from_json(&r.contact),
            jiff::Timestamp::from_millisecond(r.decided_at_ms),
        ) else {
            out.unreadable += 1;
            continue;
        };
        let input = DecideInput {
            contact: &contact,
            roster,
            missed_sla_by: &[],
        };
        let d = crate::engine::decide_in_place(&input, candidate, at, &mut state);
        let replayed = Decided {
            outcome: outcome_name(d.outcome).into(),
            owner: d.routing.and_then(|t| t.assignment).map(|a| a.owner_id),
            tier: d.score.tier,
        };
        let was = Decided {
            outcome: r.outcome.clone(),
            owner: r.owner_id,
            tier: r.tier.clone(),
        };
        out.leads += 1;
        out.handed_off_recorded += u64::from(was.outcome == "handed_off");
        out.handed_off_replayed += u64::from(replayed.outcome == "handed_off");
        if replayed != was {
            out.changes.push(Change {
                contact_id: r.contact_id,
                recorded: was,
                replayed,
            });
        }
    }
    out
}

fn show(d: &Decided) -> String {
    format!(
        "{} owner {} tier {}",
        d.outcome,
        d.owner.map_or_else(|| "-".to_string(), |o| o.to_string()),
        d.tier.as_deref().unwrap_or("-")
    )
}

impl fmt::Display for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Replayed {} recorded leads through playbook {:?}{}",
            self.leads,
            self.playbook,
            if self.unreadable > 0 {
                format!(" ({} unreadable snapshots left out)", self.unreadable)
            } else {
                String::new()
            }
        )?;
        writeln!(
            f,
            "handed off: {} recorded, {} with the candidate; {} leads change",
            self.handed_off_recorded,
            self.handed_off_replayed,
            self.changes.len()
        )?;
        for c in &self.changes {
            writeln!(
                f,
                "  contact {}: {} -> {}",
                c.contact_id,
                show(&c.recorded),
                show(&c.replayed)
            )?;
        }
        Ok(())
    }
}
