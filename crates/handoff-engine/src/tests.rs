//! Tests over the shipped example playbook, roster and fixture contacts (read from disk, as the
//! real files are the thing under test), plus the engine-wide properties.

use std::path::PathBuf;

use jiff::Timestamp;

use crate::*;

/// The repository root, where `config/` and `fixtures/` are.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

pub(crate) fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_default()
}

/// A section of the shipped `config/default.toml`, as a standalone TOML document.
pub(crate) fn default_section(name: &str) -> String {
    let table: toml::Table = toml::from_str(&read("config/default.toml")).unwrap_or_default();
    table
        .get(name)
        .and_then(|v| toml::to_string(v).ok())
        .unwrap_or_default()
}

pub(crate) fn playbook_text() -> String {
    default_section("playbook")
}

pub(crate) fn example() -> (Playbook, Roster, Vec<Contact>) {
    let pb = Playbook::from_toml_str(&playbook_text()).unwrap_or_else(|p| unreachable!("{p:#?}"));
    let roster = Roster::from_toml_str(&default_section("roster"))
        .unwrap_or_else(|p| unreachable!("{p:#?}"));
    let mut contacts = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(root().join("fixtures/contacts"))
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        contacts.push(
            Contact::from_json(&text).unwrap_or_else(|err| unreachable!("{:?}: {err}", e.path())),
        );
    }
    (pb, roster, contacts)
}

pub(crate) fn ts(s: &str) -> Timestamp {
    s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
}

fn contact<'a>(cs: &'a [Contact], id: &str) -> &'a Contact {
    cs.iter()
        .find(|c| c.id.to_string() == id)
        .unwrap_or_else(|| unreachable!("fixture {id}"))
}

#[test]
fn the_example_playbook_passes_its_own_check() {
    let (pb, roster, contacts) = example();
    assert!(contacts.len() >= 8);
    let problems = check_playbook(&pb, &roster, &contacts);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_fixture_gets_the_expected_outcome_and_owner() {
    let (pb, roster, cs) = example();
    // Tuesday 24 Nov 2026, 10:00 Berlin.
    let now = ts("2026-11-24T09:00:00Z");
    let expect = [
        ("51001", Outcome::HandOff, Some("101")),
        ("51002", Outcome::HandOff, Some("201")),
        ("51003", Outcome::HandOff, Some("104")), // US reps asleep at 04:00 NY: inbound pool
        ("51004", Outcome::Disqualified, None),
        ("51005", Outcome::Disqualified, None),
        ("51006", Outcome::Disqualified, None),
        ("51007", Outcome::NotReady, None),
        ("51008", Outcome::HandOff, Some("103")),
        ("51009", Outcome::NotReady, None),
    ];
    for (id, outcome, owner) in expect {
        let input = DecideInput {
            contact: contact(&cs, id),
            roster: &roster,
            missed_sla_by: &[],
        };
        let (d, _) = decide(&input, &pb, now, &RoutingState::default());
        assert_eq!(d.outcome, outcome, "{id}\n{d}");
        assert_eq!(
            d.routing
                .as_ref()
                .and_then(|r| r.assignment.as_ref())
                .map(|a| a.owner_id.to_string())
                .as_deref(),
            owner,
            "{id}\n{d}"
        );
        if outcome == Outcome::HandOff {
            assert!(d.sla.is_some(), "{id}\n{d}");
        }
    }
}

#[test]
fn a_decision_explains_itself_in_json_and_text() {
    let (pb, roster, cs) = example();
    let input = DecideInput {
        contact: contact(&cs, "51001"),
        roster: &roster,
        missed_sla_by: &[],
    };
    let (d, _) = decide(
        &input,
        &pb,
        ts("2026-11-24T09:00:00Z"),
        &RoutingState::default(),
    );
    let json = serde_json::to_value(&d).unwrap_or_default();
    assert_eq!(json["outcome"], "hand_off");
    assert_eq!(json["score"]["tier"], "A");
    assert_eq!(json["routing"]["assignment"]["via"]["kind"], "pool");
    assert!(
        json["playbook_hash"]
            .as_str()
            .is_some_and(|h| h.starts_with("sha256:"))
    );
    let text = d.to_string();
    for needle in [
        "HAND OFF",
        "demo-request",
        "pool dach-ae",
        "SLA A-enterprise",
        "Remind",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    let missing = contact(&cs, "51007");
    let input = DecideInput {
        contact: missing,
        roster: &roster,
        missed_sla_by: &[],
    };
    let (d, _) = decide(
        &input,
        &pb,
        ts("2026-11-24T09:00:00Z"),
        &RoutingState::default(),
    );
    assert_eq!(d.readiness.missing_fields, vec!["phone".to_string()]);
}

#[test]
fn a_misspelled_property_fails_at_load_with_its_key_path() {
    let text = playbook_text().replace(
        "company.numberofemployees >= 1000",
        "company.numberofemployes >= 1000",
    );
    let problems = Playbook::from_toml_str(&text).err().unwrap_or_default();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].path, "playbook.scoring.fit[3].when");
    assert!(problems[0].message.contains("company.numberofemployes"));
}

#[test]
fn a_misspelled_declaration_fails_the_check_against_examples() {
    let text = playbook_text()
        .replace(
            "hs_analytics_num_page_views = \"number\"",
            "hs_analytics_num_pageviews = \"number\"",
        )
        .replace(
            "contact.hs_analytics_num_page_views",
            "contact.hs_analytics_num_pageviews",
        );
    let (_, roster, contacts) = example();
    let pb = Playbook::from_toml_str(&text).unwrap_or_else(|p| unreachable!("{p:#?}"));
    let problems = check_playbook(&pb, &roster, &contacts);
    assert!(
        problems
            .iter()
            .any(|p| p.path == "playbook.properties.contact.hs_analytics_num_pageviews"),
        "{problems:#?}"
    );
}

#[test]
fn load_reports_all_problems_at_once() {
    let text = playbook_text()
        .replace("pool = \"uk-sdr\"", "pool = \"uk-sdrr\"")
        .replace("first_touch = \"2h\"", "first_touch = \"two hours\"")
        .replace("when = 'flags.icp'", "when = 'flags.icp &&'")
        .replace("when = \"flags.icp\"", "when = \"flags.icp &&\"")
        .replace(
            "time_zone = \"America/New_York\"",
            "time_zone = \"America/NewYork\"",
        );
    let problems = Playbook::from_toml_str(&text).err().unwrap_or_default();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    for want in [
        "playbook.routing.rules[2].pool",
        "playbook.sla.tiers[2].first_touch",
        "playbook.scoring.fit[0].when",
        "playbook.calendars.new-york.time_zone",
    ] {
        assert!(paths.contains(&want), "{want} not in {paths:#?}");
    }
}

#[test]
fn check_reports_unknown_owners_and_teams() {
    let (pb, _, contacts) = example();
    let roster = Roster::default();
    let problems = check_playbook(&pb, &roster, &contacts);
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"playbook.routing.fallback_owner"));
    assert!(paths.contains(&"playbook.routing.pools.dach-ae.members[0].owner"));
    assert!(paths.contains(&"playbook.routing.pools.dach-ae.team"));
}

#[test]
fn the_hash_ignores_comments_and_changes_with_content() {
    let text = playbook_text();
    let a = Playbook::from_toml_str(&text).map(|p| p.hash().to_string());
    let b =
        Playbook::from_toml_str(&format!("# edited\n{text}\n# more")).map(|p| p.hash().to_string());
    let c =
        Playbook::from_toml_str(&text.replace("handoff_threshold = 50", "handoff_threshold = 55"))
            .map(|p| p.hash().to_string());
    assert!(a.is_ok());
    assert_eq!(a, b);
    assert_ne!(a, c);
}
