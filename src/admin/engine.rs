//! `handoff explain` and `handoff simulate`: read contacts, rosters and playbooks from files,
//! run the pure engine, render the result.

use std::path::Path;

use jiff::Timestamp;

use crate::engine::simulate::{Simulation, simulate};
use crate::engine::{Contact, DecideInput, Decision, Playbook, Roster, RoutingState, decide};

use super::{AdminError, file_error};

fn read(path: &Path) -> Result<String, AdminError> {
    std::fs::read_to_string(path).map_err(|e| file_error(path, format!("cannot read: {e}")))
}

/// The decision time: `--at` when given, else the current time.
pub fn parse_at(at: Option<&str>) -> Result<Timestamp, AdminError> {
    match at {
        Some(text) => text.parse().map_err(|_| AdminError::At(text.to_owned())),
        None => Ok(Timestamp::now()),
    }
}

pub fn load_contact(path: &Path) -> Result<Contact, AdminError> {
    Contact::from_json(&read(path)?).map_err(|e| file_error(path, e.to_string()))
}

/// One contact per line; blank lines are skipped; a bad line is reported by number.
pub fn load_contacts_jsonl(path: &Path) -> Result<Vec<Contact>, AdminError> {
    let text = read(path)?;
    let mut contacts = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let contact = Contact::from_json(line)
            .map_err(|e| file_error(path, format!("line {}: {e}", i + 1)))?;
        contacts.push(contact);
    }
    Ok(contacts)
}

/// The `name` table of a TOML file if it has one, else the whole file.
fn section(path: &Path, name: &str) -> Result<String, AdminError> {
    let text = read(path)?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| file_error(path, e.to_string()))?;
    match table.get(name) {
        Some(inner) => toml::to_string(inner).map_err(|e| file_error(path, e.to_string())),
        None => Ok(text),
    }
}

fn problems(path: &Path, found: Vec<crate::engine::Problem>) -> AdminError {
    let lines: Vec<String> = found
        .iter()
        .map(|p| format!("\n  - {}: {}", p.path, p.message))
        .collect();
    file_error(
        path,
        format!("{} problem(s):{}", found.len(), lines.concat()),
    )
}

/// A playbook file: a `[playbook]` table (as in `config/*.toml`) or a bare playbook.
pub fn load_playbook(path: &Path) -> Result<Playbook, AdminError> {
    Playbook::from_toml_str(&section(path, "playbook")?).map_err(|found| problems(path, found))
}

/// A roster file: a `[roster]` table or bare `[[teams]]` / `[[owners]]`.
pub fn load_roster(path: &Path) -> Result<Roster, AdminError> {
    Roster::from_toml_str(&section(path, "roster")?).map_err(|found| problems(path, found))
}

/// The full decision for one contact, with a fresh routing state.
pub fn explain(contact: &Contact, playbook: &Playbook, roster: &Roster, at: Timestamp) -> Decision {
    let input = DecideInput {
        contact,
        roster,
        missed_sla_by: &[],
    };
    decide(&input, playbook, at, &RoutingState::default()).0
}

pub fn compare(
    contacts: &[Contact],
    roster: &Roster,
    baseline: &Playbook,
    candidate: &Playbook,
    at: Timestamp,
) -> Simulation {
    simulate(contacts, roster, baseline, candidate, at)
}
