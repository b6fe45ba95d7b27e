//! `handoff demo` through the real binary, as a newcomer runs it: owners by name, numbers that
//! agree with each other, a store kept under a printed path, the weekly review page of its
//! twelve simulated weeks, and closing `explain`, `report` and `review` commands that work
//! exactly as printed (through a shell, with no environment).

use std::path::Path;
use std::process::Command;

/// Runs `line` through `sh` from `cwd` with an empty environment (PATH only).
fn run_as_printed(cwd: &std::path::Path, line: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{line}\nfailed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The number after `label` at the start of a scoreboard line.
fn number_after(text: &str, label: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(label))?;
    line[label.len()..].split_whitespace().next()?.parse().ok()
}

#[test]
fn the_demo_keeps_its_store_and_its_closing_commands_run_as_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo run");
    // From an empty directory, as the installed binary: the demo's data is built in.
    let cwd = tmp.path().join("elsewhere");
    std::fs::create_dir(&cwd).unwrap();
    let out = crate::support::cli::bare(&cwd)
        .env("NO_COLOR", "1")
        .args(["demo", "--run-s", "4", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "demo failed:\n{log}");

    // Owners by name, in the log and in the lead table.
    assert!(
        log.contains("owner_name="),
        "no owner names in the log:\n{log}"
    );
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Leads "))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(table.len() >= 5, "one line per example lead:\n{stdout}");
    let owned: Vec<&&str> = table.iter().filter(|l| l.contains(" owner ")).collect();
    assert!(!owned.is_empty(), "{stdout}");
    for line in owned {
        let after = line.split(" owner ").nth(1).unwrap();
        let id_then_name = after.split_once(' ').map(|(_, rest)| rest).unwrap_or("");
        assert!(
            id_then_name.starts_with('('),
            "owner without a name: {line}"
        );
    }

    // One definition per KPI: the handed_off leads are the handoffs (nothing merged or lost in
    // the demo), and no wait is shown as 0s.
    let leads_line = stdout.lines().find(|l| l.starts_with("leads ")).unwrap();
    let handed_off: u64 = leads_line
        .split("handed_off ")
        .nth(1)
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{leads_line}"));
    assert_eq!(
        Some(handed_off),
        number_after(&stdout, "handoffs"),
        "{stdout}"
    );
    let touch = stdout
        .lines()
        .find(|l| l.starts_with("time to first touch"))
        .unwrap();
    assert!(!touch.contains(" 0s"), "{touch}");

    // The owner of the first lead got handoff's DM in Slack and accepted it there; the rep who
    // qualifies the second lead in HubSpot is counted too: both ladders stopped, both accepted.
    assert!(
        log.contains("demo: the owner got a Slack DM with Accept, Not a fit and Reassign"),
        "{log}"
    );
    assert!(
        log.contains("demo: the rep clicks Accept in Slack"),
        "{log}"
    );
    assert!(log.contains("slack click applied"), "{log}");
    let acceptance = stdout
        .lines()
        .find(|l| l.starts_with("lead acceptance"))
        .unwrap();
    assert!(acceptance.contains("(2 accepted of 3"), "{acceptance}");

    // The store is kept where the demo says, and its closing commands work as printed.
    assert!(dir.join("handoff-demo.db").exists());
    assert!(
        stdout.contains("kept in '"),
        "a path with a space is quoted:\n{stdout}"
    );
    let commands: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Try next:"))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("Try next"))
        .collect();
    assert_eq!(
        commands.len(),
        4,
        "two explains, a report and a review:\n{stdout}"
    );
    for line in &commands[..2] {
        let text = run_as_printed(&cwd, line);
        assert!(text.contains("in portal 62515: "), "{line}:\n{text}");
    }
    let handed = run_as_printed(&cwd, commands[0]);
    assert!(handed.contains("handed off"), "{handed}");
    let owner = handed
        .lines()
        .find(|l| l.trim_start().starts_with("owner"))
        .unwrap();
    assert!(owner.contains(" ("), "the owner reads with a name: {owner}");
    let report = run_as_printed(&cwd, commands[2]);
    assert!(report.contains("By owner:"), "{report}");
    assert_eq!(
        number_after(&report, "handoffs"),
        number_after(&stdout, "handoffs"),
        "the report reads the demo's store:\n{report}"
    );

    // The weekly review page: named, in the demo's directory, with twelve weeks of history
    // behind its tuning section (rule rows, not "not available"); its command writes it again.
    let named = stdout
        .lines()
        .skip_while(|l| !l.starts_with("The weekly review of the last 12 weeks"))
        .nth(1)
        .unwrap_or_else(|| panic!("the page is named:\n{stdout}"));
    let page = std::path::PathBuf::from(named.trim().trim_matches('\''));
    assert_eq!(page.parent(), Some(dir.as_path()), "{named}");
    let name = page.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("review-62515-") && name.ends_with(".html"),
        "{name}"
    );
    let check_page = |html: &str| {
        assert!(
            !html.contains("data-tuning=\"n/a\""),
            "tuning not available"
        );
        assert!(html.contains("data-table=\"tune-rules\""));
        for rule in ["icp", "champion", "repeat-converter", "demo-request"] {
            assert!(html.contains(&format!("data-rule=\"{rule}\"")), "{rule}");
        }
        // Handoffs, escalations and reassignments: a point for each of the twelve weeks.
        let volume = html.split("data-chart=\"trend-volume\"").nth(1).unwrap();
        let volume = &volume[..volume.find("</svg>").unwrap()];
        assert_eq!(volume.matches("class=\"point\"").count(), 36);
    };
    check_page(&std::fs::read_to_string(&page).unwrap());
    std::fs::remove_file(&page).unwrap();
    let again = run_as_printed(&cwd, commands[3]);
    assert_eq!(Path::new(again.trim()), page.as_path(), "{again}");
    check_page(&std::fs::read_to_string(&page).unwrap());
}
