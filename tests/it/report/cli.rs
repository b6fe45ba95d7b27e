//! `handoff report` and `handoff explain --contact-id` through the real binary, on both store
//! engines, over the ledger `report.rs` seeds: table, JSON and CSV, groups, bad arguments.

use std::path::Path;
use std::process::Output;

use handoff::store::Dialect;

use crate::support::cli;
use crate::support::ledger::seeded;

fn handoff(dir: &Path, url: &str, args: &[&str]) -> Output {
    let mut cmd = cli::configured(dir);
    cmd.env("HANDOFF__STORE__URL", url);
    cli::run(cmd, args)
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

async fn the_report_command_prints_a_table_json_and_csv(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let (store, url, _) = seeded(engine, dir.path()).await;
    store.close().await;
    let run = |args: &[&str]| handoff(dir.path(), &url, args);

    let table = stdout(&run(&["report"]));
    for line in [
        "Lead handoff scoreboard, last 7d (",
        "leads                 7 decided: disqualified 1, handed_off 5, not_ready 1 (7 decisions)",
        "handoffs              4 (open 1, closed 3; merged 0 not counted)",
        "lead acceptance       33.3% (1 accepted of 3 with a disposition)",
        // Lead 1, handed off three hours before it was accepted.
        "time to accept        p50 3h 00m, p90 3h 00m (1 accepted)",
        "assignment coverage   80.0% (4 of 5 handed_off leads have an owner)",
        "time to first touch   p50 10m 00s, p90 1h 00m (2 touched)",
        "SLA compliance        33.3% (1 met of 3 due or touched; 1 not yet due)",
        "escalations           1",
        "dispositions          accepted 1 (fit 1)",
        "                      nurture 1 (timing 1)",
        "pipeline / accepted   webinar: 1 deal(s), 12000.00 total, 12000.00 per accepted lead",
    ] {
        assert!(
            table.lines().any(|l| l.starts_with(line)),
            "missing {line:?} in\n{table}"
        );
    }
    assert!(
        !table.to_lowercase().contains("slack"),
        "no Slack alert was ever sent: nothing about Slack\n{table}"
    );

    let by_team = stdout(&run(&["report", "--by", "team", "--since", "2w"]));
    let rows: Vec<&str> = by_team
        .lines()
        .skip_while(|l| !l.starts_with("team"))
        .collect();
    assert_eq!(rows.len(), 4, "header, dach, uk, (none):\n{by_team}");
    assert!(
        rows[1].starts_with("dach") && rows[2].starts_with("uk"),
        "{by_team}"
    );
    assert!(
        rows[1].contains("50.0%") && rows[2].contains("0.0%"),
        "{by_team}"
    );
    assert!(
        rows.iter().all(|r| r.len() == rows[0].len()),
        "aligned:\n{by_team}"
    );

    let json: serde_json::Value = serde_json::from_str(&stdout(&run(&[
        "report", "--format", "json", "--since", "30d",
    ])))
    .unwrap();
    assert_eq!(json["window"], "30d");
    assert_eq!(json["total"]["handoffs"], 5);
    assert_eq!(json["total"]["coverage"]["den"], 6);
    assert_eq!(json["leads"]["by_outcome"]["handed_off"], 6);
    assert_eq!(json["total"]["time_to_accept"]["p90_ms"], 3 * 3_600_000);
    assert_eq!(json.get("slack"), None);

    let csv = stdout(&run(&[
        "report", "--format", "csv", "--by", "source", "--since", "24h",
    ]));
    let lines: Vec<&str> = csv.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let cell = |row: &str, name: &str| {
        row.split(',')
            .nth(header.iter().position(|h| *h == name).unwrap())
            .unwrap()
            .to_owned()
    };
    let webinar = lines.iter().find(|l| l.starts_with("webinar,")).unwrap();
    assert_eq!(cell(webinar, "handoffs"), "2");
    assert_eq!(cell(webinar, "acceptance_ratio"), "0.5000");
    assert_eq!(cell(webinar, "pipeline_sum"), "12000.00");
    let ads = lines.iter().find(|l| l.starts_with("ads,")).unwrap();
    assert_eq!(cell(ads, "acceptance_ratio"), "0.0000");
    assert_eq!(cell(ads, "pipeline_sum"), "", "no deal data: an empty cell");
}

async fn explain_by_contact_id_shows_the_stored_history(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let (store, url, _) = seeded(engine, dir.path()).await;
    store.close().await;
    let run = |args: &[&str]| handoff(dir.path(), &url, args);

    let text = stdout(&run(&["explain", "--contact-id", "1", "--portal", "62515"]));
    for expected in [
        "Contact 1 in portal 62515: 1 decision(s), handed off",
        "Handoff (closed, step task_created)",
        "owner           101 (Jonas Becker), team dach",
        "task            7001",
        "first touch     ",
        "(10m 00s after handoff, SLA met)",
        "disposition     accepted (fit) at ",
        "deal amount 12000.00",
        "Decision 1 of 1: handed_off at ",
        "(trigger contact.creation), owner 101 (Jonas Becker)",
        "score ",
        "+25 icp",
        "readiness: ready",
        "routed to 101 (Jonas Becker)",
        "rule dach-enterprise",
        "SLA ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    let missed = stdout(&run(&["explain", "--contact-id", "2", "--portal", "62515"]));
    assert!(
        missed.contains("none yet (SLA missed: past due)"),
        "{missed}"
    );
    assert!(
        missed.contains("escalations     1 (reassignments 0)"),
        "{missed}"
    );

    let json: serde_json::Value = serde_json::from_str(&stdout(&run(&[
        "explain",
        "--contact-id",
        "1",
        "--portal",
        "62515",
        "--json",
    ])))
    .unwrap();
    assert_eq!(
        json["handoff"]["task_id"], "7001",
        "a task id stays a string in JSON"
    );
    assert_eq!(json["handoff"]["missed_by"], serde_json::json!([]));
    assert_eq!(
        json["decisions"][0]["explanation"]["routing"]["assignment"]["owner_id"],
        "101"
    );

    let unknown = run(&["explain", "--contact-id", "999", "--portal", "62515"]);
    assert!(!unknown.status.success());
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        err.contains("no decision or handoff for contact 999 in portal 62515"),
        "{err}"
    );
}

on_both_engines!(
    the_report_command_prints_a_table_json_and_csv,
    explain_by_contact_id_shows_the_stored_history,
);

#[test]
fn a_bad_period_is_refused_before_anything_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/handoff.db", dir.path().display());
    for bad in ["5y", "0d", "soon", ""] {
        let out = handoff(dir.path(), &url, &["report", "--since", bad]);
        assert_eq!(out.status.code(), Some(2), "--since {bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("30m, 24h, 7d or 2w"), "{err}");
    }
    let out = handoff(dir.path(), &url, &["report", "--by", "region"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !dir.path().join("handoff.db").exists(),
        "no store opened for a bad command"
    );
}

#[test]
fn explain_takes_a_contact_file_or_a_stored_contact_id_not_both() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/handoff.db", dir.path().display());
    let both = handoff(
        dir.path(),
        &url,
        &[
            "explain",
            "--contact",
            "c.json",
            "--contact-id",
            "1",
            "--portal",
            "62515",
        ],
    );
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));
    let no_portal = handoff(dir.path(), &url, &["explain", "--contact-id", "1"]);
    assert_eq!(no_portal.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_portal.stderr).contains("--portal"));
    let neither = handoff(dir.path(), &url, &["explain"]);
    assert_eq!(neither.status.code(), Some(2));
}
