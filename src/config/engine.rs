//! The engine's part of the configuration: `[playbook]` and `[roster]`, each taken whole from
//! the highest layer that defines it (merging two playbooks key by key would make rules nobody
//! wrote), compiled by the engine, and checked against the example contacts.

use std::path::Path;

use super::EngineSettings;
use super::validate::Problem;
use crate::engine::{Contact, Playbook, Roster, check_playbook};

/// Sections handled here rather than by the typed settings tree.
pub(super) const SECTIONS: [&str; 2] = ["playbook", "roster"];

/// Compiles the playbook and roster from the layers (lowest first, as `(origin, toml text)`);
/// every problem is pushed with its file and key path.
pub(super) fn load(
    layers: &[(String, String)],
    settings: &EngineSettings,
    portals: &[crate::hubspot::client::PortalConfig],
    problems: &mut Vec<Problem>,
) -> Option<(Playbook, Roster)> {
    let before = problems.len();
    let playbook = section(layers, "playbook", problems).and_then(|(origin, text)| {
        Playbook::from_toml_str(&text)
            .map_err(|found| push(problems, &origin, "", found))
            .ok()
            .map(|p| (origin, p))
    });
    let roster = section(layers, "roster", problems).and_then(|(origin, text)| {
        Roster::from_toml_str(&text)
            .map_err(|found| push(problems, &origin, "roster.", found))
            .ok()
            .map(|r| (origin, r))
    });
    let ((origin, playbook), (_, roster)) = (playbook?, roster?);
    for (i, portal) in portals.iter().enumerate() {
        if portal.playbook != playbook.name() {
            let message = format!(
                "names playbook {:?}, but the playbook is {:?}",
                portal.playbook,
                playbook.name()
            );
            problems.push(Problem::new(
                None,
                &format!("hubspot.portals[{i}].playbook"),
                message,
            ));
        }
    }
    if !settings.examples_dir.is_empty() {
        let examples = examples(Path::new(&settings.examples_dir), problems);
        push(
            problems,
            &origin,
            "",
            check_playbook(&playbook, &roster, &examples),
        );
    }
    (problems.len() == before).then_some((playbook, roster))
}

/// The section's TOML text from the highest layer that has it, with that layer's name.
fn section(
    layers: &[(String, String)],
    name: &str,
    problems: &mut Vec<Problem>,
) -> Option<(String, String)> {
    for (origin, text) in layers.iter().rev() {
        let table: toml::Table = match toml::from_str(text) {
            Ok(table) => table,
            // Syntax errors are reported by the layered loader already.
            Err(_) => continue,
        };
        if let Some(value) = table.get(name) {
            return match toml::to_string(value) {
                Ok(text) => Some((origin.clone(), text)),
                Err(err) => {
                    problems.push(Problem::new(Some(origin.clone()), name, err.to_string()));
                    None
                }
            };
        }
    }
    problems.push(Problem::new(
        None,
        name,
        "section is missing from every layer".into(),
    ));
    None
}

fn push(
    problems: &mut Vec<Problem>,
    origin: &str,
    prefix: &str,
    found: Vec<crate::engine::Problem>,
) {
    for p in found {
        let key = if p.path.starts_with(prefix) {
            p.path.clone()
        } else {
            format!("{prefix}{}", p.path)
        };
        problems.push(Problem::new(
            Some(origin.to_owned()),
            &key,
            p.message.clone(),
        ));
    }
}

/// Reads `DIR/*.json` example contacts; unreadable or malformed ones are problems.
pub fn examples(dir: &Path, problems: &mut Vec<Problem>) -> Vec<Contact> {
    let key = "engine.examples_dir";
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            problems.push(Problem::new(
                None,
                key,
                format!("cannot read {}: {err}", dir.display()),
            ));
            return Vec::new();
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut contacts = Vec::with_capacity(paths.len());
    for path in paths {
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| Contact::from_json(&text).map_err(|e| e.to_string()));
        match parsed {
            Ok(contact) => contacts.push(contact),
            Err(err) => problems.push(Problem::file(&path, format!("example contact: {err}"))),
        }
    }
    contacts
}
