//! `handoff explain`, `handoff simulate` and the playbook checks of `check-config`, through the
//! real binary and the shipped example playbook.

use crate::support::cli::{self, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::Output;

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn handoff(dir: &Path, args: &[&str]) -> Output {
    cli::run(cli::configured(dir), args)
}

const AT: &str = "2026-11-24T09:00:00Z";

#[test]
fn explain_shows_why_a_lead_goes_to_its_owner_as_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let contact = repo("fixtures/contacts/dach-enterprise-demo.json");
    let contact = contact.to_str().unwrap();
    let text = handoff(dir.path(), &["explain", "--contact", contact, "--at", AT]);
    assert!(text.status.success(), "{}", stderr(&text));
    let out = stdout(&text);
    for expected in [
        "HAND OFF",
        "tier A",
        "+25 icp",
        "Owner 101 (Jonas Becker) via pool",
        "rule dach-enterprise",
        "due 2026-11-24T09:10:00Z",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    let json = handoff(
        dir.path(),
        &["explain", "--contact", contact, "--at", AT, "--json"],
    );
    let decision: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(decision["outcome"], "hand_off");
    assert_eq!(decision["routing"]["assignment"]["owner_id"], "101");
    assert!(
        decision["playbook_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
}

#[test]
fn explain_with_another_roster_names_who_was_excluded_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let default = std::fs::read_to_string(repo("config/default.toml")).unwrap();
    let table: toml::Table = toml::from_str(&default).unwrap();
    let mut roster = table["roster"].clone();
    for owner in roster["owners"].as_array_mut().unwrap() {
        if owner["id"].as_str() == Some("101") {
            owner
                .as_table_mut()
                .unwrap()
                .insert("paused".into(), toml::Value::Boolean(true));
        }
    }
    let path = dir.path().join("roster.toml");
    std::fs::write(&path, toml::to_string(&roster).unwrap()).unwrap();
    let contact = repo("fixtures/contacts/dach-enterprise-demo.json");
    let out = handoff(
        dir.path(),
        &[
            "explain",
            "--contact",
            contact.to_str().unwrap(),
            "--owners",
            path.to_str().unwrap(),
            "--at",
            AT,
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(decision["routing"]["assignment"]["owner_id"], "102");
    let text = stdout(&out);
    assert!(
        text.contains("paused"),
        "the exclusion reason is in the explanation: {text}"
    );
}

#[test]
fn simulate_lists_the_leads_a_stricter_playbook_stops_handing_off() {
    let dir = tempfile::tempdir().unwrap();
    let contacts = repo("fixtures/simulate/contacts.jsonl");
    let candidate = repo("fixtures/simulate/playbook-stricter.toml");
    let args = [
        "simulate",
        "--contacts",
        contacts.to_str().unwrap(),
        "--playbook",
        candidate.to_str().unwrap(),
        "--at",
        AT,
    ];
    let out = handoff(dir.path(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("9 contacts"), "{text}");
    assert!(
        text.contains("51008: outcome hand_off → not_ready"),
        "{text}"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let sim: serde_json::Value =
        serde_json::from_slice(&handoff(dir.path(), &json_args).stdout).unwrap();
    assert_eq!(sim["by_outcome"]["hand_off"], serde_json::json!([4, 3]));
}

#[test]
fn simulate_and_explain_name_the_file_and_line_that_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let contacts = dir.path().join("contacts.jsonl");
    std::fs::write(&contacts, "{\"id\":\"1\",\"properties\":{}}\n\nnot json\n").unwrap();
    let candidate = repo("fixtures/simulate/playbook-stricter.toml");
    let out = handoff(
        dir.path(),
        &[
            "simulate",
            "--contacts",
            contacts.to_str().unwrap(),
            "--playbook",
            candidate.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("contacts.jsonl: line 3"),
        "{}",
        stderr(&out)
    );
    let missing = handoff(dir.path(), &["explain", "--contact", "nope.json"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("nope.json: cannot read"),
        "{}",
        stderr(&missing)
    );
    let bad_at = handoff(
        dir.path(),
        &["explain", "--contact", "nope.json", "--at", "yesterday"],
    );
    assert!(!bad_at.status.success());
}

#[test]
fn check_config_catches_a_misspelled_property_before_production() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    let playbook =
        std::fs::read_to_string(repo("fixtures/simulate/playbook-stricter.toml")).unwrap();
    assert!(playbook.contains("contact.jobtitle"));
    std::fs::write(
        conf.join("local.toml"),
        playbook.replacen("contact.jobtitle", "contact.jobtitel", 1),
    )
    .unwrap();
    let out = handoff(
        dir.path(),
        &["check-config", "--config", conf.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let text = stderr(&out);
    let named = text.lines().any(|l| {
        l.split_once("local.toml:")
            .and_then(|(_, rest)| rest.split_once(": playbook."))
            .is_some_and(|(line_col, _)| {
                line_col.split(':').count() == 2
                    && line_col.split(':').all(|n| n.parse::<u32>().is_ok())
            })
    });
    assert!(named, "the file:line:column and key path are named: {text}");
    assert!(text.contains("jobtitel"), "{text}");
    // The unedited candidate passes, and replaces the built-in playbook whole.
    std::fs::write(conf.join("local.toml"), playbook).unwrap();
    let ok = handoff(
        dir.path(),
        &["check-config", "--config", conf.to_str().unwrap()],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
}

#[test]
fn an_id_hubspot_cannot_have_is_refused_by_the_command_line_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["review", "--portal", "0"][..],
        &["tune", "--portal", "abc"],
        &["doctor", "--portal=-1"],
        &["explain", "--contact-id", "0", "--portal", "62515"],
        &[
            "simulate",
            "--playbook",
            "candidate.toml",
            "--portal",
            "9223372036854775808",
        ],
    ] {
        let out = handoff(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let err = stderr(&out);
        assert!(err.contains("is not an id"), "{args:?}: {err}");
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
    // Nothing ran: no store was created where the test environment points it.
    assert!(!dir.path().join("handoff.db").exists());
}
