//! `handoff doctor`: a healthy portal passes, each broken one fails its named check, and no
//! run writes to HubSpot.

use handoff::admin::doctor::Status;
use handoff::sandbox::OwnerPatch;
use handoff::store::Store;
use handoff::store::queue::{OnExisting, Outcome, Scheduled};

use crate::support::portal::{Live, check, failing, fails_on, healthy, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_a_healthy_portal_and_writes_nothing_to_hubspot() {
    let live = healthy().await;
    let report = live.doctor().await;
    assert!(failing(&report).is_empty(), "{report:#?}");
    assert!(
        !report.checks().any(|c| c.status == Status::Warn),
        "{report:#?}"
    );
    for id in [
        "token",
        "scopes",
        "owners",
        "properties:contacts",
        "write_back:score",
        "webhook:https",
        "refused",
    ] {
        assert_eq!(check(&report, id).status, Status::Pass, "{id}");
    }
    let out = live.run(&["doctor", "--json"]).await;
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["summary"]["fail"], 0);
    let text = live.run(&["doctor", "--portal", "62515"]).await;
    assert!(text.status.success());
    assert!(
        stdout(&text).contains("Token & scopes"),
        "{}",
        stdout(&text)
    );
    assert!(
        live.writes().is_empty(),
        "doctor wrote: {:?}",
        live.writes()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_scope_fails_the_scope_check_by_name() {
    let live = healthy().await;
    let mut access = live.sb.sandbox.access();
    access.scopes.remove("crm.schemas.contacts.write");
    live.sb.sandbox.set_access(access);
    fails_on(&live, "scope:crm.schemas.contacts.write", "missing").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_token_info_a_403_names_the_missing_scope_and_otherwise_scopes_only_warn() {
    let live = healthy().await;
    let mut access = live.sb.sandbox.access();
    access.token_info = false;
    live.sb.sandbox.set_access(access.clone());
    let report = live.doctor().await;
    assert!(failing(&report).is_empty(), "{report:#?}");
    assert_eq!(check(&report, "scopes").status, Status::Warn);
    assert_eq!(check(&report, "token").status, Status::Pass);

    access.scopes.remove("crm.objects.owners.read");
    live.sb.sandbox.set_access(access);
    let report = live.doctor().await;
    let failed = failing(&report);
    assert!(
        failed.contains(&"scope:crm.objects.owners.read".to_owned()),
        "{failed:?}"
    );
    assert!(
        failed.contains(&"owners".to_owned()),
        "the owners read fails too: {failed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_write_back_property_fails_and_says_to_run_setup() {
    let live = healthy().await;
    live.sb
        .sandbox
        .remove_property("contacts", "handoff_sla_due_at")
        .unwrap();
    fails_on(&live, "write_back:sla_due_at", "missing").await;
    let report = live.doctor().await;
    let fix = check(&report, "write_back:sla_due_at").fix.clone().unwrap();
    assert!(fix.contains("handoff portal setup --portal 62515"), "{fix}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_gone_from_hubspot_fails_its_owner_check() {
    let live = healthy().await;
    live.sb.sandbox.remove_owner(101).unwrap();
    fails_on(&live, "owner:101", "no owner with this id").await;
    let patch = OwnerPatch {
        email: None,
        archived: Some(true),
    };
    live.sb.sandbox.patch_owner(102, patch).unwrap();
    let report = live.doctor().await;
    assert!(check(&report, "owner:102").reason.contains("archived"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_whose_email_changed_fails_with_both_emails() {
    let live = healthy().await;
    let patch = OwnerPatch {
        email: Some("lea.hofmann@new-domain.example".into()),
        archived: None,
    };
    live.sb.sandbox.patch_owner(102, patch).unwrap();
    fails_on(&live, "owner:102", "lea.hofmann@new-domain.example").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_reading_a_property_the_portal_lacks_fails_that_property() {
    let live = healthy().await;
    // Rule `repeat-converter` reads it; the portal lost it (or the playbook misspelled it).
    live.sb
        .sandbox
        .remove_property("contacts", "num_conversion_events")
        .unwrap();
    fails_on(
        &live,
        "property:contacts:num_conversion_events",
        "not in the portal",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_target_url_fails_the_https_check() {
    let live = healthy().await;
    live.configure("http://handoff.example.com/webhooks/hubspot", "");
    fails_on(&live, "webhook:https", "not HTTPS").await;
    live.configure("http://127.0.0.1:8080/webhooks/hubspot", "");
    let report = live.doctor().await;
    assert_eq!(check(&report, "webhook:https").status, Status::Warn);
}

async fn dead_letter(store: &Store, key: &str, reason: &str, at_ms: i64) {
    let job = handoff::store::NewJob {
        lane: "events",
        key: key.into(),
        kind: "hubspot_event.v1",
        payload: serde_json::value::to_raw_value(&serde_json::json!({})).unwrap(),
        occurred_at_ms: at_ms,
    };
    let scheduled = Scheduled {
        job,
        run_at_ms: at_ms,
        max_attempts: 1,
    };
    store
        .queue()
        .schedule(&scheduled, OnExisting::Keep, at_ms)
        .await
        .unwrap();
    let claimed = store
        .queue()
        .claim("events", "w", at_ms, 60_000, 1)
        .await
        .unwrap();
    let reason = reason.to_owned();
    store
        .queue()
        .finish(claimed[0].id, "w", &Outcome::Dead { reason }, at_ms)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_refused_for_a_portal_rule_in_the_last_day_are_listed_with_their_property() {
    let live = healthy().await;
    let loaded = live.loaded();
    let store = live.store(&loaded).await;
    let now = jiff::Timestamp::now().as_millisecond();
    let refused = r#"hubspot.permanent.rejected: task refused: 400 VALIDATION_ERROR: MISSING_CONDITIONAL_REQUIRED_PROPERTY: my_property is required because of a conditional property rule based on [country] {"propertyName":["my_property"]}"#;
    dead_letter(&store, "62515:0-1:7001", refused, now - 3_600_000).await;
    dead_letter(&store, "62515:0-1:7002", refused, now - 60_000).await;
    // Older than a day, another portal, another reason: not listed.
    dead_letter(&store, "62515:0-1:7003", refused, now - 90_000_000).await;
    dead_letter(&store, "777:0-1:7004", refused, now).await;
    dead_letter(
        &store,
        "62515:0-1:7005",
        "hubspot.permanent.rejected: 400 INVALID_EMAIL",
        now,
    )
    .await;
    store.close().await;
    let id = "refused:MISSING_CONDITIONAL_REQUIRED_PROPERTY:my_property";
    fails_on(&live, id, "2 write(s)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_names_an_unknown_portal() {
    let live = Live::start().await;
    let out = live.run(&["doctor", "--portal", "999"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("portal 999 is not configured"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_and_doctor_run_before_any_store_exists_and_create_none() {
    let live = Live::start().await;
    let db = live.dir.path().join("handoff.db");
    let setup = live.run(&["portal", "setup", "--portal", "62515"]).await;
    assert!(setup.status.success(), "{setup:?}");
    let out = live.run(&["doctor", "--json"]).await;
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let refused = json["portals"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "refused")
        .unwrap()
        .clone();
    assert_eq!(refused["status"], "pass");
    assert!(
        refused["reason"].as_str().unwrap().contains("no store yet"),
        "{refused}"
    );
    assert!(!db.exists(), "neither command creates a store");
}
