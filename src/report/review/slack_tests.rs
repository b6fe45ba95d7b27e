//! The review's time to accept and Slack section on hand-built rows: figures computed by hand,
//! and not a word about Slack for a portal that never used Slack alerts.

use super::super::model::tests::{build_rows, busy_week, quiet_week, rules, week};
use super::super::model::{Review, ReviewRows};
use super::super::{ReviewHooks, page};
use crate::report::board::LedgerRows;
use crate::report::fixtures::HOUR;
use crate::store::ledger::SlackCounts;

fn review(weeks: Vec<(crate::report::review::Week, LedgerRows)>, slack: SlackCounts) -> Review {
    build_rows(ReviewRows {
        weeks,
        slack,
        ..ReviewRows::default()
    })
}

fn html(review: &Review) -> String {
    let (_, roster) = rules();
    page::render(review, &roster, &ReviewHooks::default())
}

/// The busy week with its two accepted handoffs accepted 1 h (in Slack) and 3 h (in HubSpot)
/// after the handoff.
fn accepted_in_slack() -> LedgerRows {
    let mut rows = busy_week();
    for (h, (after, via)) in rows
        .handoffs
        .iter_mut()
        .filter(|h| h.disposition.as_deref() == Some("accepted"))
        .zip([(HOUR, "slack"), (3 * HOUR, "hubspot")])
    {
        h.disposition_at_ms = Some(h.handed_off_at_ms + after);
        h.disposition_via = Some(via.into());
    }
    rows
}

fn counts() -> SlackCounts {
    let row = |a: &str, b: Option<&str>, n| (a.to_owned(), b.map(str::to_owned), n);
    SlackCounts {
        ever: true,
        alerts: vec![
            row("sent", None, 6),
            row("failed", Some("channel_not_found"), 2),
            row("pending", None, 1),
        ],
        clicks: vec![
            row("accept", Some("accepted"), 1),
            row("accept", Some("already_closed"), 1),
        ],
    }
}

#[test]
fn time_to_accept_has_its_tiles_and_trend_with_or_without_slack() {
    let r = review(
        vec![(week(-1), quiet_week()), (week(0), accepted_in_slack())],
        SlackCounts::default(),
    );
    let w = r.current().unwrap();
    assert_eq!(w.kpis.time_to_accept.accepted, 2);
    assert_eq!(w.kpis.time_to_accept.p50_ms, Some(HOUR));
    assert_eq!(w.kpis.time_to_accept.p90_ms, Some(3 * HOUR));
    let page = html(&r);
    assert!(page.contains("data-metric=\"accept-p50\""));
    assert!(page.contains("data-metric=\"accept-p90\""));
    assert!(page.contains("data-figure=\"trend-accept\""));
    assert!(page.contains("<dt>Time to accept p50 / p90</dt>"));
}

#[test]
fn a_portal_that_never_used_slack_alerts_reads_nothing_about_slack() {
    let r = review(
        vec![(week(-1), quiet_week()), (week(0), busy_week())],
        SlackCounts::default(),
    );
    assert_eq!(r.slack, None);
    assert!(r.weeks.iter().all(|w| w.kpis.accepted_via.is_none()));
    let groups = r.segments.iter().flat_map(|s| &s.groups);
    assert!(groups.into_iter().all(|g| g.kpis.accepted_via.is_none()));
    let page = html(&r);
    assert!(!page.to_lowercase().contains("slack"), "{page}");
    assert!(page.contains("Time to accept p50"), "time to accept stays");
}

#[test]
fn the_slack_section_shows_the_weeks_alerts_clicks_and_channels() {
    let r = review(
        vec![(week(-1), quiet_week()), (week(0), accepted_in_slack())],
        counts(),
    );
    let s = r.slack.as_ref().unwrap();
    assert_eq!(
        (s.alerts_sent, s.alerts_failed, s.alerts_pending),
        (6, 2, 1)
    );
    assert_eq!((s.accept_clicks, s.clicks_refused), (1, 1));
    let page = html(&r);
    assert!(page.contains("<a href=\"#slack\">Alerts in Slack</a>"));
    assert!(page.contains("<h2>Alerts in Slack, 2025-W30</h2>"));
    for row in [
        "<tr data-slack=\"sent\"><th>Alerts sent</th><td class=\"num\">6</td></tr>",
        "<tr data-slack=\"failed\"><th>Alerts failed</th><td class=\"num\">2</td></tr>",
        "<code>channel_not_found</code></td><td class=\"num\">2</td>",
        "<tr data-slack=\"accept\"><th>Accept clicks</th><td class=\"num\">1</td></tr>",
        "<tr data-slack=\"refused\"><th>Clicks refused</th><td class=\"num\">1</td></tr>",
        "<code>already_closed</code></td><td class=\"num\">1</td>",
        // W30: one of two in Slack; W29: its one acceptance came from HubSpot (no channel).
        "<td>2025-W30</td><td class=\"num\">2</td><td class=\"num\">1 (50.0%)</td><td class=\"num\">1 (50.0%)</td>",
        "<td>2025-W29</td><td class=\"num\">1</td><td class=\"num\">0 (0.0%)</td><td class=\"num\">1 (100.0%)</td>",
    ] {
        assert!(page.contains(row), "{row} in the page");
    }
    assert!(!page.contains("data-slack=\"unapplied\""), "none waits");
}

#[test]
fn a_handoff_accepted_in_slack_shows_the_section_without_any_alert_row() {
    let r = review(vec![(week(0), accepted_in_slack())], SlackCounts::default());
    let s = r.slack.as_ref().unwrap();
    assert_eq!((s.alerts_sent, s.accept_clicks), (0, 0));
    assert!(html(&r).contains("id=\"slack\""));
}
