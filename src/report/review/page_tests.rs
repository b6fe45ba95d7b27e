//! The page as HTML: self-contained, every section present, and empty states said in words.

use super::model::tests::{build, busy_week, quiet_week, rules, week};
use super::*;
use crate::report::board::LedgerRows;

fn html(review: &Review, hooks: &ReviewHooks) -> String {
    let (_, roster) = rules();
    page::render(review, &roster, hooks)
}

#[test]
fn the_page_is_one_file_with_no_script_and_no_outside_reference() {
    let review = build(vec![(week(-1), quiet_week()), (week(0), busy_week())]);
    let page = html(&review, &ReviewHooks::default());
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..40]);
    for banned in [
        "<script", "<link", "<img", "<iframe", "url(", "@import", "http://", "https://", "src=",
    ] {
        assert!(!page.contains(banned), "{banned} in the page");
    }
    for id in [
        "scoreboard",
        "trends",
        "outcomes",
        "segments",
        "routing",
        "tuning",
        "definitions",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    assert!(
        !page.contains("NaN") && !page.contains("inf<"),
        "no broken number"
    );
    // Owners by roster name.
    assert!(page.contains("101 (Jonas Becker)"));
    // The tiles show the hand-computed figures and their change.
    for text in [
        "40.0%",
        "\u{2212}60.0 pts vs 2025-W29",
        "30m 00s",
        "20,000",
        "40,000",
    ] {
        assert!(page.contains(text), "missing {text:?}");
    }
}

#[test]
fn without_the_tuning_report_the_page_says_what_is_not_available() {
    let review = build(vec![(week(0), busy_week())]);
    let page = html(&review, &ReviewHooks::default());
    assert!(page.contains("data-tuning=\"n/a\""));
    assert!(page.contains("The tuning report is not available for this ledger"));
    assert!(page.contains(
        "fallbacks: <span class=\"na\" data-fallbacks=\"n/a\">not recorded in this ledger"
    ));
    let hooks = ReviewHooks {
        pool_fallbacks: None,
        tuning: Some(maud::html! { p #tuned { "rule icp lifts acceptance" } }),
    };
    let mut review = review;
    review.routing.pools[0].fallbacks = Some(3);
    let page = html(&review, &hooks);
    assert!(page.contains("<p id=\"tuned\">rule icp lifts acceptance</p>"));
    assert!(!page.contains("data-tuning=\"n/a\""));
    assert!(page.contains("data-fallbacks=\"3\""));
}

#[test]
fn empty_states_are_said_in_words_and_draw_no_chart() {
    let nothing = build(vec![
        (week(-1), LedgerRows::default()),
        (week(0), LedgerRows::default()),
    ]);
    let page = html(&nothing, &ReviewHooks::default());
    assert!(page.contains("data-empty=\"all\""));
    assert!(page.contains("there is nothing to review yet"));
    assert!(page.contains("No lead acceptance in these 2 weeks: nothing to draw."));
    assert!(page.contains("No disposition recorded in these weeks"));
    assert!(page.contains("No disqualification or nurture reason in 2025-W30"));
    assert!(page.contains("No handoff or ready lead in 2025-W30 to split by owner."));
    assert!(!page.contains("<polyline"), "no line without data");
    assert!(!page.contains("NaN"));

    // An empty reviewed week after a busy one: said, and the trend still shows the busy week.
    let empty_week = build(vec![
        (week(-1), busy_week()),
        (week(0), LedgerRows::default()),
    ]);
    let page = html(&empty_week, &ReviewHooks::default());
    assert!(page.contains("data-empty=\"week\""));
    assert!(page.contains("Nothing happened in 2025-W30"));
    assert!(page.contains("No handoff made in 2025-W30 has a disposition yet."));
    assert!(page.contains("data-chart=\"trend-acceptance\""));
    assert!(!page.contains("NaN"));
}

#[test]
fn a_week_without_dispositions_says_so_instead_of_a_rate() {
    let mut rows = busy_week();
    for h in &mut rows.handoffs {
        h.disposition = None;
        h.disposition_reason = None;
        h.deal_amount = None;
        h.status = "open".into();
    }
    let review = build(vec![(week(0), rows)]);
    let page = html(&review, &ReviewHooks::default());
    assert!(page.contains("no dispositions"), "acceptance detail");
    assert!(page.contains("No handoff made in 2025-W30 has a disposition yet."));
    assert!(page.contains("No accepted handoff of 2025-W30 has a deal amount yet."));
    assert!(!page.contains("NaN"));
}

#[test]
fn weeks_and_portals_are_checked_before_anything_is_read() {
    assert_eq!(parse_weeks("12").unwrap(), 12);
    for bad in ["0", "105", "-1", "x", ""] {
        assert!(
            parse_weeks(bad)
                .unwrap_err()
                .to_string()
                .contains(&format!("{bad:?}"))
        );
    }
    let id = |n| handoff_ids::PortalId::new(n).unwrap();
    let configured = [
        (id(62515), "Europe/Berlin".to_owned()),
        (id(7), "UTC".to_owned()),
    ];
    assert_eq!(pick_portal(&configured, Some(id(7))).unwrap().0, id(7));
    let unknown = pick_portal(&configured, Some(id(8)))
        .unwrap_err()
        .to_string();
    assert!(
        unknown.contains("portal 8 is not configured") && unknown.contains("62515, 7"),
        "{unknown}"
    );
    assert!(
        pick_portal(&configured, None)
            .unwrap_err()
            .to_string()
            .contains("give --portal P")
    );
    assert_eq!(pick_portal(&configured[..1], None).unwrap().0, id(62515));
    assert!(pick_portal(&[], None).is_err());

    let now = IsoWeek::parse("2026-W49")
        .unwrap()
        .bounds_ms(&jiff::tz::TimeZone::UTC)
        .0
        + 1;
    let request = ReviewRequest::new((id(1), "UTC".into()), None, 12, now).unwrap();
    assert_eq!(request.week.to_string(), "2026-W49");
    let labels: Vec<String> = request.weeks().into_iter().map(|w| w.label).collect();
    assert_eq!((labels.len(), labels[0].as_str()), (12, "2026-W38"));
    assert_eq!(default_file_name(&request), "review-1-2026-W49.html");
    let future = ReviewRequest::new(
        (id(1), "UTC".into()),
        IsoWeek::parse("2026-W50").ok(),
        12,
        now,
    );
    assert!(
        future
            .unwrap_err()
            .to_string()
            .contains("2026-W50 has not started yet")
    );
}
