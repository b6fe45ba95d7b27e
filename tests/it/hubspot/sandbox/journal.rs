//! The sandbox's Webhooks Journal read by the real client (docs/hubspot.md "Webhooks Journal"):
//! subscriptions, pointers, 204 when caught up, 404 for an unknown offset, the file behind a
//! pointer; and a backfill on both store engines that keeps its offset and reports lag and gaps in
//! metrics.

use handoff::hubspot::client::{
    HubspotError, JournalConfig, JournalFrom, JournalRead, NewJournalSubscription,
};
use handoff::metrics::Metrics;
use handoff::sandbox::ContactInput;
use handoff::store::Dialect;
use handoff::worker::journal::{BackfillRequest, SubscriptionChange, backfill};
use serde_json::json;

use crate::support::engines::open_store;
use crate::support::hubspot::{client, oauth_config};
use crate::support::sandbox::{PORTAL, client_for, json, raw, seeded, start};

fn contact(id: Option<&str>, props: &[(&str, &str)]) -> ContactInput {
    ContactInput {
        id: id.map(str::to_owned),
        properties: props
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        company_id: None,
        without_primary: None,
    }
}

#[tokio::test]
async fn the_journal_holds_subscribed_changes_and_answers_caught_up_and_unknown_offsets() {
    let sb = start(seeded()).await;
    let client = client_for(&sb);
    assert_eq!(
        client
            .journal_read(PORTAL, &JournalFrom::Earliest)
            .await
            .unwrap(),
        JournalRead::CaughtUp
    );
    // Changes before a subscription are not journaled.
    sb.sandbox
        .upsert_contact(contact(None, &[("email", "early@x.com")]))
        .unwrap();
    let bad = NewJournalSubscription {
        actions: vec!["NOT_AN_ACTION".into()],
        ..JournalConfig::default().subscription(PORTAL)
    };
    let refused = client.create_journal_subscription(PORTAL, &bad).await;
    assert!(
        matches!(&refused, Err(HubspotError::Permanent { detail, .. }) if detail.status == Some(400)),
        "{refused:?}"
    );
    let config = JournalConfig {
        properties: vec!["lifecyclestage".into()],
        ..JournalConfig::default()
    };
    client
        .create_journal_subscription(PORTAL, &config.subscription(PORTAL))
        .await
        .unwrap();
    let subs = client.journal_subscriptions(PORTAL).await.unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].properties, ["lifecyclestage"]);

    let (c, _) = sb
        .sandbox
        .upsert_contact(contact(
            None,
            &[("email", "a@x.com"), ("lifecyclestage", "lead")],
        ))
        .unwrap();
    // Not subscribed: no entry. Subscribed: one UPDATE with the change.
    sb.sandbox
        .upsert_contact(contact(Some(&c.id), &[("phone", "1")]))
        .unwrap();
    sb.sandbox
        .upsert_contact(contact(
            Some(&c.id),
            &[("lifecyclestage", "salesqualifiedlead")],
        ))
        .unwrap();

    let JournalRead::File(first) = client
        .journal_read(PORTAL, &JournalFrom::Earliest)
        .await
        .unwrap()
    else {
        panic!("a file");
    };
    let file = client.journal_file(PORTAL, &first).await.unwrap();
    let entry = &file.journal_events[0];
    assert_eq!(entry.action.as_deref(), Some("CREATE"));
    assert_eq!(entry.object_id, Some(c.id.parse().unwrap()));
    assert_eq!(
        entry.property_changes.get("lifecyclestage"),
        Some(&Some(json!("lead")))
    );
    assert!(
        !entry.property_changes.contains_key("email"),
        "not subscribed"
    );
    let next = JournalFrom::After(first.current_offset.clone());
    let JournalRead::File(second) = client.journal_read(PORTAL, &next).await.unwrap() else {
        panic!("a second file");
    };
    let update = client.journal_file(PORTAL, &second).await.unwrap();
    assert_eq!(update.journal_events[0].action.as_deref(), Some("UPDATE"));
    let after_second = JournalFrom::After(second.current_offset);
    assert_eq!(
        client.journal_read(PORTAL, &after_second).await.unwrap(),
        JournalRead::CaughtUp
    );
    let unknown = JournalFrom::After("00000000-0000-4000-8000-0000000000ff".into());
    assert_eq!(
        client.journal_read(PORTAL, &unknown).await.unwrap(),
        JournalRead::OffsetExpired
    );

    // HubSpot's error bodies for bad input and a missing token.
    let path = "/webhooks-journal/journal-local/2026-03/earliest?installPortalId=abc";
    let resp = raw(&sb, reqwest::Method::GET, path, Some("any"), None).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json(resp).await["category"], "VALIDATION_ERROR");
    let resp = raw(&sb, reqwest::Method::GET, path, None, None).await;
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn an_oauth_portal_reads_the_journal_with_an_app_token_whose_refusal_does_not_pause_the_portal()
 {
    let sb = start(seeded()).await;
    let c = client(&oauth_config(&sb.base_url));
    // Two journal calls: one client-credentials token, cached.
    assert!(c.journal_subscriptions(PORTAL).await.unwrap().is_empty());
    assert!(c.journal_subscriptions(PORTAL).await.unwrap().is_empty());
    assert_eq!(sb.sandbox.stats().tokens_issued, 1);
    // The CRM calls get the portal's own token (refresh grant): a second token.
    c.list_owners(PORTAL).await.unwrap();
    assert_eq!(sb.sandbox.stats().tokens_issued, 2);

    // HubSpot revokes the tokens: the journal call asks for a new app token once and goes on,
    // and the portal's CRM calls are not paused by it.
    sb.sandbox.expire_tokens();
    assert!(c.journal_subscriptions(PORTAL).await.unwrap().is_empty());
    assert_eq!(sb.sandbox.stats().tokens_issued, 3);
    c.list_owners(PORTAL).await.unwrap();
}

#[tokio::test]
async fn journal_calls_spend_none_of_the_portals_rate_budget() {
    let sb = start(handoff::sandbox::SandboxConfig {
        rate_limit: "3/10s".parse().unwrap(),
        ..seeded()
    })
    .await;
    let client = client_for(&sb);
    for _ in 0..10 {
        assert_eq!(
            client
                .journal_read(PORTAL, &JournalFrom::Latest)
                .await
                .unwrap(),
            JournalRead::CaughtUp
        );
    }
    assert_eq!(sb.sandbox.stats().rate_limited, 0);
    // The CRM budget is whole: its next call goes through at once.
    client.list_owners(PORTAL).await.unwrap();
    assert_eq!(sb.sandbox.stats().rate_limited, 0);
}

async fn backfill_keeps_its_offset_and_reports_lag_and_gaps(engine: Dialect) {
    let sb = start(seeded()).await;
    let client = client_for(&sb);
    let db = open_store(engine).await;
    let metrics = Metrics::new();
    let config = JournalConfig {
        enabled: true,
        ..JournalConfig::default()
    };
    let req = |now_ms| BackfillRequest {
        portal: PORTAL,
        config: config.clone(),
        since_ms: None,
        now_ms,
    };
    let now = jiff::Timestamp::now().as_millisecond();
    let first = backfill(&db.store, &client, Some(&metrics.journal), &req(now))
        .await
        .unwrap();
    assert_eq!(first.subscription, SubscriptionChange::Created);
    let other = BackfillRequest {
        config: JournalConfig {
            properties: vec!["email".into()],
            ..config.clone()
        },
        ..req(now)
    };
    let changed = backfill(&db.store, &client, None, &other).await.unwrap();
    assert_eq!(changed.subscription, SubscriptionChange::Updated);
    sb.sandbox
        .upsert_contact(contact(None, &[("email", "b@x.com")]))
        .unwrap();
    let read = backfill(&db.store, &client, Some(&metrics.journal), &req(now))
        .await
        .unwrap();
    assert_eq!(
        (read.files, read.enqueued, read.gap.is_some()),
        (1, 1, false)
    );
    let stored = db
        .store
        .journal()
        .offset(handoff_ids::PortalId::try_from(62515_i64).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Some(&stored.journal_offset), read.offset.as_ref());

    // Four days later, HubSpot no longer has that offset's file: a gap, counted.
    let later = now + 4 * 86_400_000;
    let gap = backfill(&db.store, &client, Some(&metrics.journal), &req(later))
        .await
        .unwrap();
    let gap = gap.gap.expect("a gap");
    assert_eq!((gap.reason, gap.from_ms), ("beyond_retention", now));
    let text = metrics.render();
    assert!(
        text.contains("handoff_journal_gaps_total{portal_id=\"62515\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("handoff_journal_events_recovered_total{portal_id=\"62515\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("handoff_journal_lag_seconds{portal_id=\"62515\"} 0"),
        "caught up at the end: {text}"
    );
}

#[tokio::test]
async fn backfill_on_sqlite_keeps_its_offset_and_reports_lag_and_gaps() {
    backfill_keeps_its_offset_and_reports_lag_and_gaps(Dialect::Sqlite).await;
}

#[tokio::test]
async fn backfill_on_postgres_keeps_its_offset_and_reports_lag_and_gaps() {
    backfill_keeps_its_offset_and_reports_lag_and_gaps(Dialect::Postgres).await;
}
