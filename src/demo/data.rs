//! The demo's data, built into the binary so `handoff demo` runs from any directory: the
//! example leads of `fixtures/contacts/` and the sandbox's seed of `fixtures/sandbox/` (owners,
//! users, companies, contacts, sequences). [`unpack`] writes them into the demo's own
//! directory, next to its store, where a newcomer can read what the demo used. A test checks
//! that every file of both folders is here, so a new fixture cannot be left out.

use std::path::{Path, PathBuf};

/// `fixtures/contacts/*.json`: the example leads the demo creates, in file-name order.
pub(crate) const CONTACTS: &[(&str, &str)] = &[
    (
        "competitor.json",
        include_str!("../../fixtures/contacts/competitor.json"),
    ),
    (
        "dach-enterprise-demo.json",
        include_str!("../../fixtures/contacts/dach-enterprise-demo.json"),
    ),
    (
        "freemail-student.json",
        include_str!("../../fixtures/contacts/freemail-student.json"),
    ),
    (
        "nurture-unqualified.json",
        include_str!("../../fixtures/contacts/nurture-unqualified.json"),
    ),
    (
        "sticky-owner-connected.json",
        include_str!("../../fixtures/contacts/sticky-owner-connected.json"),
    ),
    (
        "tier-a-missing-phone.json",
        include_str!("../../fixtures/contacts/tier-a-missing-phone.json"),
    ),
    (
        "uk-ops-manager.json",
        include_str!("../../fixtures/contacts/uk-ops-manager.json"),
    ),
    (
        "unserved-country.json",
        include_str!("../../fixtures/contacts/unserved-country.json"),
    ),
    (
        "us-west-director.json",
        include_str!("../../fixtures/contacts/us-west-director.json"),
    ),
];

/// `fixtures/sandbox/*.json`: the sandbox's seed.
pub(crate) const SANDBOX: &[(&str, &str)] = &[
    (
        "companies.json",
        include_str!("../../fixtures/sandbox/companies.json"),
    ),
    (
        "contacts.json",
        include_str!("../../fixtures/sandbox/contacts.json"),
    ),
    (
        "owners.json",
        include_str!("../../fixtures/sandbox/owners.json"),
    ),
    (
        "properties.json",
        include_str!("../../fixtures/sandbox/properties.json"),
    ),
    (
        "sequences.json",
        include_str!("../../fixtures/sandbox/sequences.json"),
    ),
    (
        "users.json",
        include_str!("../../fixtures/sandbox/users.json"),
    ),
];

/// Where [`unpack`] put the data.
#[derive(Debug, Clone)]
pub struct Unpacked {
    /// The example leads (`DemoOptions::contacts_dir`).
    pub contacts: PathBuf,
    /// The sandbox's seed (`EnvOptions::seed_dir`).
    pub sandbox: PathBuf,
}

/// Writes the built-in data under `dir/fixtures/`.
pub fn unpack(dir: &Path) -> std::io::Result<Unpacked> {
    let contacts = dir.join("fixtures/contacts");
    let sandbox = dir.join("fixtures/sandbox");
    for (to, files) in [(&contacts, CONTACTS), (&sandbox, SANDBOX)] {
        std::fs::create_dir_all(to)?;
        for (name, text) in files {
            std::fs::write(to.join(name), text)?;
        }
    }
    Ok(Unpacked { contacts, sandbox })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_in(dir: &str) -> Vec<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut names: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn every_fixture_the_demo_reads_is_built_in() {
        let names = |t: &[(&str, &str)]| t.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>();
        assert_eq!(names(CONTACTS), files_in("fixtures/contacts"));
        assert_eq!(names(SANDBOX), files_in("fixtures/sandbox"));
    }

    #[test]
    fn unpacked_data_is_what_the_folders_hold() {
        let dir = tempfile::tempdir().unwrap();
        let out = unpack(dir.path()).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for name in files_in("fixtures/sandbox") {
            let want = std::fs::read_to_string(root.join("fixtures/sandbox").join(&name)).unwrap();
            let got = std::fs::read_to_string(out.sandbox.join(&name)).unwrap();
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(
            std::fs::read_dir(&out.contacts).unwrap().count(),
            CONTACTS.len()
        );
    }
}
