//! The roster as written: ids, references and problems at their key paths.

use super::*;

#[test]
fn an_owner_id_hubspot_cannot_have_is_a_problem_at_its_key_not_owner_0() {
    let owner = |id: &str| {
        format!("[[owners]]\n{id}email = \"a@x.de\"\nname = \"A\"\ntime_zone = \"UTC\"\n")
    };
    for bad in ["jonas", "0", "-3", "9223372036854775808"] {
        let text = owner(&format!("id = \"{bad}\"\n"));
        let problems = Roster::from_toml_str(&text).err().unwrap_or_default();
        let found: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.path.as_str(), p.message.as_str()))
            .collect();
        assert_eq!(found.len(), 1, "{bad}: {found:?}");
        assert_eq!(found[0].0, "owners.owners[0].id");
        assert!(
            found[0]
                .1
                .starts_with(&format!("owner id `{bad}` is not an id")),
            "{found:?}"
        );
    }
    // Given by email alone: no id until HubSpot's owners list resolves it.
    assert!(Roster::from_toml_str(&owner("")).is_ok());
    assert!(Roster::from_toml_str(&owner("id = \"41629779\"\n")).is_ok());
}

#[test]
fn reports_every_roster_problem() {
    let text = r#"
        [[teams]]
        id = "dach"
        name = "DACH"
        manager = "nobody"
        [[owners]]
        id = "1"
        email = "a@x.de"
        name = "A"
        teams = ["dach", "uk"]
        time_zone = "Europe/Berlni"
        working_hours = { mon = ["9-17"] }
        out_of_office = [{ from = "2026-12-24", to = "2026-12-20" }]
    "#;
    let problems = Roster::from_toml_str(text).err().unwrap_or_default();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "owners.owners[0].time_zone",
            "owners.owners[0].working_hours.mon[0]",
            "owners.owners[0].out_of_office[0]",
            "owners.owners[0].teams[1]",
            "owners.teams.dach.manager"
        ]
    );
}
