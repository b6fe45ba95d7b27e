use super::*;

fn alert(state: &str, reason: Option<&str>, n: i64) -> (String, Option<String>, i64) {
    (state.into(), reason.map(str::to_owned), n)
}

fn click(action: &str, outcome: Option<&str>, n: i64) -> (String, Option<String>, i64) {
    (action.into(), outcome.map(str::to_owned), n)
}

fn counts() -> SlackCounts {
    SlackCounts {
        ever: true,
        alerts: vec![
            alert("sent", None, 7),
            alert("failed", Some("invalid_auth"), 1),
            alert("failed", Some("channel_not_found"), 2),
            alert("failed", None, 1),
            alert("pending", None, 3),
        ],
        clicks: vec![
            click("accept", Some("accepted"), 4),
            click("accept", Some("already_closed"), 2),
            click("not_a_fit", Some("not_a_fit"), 1),
            click("not_a_fit", Some("not_owner"), 1),
            click("reassign", Some("reassigned"), 1),
            click("reassign", Some("stale"), 2),
            click("accept", None, 1),
        ],
    }
}

#[test]
fn slack_never_used_gives_no_figures_at_all() {
    assert_eq!(SlackAlerts::of(&SlackCounts::default(), false), None);
}

#[test]
fn a_handoff_accepted_in_slack_is_use_enough_to_show_the_figures() {
    let shown = SlackAlerts::of(&SlackCounts::default(), true);
    assert_eq!(shown, Some(SlackAlerts::default()));
}

#[test]
fn alerts_count_by_state_and_failed_ones_by_reason_most_first() {
    let s = SlackAlerts::of(&counts(), false).unwrap();
    assert_eq!(
        (s.alerts_sent, s.alerts_failed, s.alerts_pending),
        (7, 4, 3)
    );
    let reasons: Vec<(&str, u64)> = s
        .failed_by_reason
        .iter()
        .map(|c| (c.code.as_str(), c.count))
        .collect();
    assert_eq!(
        reasons,
        [
            ("channel_not_found", 2),
            (NO_REASON, 1),
            ("invalid_auth", 1)
        ]
    );
}

#[test]
fn a_refused_click_is_not_an_accept_click_and_counts_by_its_outcome() {
    let s = SlackAlerts::of(&counts(), false).unwrap();
    assert_eq!(
        (s.accept_clicks, s.not_a_fit_clicks, s.reassign_clicks),
        (4, 1, 1)
    );
    assert_eq!(s.clicks_refused, 5);
    let refused: Vec<(&str, u64)> = s
        .refused_by_outcome
        .iter()
        .map(|c| (c.code.as_str(), c.count))
        .collect();
    assert_eq!(
        refused,
        [("already_closed", 2), ("stale", 2), ("not_owner", 1)]
    );
    assert_eq!(s.clicks_unapplied, 1, "stored, not applied yet: neither");
}

#[test]
fn top_names_the_first_codes_and_how_many_more_there_are() {
    let s = SlackAlerts::of(&counts(), false).unwrap();
    assert_eq!(
        top(&s.failed_by_reason, 2),
        "channel_not_found 2, (none) 1 and 1 more"
    );
    assert_eq!(
        top(&s.refused_by_outcome, 3),
        "already_closed 2, stale 2, not_owner 1"
    );
}
