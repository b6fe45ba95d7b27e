//! The Slack tables (migrations 0015, 0016) on both engines: a click stored once per
//! `action_ts` (with the job that applies it) and applied once, an alert claimed once per
//! assignment and step (with the job that sends it) and settled once, and an owner's Slack
//! user and DM stored and refreshed.

use handoff::store::Dialect;
use handoff::store::slack::{AlertKey, NO_SLACK_USER, NewAlert, NewClick, SlackUserRow};
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
    // One job applies it, written with the row; the repeat wrote none.
    let stored = slack.unapplied_clicks(10).await.unwrap();
    let payload = format!("{{\"clickId\":{}}}", stored[0].id);
    assert_eq!(
        alert_jobs(&t, 1_000).await,
        [("slack_click.v1".to_owned(), payload)]
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

fn new_alert<'a>(key: AlertKey<'a>, due_at_ms: i64) -> NewAlert<'a> {
    NewAlert {
        key,
        kind: "assignment",
        channel: None,
        due_at_ms,
    }
}

/// The alerts lane's jobs due at `now_ms`, as `(kind, payload)`; claimed, so each shows once.
async fn alert_jobs(t: &crate::support::engines::TestStore, now_ms: i64) -> Vec<(String, String)> {
    let jobs = t
        .store
        .queue()
        .claim("alerts", "test", now_ms, 60_000, 100)
        .await
        .unwrap();
    jobs.into_iter().map(|j| (j.kind, j.payload)).collect()
}

async fn an_alert_step_is_claimed_once_with_its_job_and_settled_once(engine: Dialect) {
    let t = open_store(engine).await;
    let slack = t.store.slack();
    let key = AlertKey {
        portal_id: PORTAL,
        contact_id: CONTACT,
        version: 1,
        step: "assigned",
    };
    assert!(
        slack
            .claim_alert(&new_alert(key, 1_000), 1_000)
            .await
            .unwrap()
    );
    assert!(
        !slack
            .claim_alert(&new_alert(key, 5_000), 5_000)
            .await
            .unwrap()
    );
    let row = slack.alert(key).await.unwrap().unwrap();
    // One job sends it, written with the row.
    let payload = format!("{{\"alertId\":{}}}", row.id);
    assert_eq!(
        alert_jobs(&t, 1_000).await,
        [("slack_alert.v1".to_owned(), payload)]
    );
    // Another step, and the same step of the next assignment, are alerts of their own.
    let ladder = AlertKey {
        step: "ladder:0",
        ..key
    };
    let to_channel = NewAlert {
        kind: "channel",
        channel: Some("#sales-escalations"),
        ..new_alert(ladder, 9_000)
    };
    assert!(slack.claim_alert(&to_channel, 1_000).await.unwrap());
    let reassigned = AlertKey { version: 2, ..key };
    assert!(
        slack
            .claim_alert(&new_alert(reassigned, 1_500), 1_500)
            .await
            .unwrap()
    );
    let ladder_row = slack.alert(ladder).await.unwrap().unwrap();
    assert_eq!(
        (ladder_row.kind.as_str(), ladder_row.channel.as_deref()),
        ("channel", Some("#sales-escalations"))
    );

    assert_eq!((row.state.as_str(), row.attempts), ("pending", 0));
    // A try marks the post in flight; a second try cannot start meanwhile.
    assert!(
        slack
            .alert_sending(row.id, Some("U100"), 2_000)
            .await
            .unwrap()
    );
    assert!(
        !slack
            .alert_sending(row.id, Some("U100"), 2_001)
            .await
            .unwrap()
    );
    // A 429: nothing was posted, the mark is cleared and it is due again later.
    assert!(
        slack
            .alert_attempt_failed(row.id, "ratelimited", Some(4_000), 2_000)
            .await
            .unwrap()
    );
    let retried = slack.alert(key).await.unwrap().unwrap();
    assert_eq!(
        (retried.sending_at_ms, retried.next_attempt_at_ms),
        (None, Some(4_000))
    );
    assert!(
        slack
            .alert_sending(row.id, Some("U100"), 4_000)
            .await
            .unwrap()
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
    assert!(
        !slack
            .alert_settled(row.id, "failed", "unknown_outcome", 4_400)
            .await
            .unwrap()
    );
    let row = slack.alert(key).await.unwrap().unwrap();
    assert_eq!(
        (
            row.state.as_str(),
            row.attempts,
            row.channel.as_deref(),
            row.ts.as_deref(),
            row.recipient.as_deref(),
        ),
        (
            "sent",
            2,
            Some("D100"),
            Some("1795532400.000100"),
            Some("U100")
        )
    );
    assert_eq!(row.last_error.as_deref(), Some("ratelimited"));
    // The message is found again by where it was posted (a click names it so).
    let at = slack.alert_at("D100", "1795532400.000100").await.unwrap();
    assert_eq!(at.map(|a| a.id), Some(row.id));

    // Given up: failed, with its reason; skipped: with why.
    assert!(
        slack
            .alert_attempt_failed(ladder_row.id, "channel_not_found", None, 9_500)
            .await
            .unwrap()
    );
    let ladder_row = slack.alert(ladder).await.unwrap().unwrap();
    assert_eq!(
        (ladder_row.state.as_str(), ladder_row.last_error.as_deref()),
        ("failed", Some("channel_not_found"))
    );
    let next = slack.alert(reassigned).await.unwrap().unwrap();
    assert!(
        slack
            .alert_settled(next.id, "skipped", "lead_closed", 9_600)
            .await
            .unwrap()
    );
    let states: Vec<String> = slack
        .alerts_of(PORTAL, CONTACT)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.state)
        .collect();
    assert_eq!(states, ["sent", "failed", "skipped"]);
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
        dm_channel: None,
    };
    slack.put_user(&user).await.unwrap();
    assert_eq!(slack.user(PORTAL, OWNER).await.unwrap(), Some(user.clone()));
    // The DM opened for them is kept, also when the user is looked up again unchanged.
    slack.put_dm_channel(PORTAL, OWNER, "D100").await.unwrap();
    user.refreshed_at_ms = 1_500;
    slack.put_user(&user).await.unwrap();
    let kept = slack.user(PORTAL, OWNER).await.unwrap().unwrap();
    assert_eq!(kept.dm_channel.as_deref(), Some("D100"));
    // The account was removed from Slack since.
    user.slack_user_id = NO_SLACK_USER.into();
    user.team_id = None;
    user.time_zone = None;
    user.refreshed_at_ms = 2_000;
    slack.put_user(&user).await.unwrap();
    // Another user (none): the old DM is not theirs.
    assert_eq!(slack.user(PORTAL, OWNER).await.unwrap(), Some(user));
    assert_eq!(slack.user(OTHER_PORTAL, OWNER).await.unwrap(), None);
}

on_both_engines!(
    a_click_is_stored_once_and_applied_once,
    an_alert_step_is_claimed_once_with_its_job_and_settled_once,
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
