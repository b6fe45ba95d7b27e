//! `handoff explain` and `handoff simulate`: read contacts, rosters and playbooks from files,
//! run the pure engine, render the result.

use std::path::Path;

use jiff::Timestamp;

use crate::engine::explain::simulate::{Simulation, simulate};
use crate::engine::playbook::PlaybookDoc;
use crate::engine::playbook::toml_doc::from_toml;
use crate::engine::roster::RosterDoc;
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

#[derive(serde::Deserialize)]
struct PlaybookFile {
    playbook: PlaybookDoc,
}

#[derive(serde::Deserialize)]
struct RosterFile {
    roster: RosterDoc,
}

/// A document from a file holding it under `[name]` (as in `config/*.toml`, read through the
/// wrapper `W`) or bare: read from the file's own text either way, so a problem is named by
/// the file's line and column and the key path.
fn document<W, T>(path: &Path, name: &str, inner: fn(W) -> T) -> Result<T, AdminError>
where
    W: serde::de::DeserializeOwned,
    T: serde::de::DeserializeOwned,
{
    let text = read(path)?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| file_error(path, e.to_string()))?;
    let doc = if table.contains_key(name) {
        from_toml::<W>(&text, "").map(inner)
    } else {
        from_toml::<T>(&text, name)
    };
    doc.map_err(|e| match e.at {
        Some((line, column)) => {
            let at = format!("{}:{line}:{column}", path.display());
            file_error(Path::new(&at), e.problem.to_string())
        }
        None => file_error(path, e.problem.to_string()),
    })
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
    let doc = document(path, "playbook", |f: PlaybookFile| f.playbook)?;
    Playbook::from_doc(doc).map_err(|found| problems(path, found))
}

/// A roster file: a `[roster]` table or bare `[[teams]]` / `[[owners]]`.
pub fn load_roster(path: &Path) -> Result<Roster, AdminError> {
    let doc = document(path, "roster", |f: RosterFile| f.roster)?;
    Roster::new(doc).map_err(|found| problems(path, found))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_candidate_playbooks_misspelt_key_is_named_by_its_files_line_column_and_path() {
        let shipped = include_str!("../../config/default.toml");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("candidate.toml");
        let text = shipped.replacen("id = \"icp\"\nwhen = ", "id = \"icp\"\nwhne = ", 1);
        let line = text[..text.find("whne = ").unwrap()].matches('\n').count() + 1;
        std::fs::write(&path, &text).unwrap();
        let err = load_playbook(&path).unwrap_err().to_string();
        let expected = format!(
            "{}:{line}:1: playbook.scoring.fit[0].whne: unknown field `whne`",
            path.display()
        );
        assert!(err.starts_with(&expected), "{err}");
        // A bare playbook (no [playbook] table) is named the same way.
        let bare = "name = \"p\"\nsurprise = 1\n";
        std::fs::write(&path, bare).unwrap();
        let err = load_playbook(&path).unwrap_err().to_string();
        assert!(
            err.contains(":2:1: playbook.surprise: unknown field"),
            "{err}"
        );
    }
}
