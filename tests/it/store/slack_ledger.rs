//! The Slack tables (migration 0015) on both engines: a click stored once per `action_ts` and
//! applied once, an alert claimed once per assignment and step and settled once, and an
//! owner's Slack user stored and refreshed.

use handoff::store::Dialect;
use handoff::store::slack::{AlertKey, NO_SLACK_USER, NewClick, SlackUserRow};
use handoff_ids::{ContactId, OwnerId, PortalId};

use crate::support::engines::open_store;

const PORTAL: PortalId = id(62515);
const OTHER_PORTAL: PortalId = id(62516);
const CONTACT: ContactId = match ContactId::new(1001) {
    Some(c) => c,
    None => panic!("1001 is a contact id"),
};
const OWNER: OwnerId = match OwnerId::new(100) {
    Some(o) => o,
    None => panic!("100 is an owner id"),
};

const fn id(n: u64) -> PortalId {
    match PortalId::new(n) {
        Some(p) => p,
        None => panic!("not a portal id"),
    }
}

fn click<'a>(action_ts: &'a str, action: &'a str, reason: Option<&'a str>) -> NewClick<'a> {
    NewClick {
        received_at_ms: 1_000,
        team_id: "T0SANDBOX",
        user_id: "U100",
        channel_id: "D100",
        message_ts: "1795532400.000100",
        action_ts,
        action,
        reason,
        portal_id: PORTAL,
        contact_id: CONTACT,
        version: 2,
    }
}

async fn a_click_is_stored_once_and_applied_once(engine: Dialect) {
    let t = open_store(engine).await;
    let slack = t.store.slack();
    assert!(
        slack
            .record_click(&click("1.1", "accept", None))
            .await
            .unwrap()
    );
    // The same click again (Slack sending it twice): not a second row.
    assert!(
        !slack
            .record_click(&click("1.1", "accept", None))
            .await
            .unwrap()
    );
    let choice = click("1.2", "not_a_fit", Some("no_budget"));
    assert!(slack.record_click(&choice).await.unwrap());
    let pending = slack.unapplied_clicks(10).await.unwrap();
    let seen: Vec<_> = pending
        .iter()
        .map(|c| (c.action.as_str(), c.reason.as_deref(), c.action_ts.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("accept", None, "1.1"),
            ("not_a_fit", Some("no_budget"), "1.2")
        ]
    );
    let first = pending[0].id;
    assert!(slack.click_applied(first, "accepted", 2_000).await.unwrap());
    // A second worker finishing the same click does not overwrite the outcome.
    assert!(
        !slack
            .click_applied(first, "already_accepted", 3_000)
            .await
            .unwrap()
    );
    let all = slack.clicks_of(PORTAL, CONTACT).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        (all[0].applied_at_ms, all[0].outcome.as_deref()),
        (Some(2_000), Some("accepted"))
    );
    assert_eq!(slack.unapplied_clicks(10).await.unwrap().len(), 1);
    assert!(
        slack
            .clicks_of(PORTAL, ContactId::new(1002).unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn an_alert_step_is_claimed_once_and_settled_once(engine: Dialect) {
    let t = open_store(engine).await;
    let slack = t.store.slack();
    let key = AlertKey {
        portal_id: PORTAL,
        contact_id: CONTACT,
        version: 1,
        step: "assigned",
    };
    assert!(slack.claim_alert(key, 1_000, 1_000).await.unwrap());
    assert!(!slack.claim_alert(key, 5_000, 5_000).await.unwrap());
    // Another step, and the same step of the next assignment, are alerts of their own.
    let ladder = AlertKey {
        step: "ladder:0",
        ..key
    };
    assert!(slack.claim_alert(ladder, 9_000, 1_000).await.unwrap());
    let reassigned = AlertKey { version: 2, ..key };
    assert!(slack.claim_alert(reassigned, 1_500, 1_500).await.unwrap());
    let due: Vec<_> = slack
        .due_alerts(2_000, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.step, a.version))
        .collect();
    assert_eq!(
        due,
        [("assigned".to_owned(), 1), ("assigned".to_owned(), 2)]
    );

    let row = slack.alert(key).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("pending", 0));
    assert!(
        slack
            .alert_attempt_failed(row.id, "rate_limited", Some(4_000), 2_000)
            .await
            .unwrap()
    );
    assert!(
        slack
            .due_alerts(3_000, 10)
            .await
            .unwrap()
            .iter()
            .all(|a| a.id != row.id)
    );
    let sent = ("D100", "1795532400.000100", None);
    assert!(slack.alert_sent(row.id, sent, 4_100).await.unwrap());
    // Sent is final: neither a late failure nor a second send changes it.
    assert!(
        !slack
            .alert_attempt_failed(row.id, "timeout", None, 4_200)
            .await
            .unwrap()
    );
    assert!(
        !slack
            .alert_sent(row.id, ("D100", "9.9", None), 4_300)
            .await
            .unwrap()
    );
    let row = slack.alert(key).await.unwrap().unwrap();
    assert_eq!(
        (
            row.state.as_str(),
            row.attempts,
            row.channel.as_deref(),
            row.ts.as_deref()
        ),
        ("sent", 2, Some("D100"), Some("1795532400.000100"))
    );
    assert_eq!(row.last_error.as_deref(), Some("rate_limited"));

    // Given up: failed, with its reason, and no longer due.
    let ladder_row = slack.alert(ladder).await.unwrap().unwrap();
    assert!(
        slack
            .alert_attempt_failed(ladder_row.id, "channel_not_found", None, 9_500)
            .await
            .unwrap()
    );
    let ladder_row = slack.alert(ladder).await.unwrap().unwrap();
    assert_eq!(ladder_row.state, "failed");
    assert_eq!(ladder_row.next_attempt_at_ms, None);
    assert!(
        slack
            .due_alerts(100_000, 10)
            .await
            .unwrap()
            .iter()
            .all(|a| a.id != ladder_row.id)
    );
}

async fn an_owners_slack_user_is_stored_and_refreshed(engine: Dialect) {
    let t = open_store(engine).await;
    let slack = t.store.slack();
    assert_eq!(slack.user(PORTAL, OWNER).await.unwrap(), None);
    let mut user = SlackUserRow {
        portal_id: PORTAL,
        owner_id: OWNER,
        email: "katrin.vogel@example.com".into(),
        slack_user_id: "U100".into(),
        team_id: Some("T0SANDBOX".into()),
        time_zone: Some("Europe/Berlin".into()),
        refreshed_at_ms: 1_000,
    };
    slack.put_user(&user).await.unwrap();
    assert_eq!(slack.user(PORTAL, OWNER).await.unwrap(), Some(user.clone()));
    // The account was removed from Slack since.
    user.slack_user_id = NO_SLACK_USER.into();
    user.team_id = None;
    user.time_zone = None;
    user.refreshed_at_ms = 2_000;
    slack.put_user(&user).await.unwrap();
    assert_eq!(slack.user(PORTAL, OWNER).await.unwrap(), Some(user));
    assert_eq!(slack.user(OTHER_PORTAL, OWNER).await.unwrap(), None);
}

on_both_engines!(
    a_click_is_stored_once_and_applied_once,
    an_alert_step_is_claimed_once_and_settled_once,
    an_owners_slack_user_is_stored_and_refreshed,
);

/// A stored click whose contact id is not an id (a hand edit, a bad restore) fails the
/// worker's read naming the column: it is never applied to contact 0.
#[tokio::test]
async fn a_stored_click_whose_contact_id_is_out_of_range_fails_to_load() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::engines::fresh_url(Dialect::Sqlite, dir.path()).await;
    let store = handoff::store::Store::connect(&crate::support::engines::settings(&url))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let slack = store.slack();
    assert!(
        slack
            .record_click(&click("1.1", "accept", None))
            .await
            .unwrap()
    );
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE slack_clicks SET contact_id = 0")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let err = slack.unapplied_clicks(10).await.unwrap_err().to_string();
    assert!(err.contains("decoding column contact_id"), "{err}");
}
