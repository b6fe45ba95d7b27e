use super::*;
use crate::engine::Roster;
use crate::report::fixtures::{NOW, handoff, ready};
use crate::report::kpi::Ratio;
use crate::report::render::{Format, render};
use crate::store::ledger::LeadOutcome;

fn team(contact_id: i64, team: &str, owner: &str) -> KpiHandoff {
    let mut h = handoff(contact_id);
    h.team = Some(team.into());
    h.owner_id = owner.parse().unwrap();
    h
}

/// Three dach handoffs (one accepted), one uk, one without a team; a ready lead nobody holds.
fn rows() -> LedgerRows {
    let mut accepted = team(1, "dach", "101");
    accepted.status = "closed".into();
    accepted.disposition = Some("accepted".into());
    let mut no_team = team(5, "x", "301");
    no_team.team = None;
    let mut orphan = ready(9, None);
    orphan.decided_owner = Some("201".parse().unwrap());
    LedgerRows {
        handoffs: vec![
            accepted,
            team(2, "dach", "102"),
            team(3, "dach", "101"),
            team(4, "uk", "201"),
            no_team,
        ],
        ready: vec![ready(1, Some("101")), orphan],
        leads: vec![
            outcome(1, "handed_off", 2),
            outcome(9, "handed_off", 1),
            outcome(10, "not_ready", 3),
        ],
    }
}

/// `decisions` decisions about `contact_id`, all with `outcome`.
fn outcome(contact_id: i64, outcome: &str, decisions: i64) -> LeadOutcome {
    LeadOutcome {
        portal_id: handoff_ids::PortalId::new(62515).unwrap(),
        contact_id: handoff_ids::ContactId::try_from(contact_id).unwrap(),
        outcome: outcome.into(),
        decisions,
        last_decided_at_ms: NOW,
    }
}

fn board(by: Option<GroupBy>) -> Scoreboard {
    Scoreboard::build(&rows(), &Window::days(7), by, NOW)
}

#[test]
fn without_grouping_there_is_one_total_and_the_leads_decided() {
    let b = board(None);
    assert!(b.groups.is_empty());
    assert_eq!(b.total.handoffs, 5);
    let l = &b.leads;
    assert_eq!(
        (
            l.with("handed_off"),
            l.with("not_ready"),
            l.with("disqualified")
        ),
        (2, 1, 0)
    );
    assert_eq!((l.total, l.decisions), (3, 6));
    assert_eq!(
        l.with("handed_off"),
        b.total.coverage.den,
        "the handed_off leads are the base of assignment coverage"
    );
    assert_eq!(b.since_ms, NOW - 7 * 86_400_000);
    assert_eq!(b.window, "7d");
}

#[test]
fn groups_by_team_put_the_most_handoffs_first_and_missing_teams_under_none() {
    let b = board(Some(GroupBy::Team));
    let keys: Vec<(&str, u64)> = b
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.kpis.handoffs))
        .collect();
    assert_eq!(keys, [("dach", 3), ("(none)", 1), ("uk", 1)]);
    let dach = &b.groups[0].kpis;
    assert_eq!(dach.acceptance, Ratio::new(1, 1));
    assert_eq!(dach.coverage, Ratio::new(1, 1));
    // The ready lead without a handoff has no team: it lowers coverage under (none).
    assert_eq!(b.groups[1].kpis.coverage, Ratio::new(0, 1));
    assert_eq!(b.total.coverage, Ratio::new(1, 2));
}

#[test]
fn groups_by_owner_place_an_unheld_ready_lead_with_the_owner_its_decision_named() {
    let b = board(Some(GroupBy::Owner));
    let owner = |key: &str| b.groups.iter().find(|g| g.key == key).map(|g| &g.kpis);
    assert_eq!(owner("101").map(|k| k.handoffs), Some(2));
    let uk = owner("201").unwrap();
    assert_eq!((uk.handoffs, uk.coverage), (1, Ratio::new(0, 1)));
}

#[test]
fn owner_groups_carry_the_roster_name_in_the_table_and_json() {
    let doc = r#"
[[teams]]
id = "dach"
name = "DACH"

[[owners]]
id = "101"
email = "jonas@example.com"
name = "Jonas Becker"
teams = ["dach"]
time_zone = "Europe/Berlin"
"#;
    let roster = Roster::from_toml_str(doc).unwrap_or_else(|p| panic!("{p:?}"));
    let b = board(Some(GroupBy::Owner)).named(&roster);
    let text = render(&b, Format::Table);
    assert!(
        text.lines().any(|l| l.starts_with("101 (Jonas Becker)  ")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("102 ")),
        "an owner the roster lacks stays an id:\n{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&render(&b, Format::Json)).unwrap();
    let g = json["groups"].as_array().unwrap();
    let jonas = g.iter().find(|g| g["key"] == "101").unwrap();
    assert_eq!(jonas["name"], "Jonas Becker");
    let csv = render(&b, Format::Csv);
    assert!(
        csv.lines().any(|l| l.starts_with("101,")),
        "CSV keeps the id:\n{csv}"
    );
}

#[test]
fn groups_by_source_and_tier_read_the_handoff() {
    let b = board(Some(GroupBy::Source));
    assert_eq!(b.groups[0].key, "webinar");
    let b = board(Some(GroupBy::Tier));
    assert_eq!(b.groups[0].key, "A");
}

#[test]
fn the_table_is_aligned_and_says_n_a_where_nothing_can_be_divided() {
    let empty = Scoreboard::build(
        &LedgerRows::default(),
        &Window::days(7),
        Some(GroupBy::Team),
        NOW,
    );
    let text = render(&empty, Format::Table);
    assert!(
        text.contains("lead acceptance       n/a (0 accepted of 0 with a disposition)"),
        "{text}"
    );
    assert!(
        text.contains("time to first touch   n/a (no touches yet)"),
        "{text}"
    );
    assert!(
        !text.contains("0s"),
        "no wait is shown without a touch:\n{text}"
    );
    assert!(
        text.contains("leads                 none decided"),
        "{text}"
    );
    assert!(
        text.contains("(no handoffs or ready leads in this period)"),
        "{text}"
    );

    let text = render(&board(Some(GroupBy::Team)), Format::Table);
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("team"))
        .collect();
    assert_eq!(table.len(), 4, "{text}");
    let width = table[0].len();
    assert!(
        table.iter().all(|l| l.chars().count() == width),
        "aligned:\n{text}"
    );
    assert!(table[1].starts_with("dach  "), "{text}");
    assert!(
        text.contains("leads                 3 decided: handed_off 2, not_ready 1 (6 decisions)"),
        "{text}"
    );
    assert!(
        text.contains("(1 of 2 handed_off leads have an owner)"),
        "the coverage line names the same leads:\n{text}"
    );
}

#[test]
fn sub_second_touches_do_not_read_as_no_wait() {
    let mut rows = rows();
    rows.handoffs[1].first_touch_at_ms = Some(rows.handoffs[1].handed_off_at_ms + 300);
    let text = render(
        &Scoreboard::build(&rows, &Window::days(7), None, NOW),
        Format::Table,
    );
    assert!(
        text.contains("time to first touch   p50 <1s, p90 <1s (1 touched)"),
        "{text}"
    );
}

#[test]
fn csv_has_one_row_per_group_with_empty_cells_for_n_a() {
    let csv = render(&board(Some(GroupBy::Team)), Format::Csv);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "header and three groups:\n{csv}");
    let columns = lines[0].split(',').count();
    assert!(
        lines.iter().all(|l| l.split(',').count() == columns),
        "{csv}"
    );
    let header: Vec<&str> = lines[0].split(',').collect();
    let uk: Vec<&str> = lines[3].split(',').collect();
    let cell = |name: &str| uk[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(cell("group"), "uk");
    assert_eq!(cell("handoffs"), "1");
    assert_eq!(cell("acceptance_ratio"), "", "n/a is an empty cell");
    assert_eq!(cell("sla_compliance_ratio"), "0.0000");

    let all = render(&board(None), Format::Csv);
    let header: Vec<&str> = all.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = all.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[0], "(all)");
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let leads = at("leads_handed_off");
    assert_eq!(
        header[leads..leads + 4],
        [
            "leads_handed_off",
            "leads_not_ready",
            "leads_disqualified",
            "decisions"
        ]
    );
    assert_eq!(&row[leads..leads + 4], ["2", "1", "0", "6"]);
    // Time to accept, added later, comes after them: nothing accepted here has a time.
    assert_eq!(
        &header[leads + 4..],
        [
            "time_to_accept_accepted",
            "time_to_accept_p50_seconds",
            "time_to_accept_p90_seconds"
        ]
    );
    assert_eq!(&row[leads + 4..], ["0", "", ""]);
}

#[test]
fn json_carries_ratios_with_their_parts_and_null_for_n_a() {
    let json: serde_json::Value =
        serde_json::from_str(&render(&board(Some(GroupBy::Team)), Format::Json)).unwrap();
    assert_eq!(json["by"], "team");
    assert_eq!(json["total"]["coverage"]["num"], 1);
    assert_eq!(json["total"]["coverage"]["value"], 0.5);
    assert_eq!(
        json["groups"][2]["kpis"]["acceptance"]["value"],
        serde_json::Value::Null
    );
    assert_eq!(json["leads"]["by_outcome"]["handed_off"], 2);
    assert_eq!(json["leads"]["total"], 3);
    assert_eq!(json["leads"]["decisions"], 6);
}
