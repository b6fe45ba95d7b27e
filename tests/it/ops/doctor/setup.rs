//! `handoff portal setup`: once, then present; a property of another type is a conflict.

use handoff::admin::setup::SetupStatus;
use handoff::admin::{portal_client, setup_portal};

use crate::support::portal::{Live, PORTAL, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_creates_the_group_and_properties_once_and_a_second_run_writes_nothing() {
    let live = Live::start().await;
    let plan = live
        .run(&["portal", "setup", "--portal", "62515", "--dry-run"])
        .await;
    assert!(plan.status.success(), "{plan:?}");
    assert!(stdout(&plan).contains("create    property handoff_score (score): number/number"));
    assert!(
        live.writes().is_empty(),
        "a dry run writes nothing: {:?}",
        live.writes()
    );

    let first = live.run(&["portal", "setup", "--portal", "62515"]).await;
    assert!(first.status.success(), "{first:?}");
    let text = stdout(&first);
    for line in [
        "created   group handoff (contacts)",
        "present   property hubspot_owner_id (owner)",
        "created   property handoff_score (score): number/number",
        "created   property handoff_tier (tier): enumeration/select",
        "created   property handoff_sla_due_at (sla_due_at): datetime/date",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    let writes = live.writes();
    assert_eq!(
        writes.len(),
        2,
        "one group create, one batch create: {writes:?}"
    );

    live.sb.sandbox.reset_stats();
    let second = live.run(&["portal", "setup", "--portal", "62515"]).await;
    assert!(second.status.success(), "{second:?}");
    assert!(
        stdout(&second).contains("0 created, 6 present"),
        "{}",
        stdout(&second)
    );
    assert!(live.writes().is_empty(), "{:?}", live.writes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_reports_a_property_of_another_type_as_a_conflict_and_leaves_it() {
    use handoff::hubspot::client::{NewProperty, PropertyObject};
    let live = Live::start().await;
    live.setup().await;
    live.sb
        .sandbox
        .remove_property("contacts", "handoff_score")
        .unwrap();
    let loaded = live.loaded();
    let store = live.store(&loaded).await;
    let client = portal_client(&loaded, Some(&store)).unwrap();
    let text = NewProperty {
        name: "handoff_score".into(),
        label: "Score (text)".into(),
        kind: "string".into(),
        field_type: "text".into(),
        group_name: "handoff".into(),
        description: String::new(),
        options: Vec::new(),
    };
    let pid = handoff::hubspot::client::PortalId::new(62515).unwrap();
    client
        .create_properties(pid, PropertyObject::Contacts, &[text])
        .await
        .unwrap();
    let report = setup_portal(&loaded, &client, PORTAL, false).await.unwrap();
    let score = report
        .items
        .iter()
        .find(|i| i.what.contains("handoff_score"))
        .unwrap();
    assert_eq!(score.status, SetupStatus::Conflict, "{score:?}");
    assert!(score.detail.contains("string/text"), "{score:?}");
    let still = client
        .property(pid, PropertyObject::Contacts, "handoff_score")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.kind, "string", "left unchanged");
    let out = live.run(&["portal", "setup", "--portal", "62515"]).await;
    assert!(!out.status.success(), "a conflict exits non-zero");
}
