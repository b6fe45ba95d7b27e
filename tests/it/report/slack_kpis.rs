//! Time to accept, acceptance by channel and the Slack alerts' figures, on both engines, in
//! `handoff report` and the weekly review: alerts and clicks written through the store's Slack
//! API (`claim_alert`, `alert_sent`, `alert_attempt_failed`, `record_click`, `click_applied`),
//! a disposition's channel by plain SQL (its writer is the worker's), read back through
//! `report::scoreboard` and `review::page_with_hooks`.

use handoff::report::review::{self, IsoWeek, ReviewRequest};
use handoff::report::{self, CodeCount, SlackAlerts, Window, render};
use handoff::store::slack::{AlertKey, NewAlert, NewClick};
use handoff::store::{Dialect, Store};
use handoff_ids::{ContactId, PortalId};

use super::review::{SEEDED_AT, WEEK, seeded_review};
use crate::support::engines::execute;
use crate::support::ledger::{DAY, HOUR, MINUTE, PORTAL, examples, seeded};

const OTHER_PORTAL: i64 = 62516;

fn portal(id: i64) -> PortalId {
    PortalId::try_from(id).unwrap()
}

/// An alert of `portal` created at `at`, then settled: `Ok(())` sent, `Err(Some(reason))`
/// given up, `Err(None)` still pending.
async fn alert(
    store: &Store,
    (portal_id, contact): (i64, i64),
    at: i64,
    end: Result<(), Option<&str>>,
) {
    let key = AlertKey {
        portal_id: portal(portal_id),
        contact_id: ContactId::try_from(contact).unwrap(),
        version: 1,
        step: "assigned",
    };
    let slack = store.slack();
    let new = NewAlert {
        key,
        kind: "assignment",
        channel: None,
        due_at_ms: at,
    };
    assert!(slack.claim_alert(&new, at).await.unwrap());
    let id = slack.alert(key).await.unwrap().unwrap().id;
    let settled = match end {
        Ok(()) => {
            slack
                .alert_sent(id, ("D100", "1.000100", None), at + MINUTE)
                .await
        }
        Err(Some(reason)) => {
            slack
                .alert_attempt_failed(id, reason, None, at + MINUTE)
                .await
        }
        Err(None) => return,
    };
    assert!(settled.unwrap());
}

/// A click on contact `contact`'s alert received at `at`, applied with `outcome` when given.
async fn click(store: &Store, (contact, at): (i64, i64), action: &str, outcome: Option<&str>) {
    let action_ts = format!("{contact}.{at}");
    let slack = store.slack();
    let new = NewClick {
        received_at_ms: at,
        team_id: "T0SANDBOX",
        user_id: "U100",
        channel_id: "D100",
        message_ts: "1.000100",
        action_ts: &action_ts,
        action,
        reason: None,
        portal_id: portal(PORTAL),
        contact_id: ContactId::try_from(contact).unwrap(),
        version: 1,
    };
    assert!(slack.record_click(&new).await.unwrap());
    let Some(outcome) = outcome else { return };
    let stored = slack.unapplied_clicks(100).await.unwrap();
    let id = stored.iter().find(|c| c.action_ts == action_ts).unwrap().id;
    assert!(slack.click_applied(id, outcome, at + MINUTE).await.unwrap());
}

/// Alerts and clicks of the hour before `now`, plus some eight days old (outside a 7-day
/// window) and one alert of another portal.
async fn slack_activity(store: &Store, now: i64) {
    let (recent, old) = (now - HOUR, now - 8 * DAY);
    alert(store, (PORTAL, 1), recent, Ok(())).await;
    alert(store, (PORTAL, 2), recent, Err(Some("channel_not_found"))).await;
    alert(store, (PORTAL, 3), recent, Err(Some("channel_not_found"))).await;
    alert(store, (PORTAL, 4), recent, Err(Some("invalid_auth"))).await;
    alert(store, (PORTAL, 5), recent, Err(None)).await;
    alert(store, (PORTAL, 7), old, Err(Some("token_revoked"))).await;
    alert(
        store,
        (OTHER_PORTAL, 1),
        recent,
        Err(Some("unknown_outcome")),
    )
    .await;
    click(store, (1, recent), "accept", Some("accepted")).await;
    click(store, (1, recent + 1), "accept", Some("already_closed")).await;
    click(store, (2, recent), "not_a_fit", Some("not_owner")).await;
    click(store, (3, recent), "reassign", None).await;
    click(store, (7, old), "accept", Some("accepted")).await;
}

fn counts(pairs: &[(&str, u64)]) -> Vec<CodeCount> {
    pairs
        .iter()
        .map(|(code, count)| CodeCount {
            code: (*code).to_owned(),
            count: *count,
        })
        .collect()
}

/// Lead 4 (handed off an hour ago) accepted after 30 minutes, by HubSpot (no channel
/// recorded); lead 1's acceptance came from Slack.
async fn accept_four_in_hubspot_and_one_in_slack(store: &Store, url: &str) {
    let four = store
        .ledger()
        .handoff_of(portal(PORTAL), ContactId::new(4).unwrap())
        .await
        .unwrap()
        .unwrap();
    let at = four.handed_off_at_ms + 30 * MINUTE;
    store
        .ledger()
        .record_disposition(&four, "accepted", None, None, at)
        .await
        .unwrap();
    execute(
        url,
        "UPDATE handoffs SET disposition_via = 'slack' WHERE portal_id = 62515 AND contact_id = 1",
    )
    .await;
}

/// What `slack_activity` leaves in the 7 days to its `now`, over every portal.
fn alerts_of_the_week() -> SlackAlerts {
    SlackAlerts {
        alerts_sent: 1,
        alerts_failed: 4,
        alerts_pending: 1,
        failed_by_reason: counts(&[
            ("channel_not_found", 2),
            ("invalid_auth", 1),
            ("unknown_outcome", 1),
        ]),
        accept_clicks: 1,
        not_a_fit_clicks: 0,
        reassign_clicks: 0,
        clicks_refused: 2,
        refused_by_outcome: counts(&[("already_closed", 1), ("not_owner", 1)]),
        clicks_unapplied: 1,
    }
}

async fn the_report_counts_the_periods_slack_alerts_clicks_and_channels(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let (store, url, now) = seeded(engine, dir.path()).await;
    let week = Window::parse("7d").unwrap();
    // Before any alert: time to accept (lead 1, accepted three hours after its handoff), and
    // nothing about Slack.
    let board = report::scoreboard(&store, &week, None, now).await.unwrap();
    assert_eq!(board.total.time_to_accept.accepted, 1);
    assert_eq!(board.total.time_to_accept.p50_ms, Some(3 * HOUR));
    assert_eq!(
        (board.slack.as_ref(), board.total.accepted_via),
        (None, None)
    );

    accept_four_in_hubspot_and_one_in_slack(&store, &url).await;
    slack_activity(&store, now).await;

    let board = report::scoreboard(&store, &week, None, now).await.unwrap();
    let t = board.total.time_to_accept;
    assert_eq!(
        (t.accepted, t.p50_ms, t.p90_ms),
        (2, Some(30 * MINUTE), Some(3 * HOUR))
    );
    let via = board.total.accepted_via.unwrap();
    assert_eq!((via.slack.num, via.hubspot.num, via.slack.den), (1, 1, 2));
    // Every portal's alerts of the week (the other portal's too); the old ones left out.
    let expected = alerts_of_the_week();
    assert_eq!(board.slack.as_ref(), Some(&expected));
    let text = render(&board, report::Format::Table);
    for line in [
        "time to accept        p50 30m 00s, p90 3h 00m (2 accepted)",
        "accepted via          Slack button 1 (50.0%), HubSpot status 1 (50.0%)",
        "Slack alerts          1 sent, 4 failed, 1 pending",
        "  failed because      channel_not_found 2, invalid_auth 1, unknown_outcome 1",
        "Slack clicks          1 accept, 0 not a fit, 0 reassign",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&render(&board, report::Format::Json)).unwrap();
    assert_eq!(json["slack"]["accept_clicks"], 1);
    assert_eq!(json["total"]["time_to_accept"]["p50_ms"], 30 * MINUTE);
    // Over two weeks the old alert and click count too.
    let two = Window::parse("2w").unwrap();
    let board = report::scoreboard(&store, &two, None, now).await.unwrap();
    let slack = board.slack.unwrap();
    assert_eq!((slack.alerts_failed, slack.accept_clicks), (5, 2));
    store.close().await;
}

/// The review page of 2026-W49 for the seeded portal.
async fn page(store: &Store, dir: &std::path::Path) -> String {
    let loaded = crate::support::app::load_config(
        dir,
        "",
        &[("HANDOFF__ENGINE__EXAMPLES_DIR", examples().as_str())],
    );
    let now = SEEDED_AT
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let request = ReviewRequest::new(
        (portal(PORTAL), "Europe/Berlin".into()),
        Some(IsoWeek::parse(WEEK).unwrap()),
        12,
        now,
    )
    .unwrap();
    let rules = (loaded.playbook.as_ref(), loaded.roster.as_ref());
    review::page_with_hooks(store, &request, rules, now)
        .await
        .unwrap()
}

async fn the_review_shows_its_portals_slack_week_and_nothing_where_slack_was_never_used(
    engine: Dialect,
) {
    let dir = tempfile::tempdir().unwrap();
    let url = seeded_review(engine, dir.path()).await;
    let store = Store::connect(&crate::support::engines::settings(&url))
        .await
        .unwrap();
    let before = page(&store, dir.path()).await;
    assert!(!before.to_lowercase().contains("slack"), "{before}");
    assert!(before.contains("data-metric=\"accept-p50\""));

    let now = SEEDED_AT
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    slack_activity(&store, now).await;
    let after = page(&store, dir.path()).await;
    assert!(
        after.contains("<h2>Alerts in Slack, 2026-W49</h2>"),
        "{after}"
    );
    // Only this portal's alerts of W49: the other portal's failure is not among them, and the
    // eight-day-old ones fell in W48.
    for row in [
        "<tr data-slack=\"sent\"><th>Alerts sent</th><td class=\"num\">1</td></tr>",
        "<tr data-slack=\"failed\"><th>Alerts failed</th><td class=\"num\">3</td></tr>",
        "<tr data-slack=\"pending\"><th>Alerts pending</th><td class=\"num\">1</td></tr>",
        "<code>channel_not_found</code></td><td class=\"num\">2</td>",
        "<tr data-slack=\"accept\"><th>Accept clicks</th><td class=\"num\">1</td></tr>",
        "<tr data-slack=\"refused\"><th>Clicks refused</th><td class=\"num\">2</td></tr>",
        "<tr data-slack=\"unapplied\"><th>Clicks not applied yet</th><td class=\"num\">1</td></tr>",
        // Lead 1, accepted in W49, through HubSpot (no channel recorded).
        "<td>2026-W49</td><td class=\"num\">1</td><td class=\"num\">0 (0.0%)</td><td class=\"num\">1 (100.0%)</td>",
    ] {
        assert!(after.contains(row), "{row} in the page");
    }
    assert!(!after.contains("unknown_outcome") && !after.contains("token_revoked"));
    store.close().await;
}

on_both_engines!(
    the_report_counts_the_periods_slack_alerts_clicks_and_channels,
    the_review_shows_its_portals_slack_week_and_nothing_where_slack_was_never_used,
);
