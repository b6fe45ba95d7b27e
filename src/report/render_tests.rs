//! The scoreboard's text and JSON for time to accept and Slack alerts: shown with their
//! figures where Slack alerts are used, and not a word about Slack where they are not.

use super::*;
use crate::report::board::{GroupBy, LedgerRows};
use crate::report::fixtures::{HOUR, NOW, handoff};
use crate::report::window::Window;
use crate::store::ledger::{KpiHandoff, SlackCounts};

fn accepted(contact_id: i64, after_ms: i64, via: Option<&str>) -> KpiHandoff {
    let mut h = handoff(contact_id);
    h.status = "closed".into();
    h.disposition = Some("accepted".into());
    h.disposition_at_ms = Some(h.handed_off_at_ms + after_ms);
    h.disposition_via = via.map(str::to_owned);
    h
}

/// Three accepted handoffs (after 1 h in Slack, 2 h and 4 h in HubSpot) and one nurtured.
fn board(slack: &SlackCounts) -> Scoreboard {
    let mut nurtured = handoff(4);
    nurtured.disposition = Some("nurture".into());
    let rows = LedgerRows {
        handoffs: vec![
            accepted(1, HOUR, Some("slack")),
            accepted(2, 2 * HOUR, Some("hubspot")),
            accepted(3, 4 * HOUR, None),
            nurtured,
        ],
        ..LedgerRows::default()
    };
    Scoreboard::build(&rows, &Window::days(7), None, NOW).with_slack(slack)
}

fn used() -> SlackCounts {
    let row = |a: &str, b: Option<&str>, n| (a.to_owned(), b.map(str::to_owned), n);
    SlackCounts {
        ever: true,
        alerts: vec![
            row("sent", None, 5),
            row("failed", Some("channel_not_found"), 2),
            row("failed", Some("invalid_auth"), 1),
            row("pending", None, 1),
        ],
        clicks: vec![
            row("accept", Some("accepted"), 1),
            row("accept", Some("already_closed"), 1),
            row("reassign", Some("not_owner"), 1),
            row("not_a_fit", None, 1),
        ],
    }
}

#[test]
fn the_table_shows_time_to_accept_the_channel_and_the_slack_alerts() {
    let text = render(&board(&used()), Format::Table);
    for line in [
        "lead acceptance       75.0% (3 accepted of 4 with a disposition)",
        "time to accept        p50 2h 00m, p90 4h 00m (3 accepted)",
        "accepted via          Slack button 1 (33.3%), HubSpot status 2 (66.7%)",
        "Slack alerts          5 sent, 3 failed, 1 pending",
        "  failed because      channel_not_found 2, invalid_auth 1",
        "Slack clicks          1 accept, 0 not a fit, 0 reassign",
        "                      2 refused (already_closed 1, not_owner 1); 1 not applied yet",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
}

#[test]
fn the_json_carries_the_same_figures_with_units_in_their_names() {
    let json: serde_json::Value =
        serde_json::from_str(&render(&board(&used()), Format::Json)).unwrap();
    let total = &json["total"];
    assert_eq!(total["time_to_accept"]["accepted"], 3);
    assert_eq!(total["time_to_accept"]["p50_ms"], 2 * HOUR);
    assert_eq!(total["time_to_accept"]["p90_ms"], 4 * HOUR);
    assert_eq!(total["accepted_via"]["slack"]["num"], 1);
    assert_eq!(total["accepted_via"]["hubspot"]["num"], 2);
    assert_eq!(total["accepted_via"]["hubspot"]["den"], 3);
    let slack = &json["slack"];
    assert_eq!(slack["alerts_sent"], 5);
    assert_eq!(slack["alerts_failed"], 3);
    assert_eq!(slack["failed_by_reason"][0]["code"], "channel_not_found");
    assert_eq!(slack["failed_by_reason"][0]["count"], 2);
    assert_eq!(slack["accept_clicks"], 1);
    assert_eq!(slack["clicks_refused"], 2);
    assert_eq!(slack["refused_by_outcome"][1]["code"], "not_owner");
}

#[test]
fn where_slack_alerts_were_never_used_the_report_says_nothing_about_slack() {
    let rows = LedgerRows {
        handoffs: vec![accepted(1, HOUR, None), accepted(2, HOUR, Some("hubspot"))],
        ..LedgerRows::default()
    };
    let build = |slack: &SlackCounts| {
        Scoreboard::build(&rows, &Window::days(7), Some(GroupBy::Team), NOW).with_slack(slack)
    };
    let unused = build(&SlackCounts::default());
    for format in [Format::Table, Format::Json, Format::Csv] {
        let out = render(&unused, format);
        assert!(!out.to_lowercase().contains("slack"), "{format:?}:\n{out}");
        assert!(
            out.contains("accept"),
            "time to accept is still there:\n{out}"
        );
    }
    let text = render(&unused, Format::Table);
    assert!(
        text.contains("time to accept        p50 1h 00m, p90 1h 00m (2 accepted)"),
        "{text}"
    );
    // Alerts used once, even if none fell in this period: the figures show, at zero.
    let quiet = SlackCounts {
        ever: true,
        ..SlackCounts::default()
    };
    let text = render(&build(&quiet), Format::Table);
    for line in [
        "accepted via          Slack button 0 (0.0%), HubSpot status 2 (100.0%)",
        "Slack alerts          0 sent, 0 failed, 0 pending",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
}

#[test]
fn nothing_accepted_reads_n_a_for_time_to_accept() {
    let empty = Scoreboard::build(&LedgerRows::default(), &Window::days(7), None, NOW)
        .with_slack(&SlackCounts::default());
    let text = render(&empty, Format::Table);
    assert!(
        text.contains("time to accept        n/a (nothing accepted yet)"),
        "{text}"
    );
}
