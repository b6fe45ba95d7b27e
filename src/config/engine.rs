//! The engine's part of the configuration: `[playbook]` and `[roster]`, each taken whole from
//! the highest layer that defines it (merging two playbooks key by key would make rules nobody
//! wrote), compiled by the engine, and checked against the example contacts.

use std::path::Path;

use serde::Deserialize;

use super::EngineSettings;
use super::report::Problem;
use crate::engine::playbook::PlaybookDoc;
use crate::engine::playbook::toml_doc::from_toml;
use crate::engine::roster::RosterDoc;
use crate::engine::{Contact, Playbook, Roster, check_playbook, unknown_owner_references};

/// Sections handled here rather than by the typed settings tree.
pub(super) const SECTIONS: [&str; 2] = ["playbook", "roster"];

/// A layer's `[playbook]`, read from the layer's own text so a problem points at its line.
#[derive(Deserialize)]
struct PlaybookLayer {
    playbook: PlaybookDoc,
}

#[derive(Deserialize)]
struct RosterLayer {
    roster: RosterDoc,
}

/// Compiles the playbook and roster from the layers (lowest first, as `(origin, toml text)`);
/// every problem is pushed with its file and key path. `origin` says which layer set a key.
pub(super) fn load(
    layers: &[(String, String)],
    settings: &EngineSettings,
    portals: &[crate::hubspot::client::PortalConfig],
    origin: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) -> Option<Compiled> {
    let before = problems.len();
    let playbook = compile(layers, "playbook", problems, |l: PlaybookLayer| {
        Playbook::from_doc(l.playbook)
    });
    let roster = compile(layers, "roster", problems, |l: RosterLayer| {
        Roster::new(l.roster)
    });
    let ((pb_origin, playbook), (_, roster)) = (playbook?, roster?);
    check_portals(&playbook, pb_origin, portals, origin, problems);
    let mut checked = None;
    if let Some(dir) = examples_dir(settings, origin) {
        let examples = examples(dir, problems);
        push(
            problems,
            pb_origin,
            check_playbook(&playbook, &roster, &examples),
        );
        checked = Some((dir.to_path_buf(), examples.len()));
    } else {
        // Without the pre-flight, still refuse an owner nobody could ever be assigned as.
        push(
            problems,
            pb_origin,
            unknown_owner_references(&playbook, &roster),
        );
    }
    (problems.len() == before).then_some(Compiled {
        playbook,
        roster,
        examples: checked,
    })
}

/// Reads the highest layer's `[name]` and lets the engine compile it; every problem is pushed
/// with that layer's origin.
fn compile<'a, L: serde::de::DeserializeOwned, T>(
    layers: &'a [(String, String)],
    name: &str,
    problems: &mut Vec<Problem>,
    build: impl FnOnce(L) -> Result<T, Vec<crate::engine::Problem>>,
) -> Option<(&'a str, T)> {
    let (origin, text) = section(layers, name, problems)?;
    let layer = from_toml::<L>(text, "")
        .map_err(|e| problems.push(doc_problem(origin, e)))
        .ok()?;
    let built = build(layer)
        .map_err(|found| push(problems, origin, found))
        .ok()?;
    Some((origin, built))
}

/// Every portal must name the playbook in force.
fn check_portals(
    playbook: &Playbook,
    pb_origin: &str,
    portals: &[crate::hubspot::client::PortalConfig],
    origin: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) {
    for (i, portal) in portals.iter().enumerate() {
        if portal.playbook != playbook.name() {
            let key = format!("hubspot.portals[{i}].playbook");
            let message = format!(
                "names playbook {:?}, but the [playbook] in force ({pb_origin}) is named {:?}",
                portal.playbook,
                playbook.name()
            );
            problems.push(Problem::new(origin(&key), &key, message));
        }
    }
}

/// The playbook and roster in force, and the example contacts every rule ran against.
pub(super) struct Compiled {
    pub playbook: Playbook,
    pub roster: Roster,
    pub examples: Option<(std::path::PathBuf, usize)>,
}

/// Where the example contacts are, if they are to be read: the directory an admin set (it must
/// be readable), or the built-in default `fixtures/contacts` when it exists here — run from a
/// checkout it checks every rule, and the installed binary, anywhere else, starts without it.
fn examples_dir<'a>(
    settings: &'a EngineSettings,
    origin: &dyn Fn(&str) -> Option<String>,
) -> Option<&'a Path> {
    let dir = Path::new(&settings.examples_dir);
    let built_in = origin("engine.examples_dir").as_deref() == Some(super::load::DEFAULT_ORIGIN);
    match (settings.examples_dir.is_empty(), built_in) {
        (true, _) => None,
        (false, true) if !dir.is_dir() => None,
        (false, _) => Some(dir),
    }
}

/// The highest layer that has the section, as `(origin, whole text)`: a section is taken
/// whole from one layer.
fn section<'a>(
    layers: &'a [(String, String)],
    name: &str,
    problems: &mut Vec<Problem>,
) -> Option<(&'a str, &'a str)> {
    let found = layers.iter().rev().find(|(_, text)| {
        // Syntax errors are reported by the layered loader already.
        toml::from_str::<toml::Table>(text).is_ok_and(|table| table.contains_key(name))
    });
    if found.is_none() {
        problems.push(Problem::new(
            None,
            name,
            "section is missing from every layer".into(),
        ));
    }
    found.map(|(origin, text)| (origin.as_str(), text.as_str()))
}

fn doc_problem(origin: &str, err: crate::engine::playbook::toml_doc::DocError) -> Problem {
    let mut problem = Problem::new(
        Some(origin.to_owned()),
        &err.problem.path,
        err.problem.message,
    );
    problem.at = err.at;
    problem
}

/// The engine names roster paths `owners.…`; in the configuration they are `roster.…`.
fn push(problems: &mut Vec<Problem>, origin: &str, found: Vec<crate::engine::Problem>) {
    for p in found {
        let key = match p.path.strip_prefix("owners.") {
            Some(rest) => format!("roster.{rest}"),
            None => p.path,
        };
        problems.push(Problem::new(Some(origin.to_owned()), &key, p.message));
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

/// The shipped example playbook (`config/default.toml` `[playbook]`), for unit tests of the
/// parts that read a playbook.
#[cfg(test)]
pub(crate) fn example_playbook() -> Playbook {
    let layer = from_toml::<PlaybookLayer>(super::DEFAULT_TOML, "")
        .unwrap_or_else(|e| unreachable!("{e:?}"));
    Playbook::from_doc(layer.playbook).unwrap_or_else(|p| unreachable!("{p:#?}"))
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
