//! The sandbox's write validation (`POST /_sandbox/validation`, docs/hubspot.md "Write
//! validation"): a create missing a required property is refused per input in each version's
//! batch shape (inside the 201 on 2026-09, a 207 on v3) or as a whole with 400; bad rules are
//! refused; a contact's `associatedcompanyid` is its primary company, read-only.

use handoff::hubspot::client::paths::path;
use handoff::hubspot::client::{Api, ApiVersion};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::sandbox::{json, raw, seeded, start};

const TOKEN: Option<&str> = Some("pat-na1-test");

fn task(trace: &str, kind: &str) -> Value {
    json!({"properties": {"hs_timestamp": "1800000000000", "hs_task_subject": "Call", "hs_task_type": kind},
        "associations": [{"to": {"id": "51003"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}],
        "objectWriteTraceId": trace})
}

#[tokio::test]
async fn a_task_missing_a_required_property_is_refused_in_each_versions_batch_shape() {
    let sb = start(seeded()).await;
    let rule = json!({"object": "tasks", "required": ["hs_a"],
        "conditional": [{"property": "hs_b", "when": {"hs_task_type": "CALL"}}]});
    let r = raw(&sb, Method::POST, "/_sandbox/validation", None, Some(rule)).await;
    assert_eq!(r.status(), 200);
    for (v, status) in [(ApiVersion::Dated2026_09, 201), (ApiVersion::V3, 207)] {
        let mut ok = task("ok", "TODO");
        ok["properties"]["hs_a"] = json!("x");
        let mut call = task("call", "CALL");
        call["properties"]["hs_a"] = json!("x");
        let body = json!({"inputs": [ok, task("bare", "TODO"), call]});
        let at = path(v, Api::Objects, "tasks/batch/create");
        let r = raw(&sb, Method::POST, &at, TOKEN, Some(body)).await;
        assert_eq!(r.status().as_u16(), status, "{v}");
        let b = json(r).await;
        assert_eq!(b["results"].as_array().unwrap().len(), 1, "{v}: {b}");
        assert_eq!(b["numErrors"], 2);
        let by_trace = |t: &str| {
            b["errors"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["context"]["objectWriteTraceId"] == json!([t]))
                .cloned()
                .unwrap()
        };
        let bare = by_trace("bare");
        assert_eq!(bare["category"], "VALIDATION_ERROR");
        assert_eq!(bare["errors"][0]["code"], "MISSING_REQUIRED_PROPERTY");
        assert_eq!(
            bare["errors"][0]["context"]["propertyName"],
            json!(["hs_a"])
        );
        assert_eq!(
            bare["errors"][0]["message"],
            "A value for hs_a must be provided"
        );
        let call = by_trace("call");
        assert_eq!(
            call["errors"][0]["code"],
            "MISSING_CONDITIONAL_REQUIRED_PROPERTY"
        );
        assert_eq!(
            call["errors"][0]["context"]["propertyName"],
            json!(["hs_b"])
        );
    }
    let whole = json!({"object": "tasks", "required": ["hs_a"], "wholeRequest": true});
    raw(&sb, Method::POST, "/_sandbox/validation", None, Some(whole)).await;
    let tasks_before = sb.sandbox.tasks(None).len();
    let at = path(ApiVersion::Dated2026_09, Api::Objects, "tasks/batch/create");
    let mut ok = task("ok", "TODO");
    ok["properties"]["hs_a"] = json!("x");
    let body = json!({"inputs": [ok, task("bare", "TODO")]});
    let r = raw(&sb, Method::POST, &at, TOKEN, Some(body)).await;
    assert_eq!(r.status(), 400);
    let b = json(r).await;
    assert_eq!(b["errors"][0]["code"], "MISSING_REQUIRED_PROPERTY");
    assert_eq!(
        sb.sandbox.tasks(None).len(),
        tasks_before,
        "nothing created"
    );
    // A reset forgets the rules.
    raw(&sb, Method::POST, "/_sandbox/reset", None, None).await;
    let listed = json(raw(&sb, Method::GET, "/_sandbox/validation", None, None).await).await;
    assert_eq!(listed["results"], json!([]));
}

#[tokio::test]
async fn bad_rules_are_refused_and_change_nothing() {
    let sb = start(seeded()).await;
    for (rule, says) in [
        (
            json!({"object": "deals", "required": ["x"]}),
            "use tasks, leads or contacts",
        ),
        (
            json!({"object": "tasks", "required": [" "]}),
            "must not be empty",
        ),
        (
            json!({"object": "tasks", "conditional": [{"property": "x", "when": {}}]}),
            "`when`",
        ),
        (json!({"object": "tasks", "requird": ["x"]}), "requird"),
    ] {
        let r = raw(&sb, Method::POST, "/_sandbox/validation", None, Some(rule)).await;
        assert_eq!(r.status(), 400);
        let b = json(r).await;
        assert!(b["message"].as_str().unwrap().contains(says), "{b}");
    }
    assert!(sb.sandbox.validation().is_empty());
}

#[tokio::test]
async fn a_contacts_associatedcompanyid_is_its_primary_company_and_cannot_be_written() {
    let sb = start(seeded()).await;
    let read = json!({"properties": ["associatedcompanyid"], "propertiesWithHistory": [],
        "inputs": [{"id": "51003"}, {"id": "51004"}]});
    let at = path(
        ApiVersion::Dated2026_09,
        Api::Objects,
        "contacts/batch/read",
    );
    let b = json(raw(&sb, Method::POST, &at, TOKEN, Some(read)).await).await;
    let value = |id: &str| {
        b["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["properties"]["associatedcompanyid"].clone())
    };
    assert_eq!(value("51003"), Some(json!("8803")));
    assert_eq!(value("51004"), Some(Value::Null), "no company, no value");
    let write = json!({"inputs": [{"id": "51003", "properties": {"associatedcompanyid": "8801"}}]});
    let at = path(
        ApiVersion::Dated2026_09,
        Api::Objects,
        "contacts/batch/update",
    );
    let r = raw(&sb, Method::POST, &at, TOKEN, Some(write)).await;
    assert_eq!(r.status(), 400);
    assert!(
        json(r).await["message"]
            .as_str()
            .unwrap()
            .contains("read only")
    );
}
