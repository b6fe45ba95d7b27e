//! One lead, one id, through every log line: the real binary with JSON logs takes a signed
//! creation through to the task, and a missed SLA through to a reassignment; every line about
//! the contact carries its portal, contact (a number), job and request (or, on SLA checks,
//! handoff) ids, the decision line says how the lead was routed, and the filter
//! docs/operations.md gives prints the story.

use std::path::Path;

use serde_json::{Value, json};

use handoff::demo::EnvOptions;
use handoff::demo::service::ServiceMode;

use crate::support::world::{new_lead, poll_child, speed, start_with};

/// The filter of docs/operations.md ("Follow one lead"), which `story` implements.
const DOC_FILTER: &str =
    r#"select(.contact_id == $id or (.contact_ids // "" | split(",") | index($id | tostring)))"#;

/// The lines `DOC_FILTER` selects for contact `id`.
fn story(lines: &[Value], id: i64) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| {
            l["contact_id"].as_i64() == Some(id)
                || l["contact_ids"]
                    .as_str()
                    .is_some_and(|ids| ids.split(',').any(|c| c == id.to_string()))
        })
        .collect()
}

fn read_log(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn messages<'a>(lines: &[&'a Value]) -> Vec<&'a str> {
    lines.iter().filter_map(|l| l["message"].as_str()).collect()
}

fn one<'a>(lines: &[&'a Value], message: &str) -> &'a Value {
    let found: Vec<_> = lines.iter().filter(|l| l["message"] == message).collect();
    assert_eq!(found.len(), 1, "one `{message}` line: {lines:#?}");
    found[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_log_line_about_a_lead_carries_its_ids_and_the_doc_filter_prints_its_story() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md"))
        .unwrap();
    assert!(doc.contains(DOC_FILTER), "the runbook shows {DOC_FILTER}");
    let dir = tempfile::tempdir().unwrap();
    let env = start_with(
        dir.path(),
        EnvOptions {
            speed: speed(),
            service: ServiceMode::Binary(env!("CARGO_BIN_EXE_handoff").into()),
            ..EnvOptions::default()
        },
    )
    .await;
    let log = dir.path().join("serve.log");
    let id = new_lead(&env, "story@pinecrest-analytics.com").await;
    let other = new_lead(&env, "other@pinecrest-analytics.com").await;
    let status = env
        .deliver(&[
            env.event("contact.creation", id, json!({})),
            env.event("contact.creation", other, json!({})),
        ])
        .await
        .unwrap();
    assert_eq!(status, 200);
    poll_child(30, "the reassigned lead's new task", || async {
        read_log(&log).iter().any(|l| {
            l["message"] == "task created" && l["contact_id"] == id && l["handoff_id"].is_i64()
        })
    })
    .await;
    env.stop().await;

    let lines = read_log(&log);
    for l in &lines {
        assert!(
            l.get("contact_id").is_none_or(Value::is_i64),
            "contact_id is a number on every line: {l}"
        );
    }
    let story = story(&lines, id);
    let said = messages(&story);
    let pos = |m: &str| said.iter().position(|s| *s == m).unwrap();
    let order = [
        "webhook delivery accepted",
        "lead decided",
        "owner written to the contact",
        "task created",
        "SLA step taken",
        "lead reassigned after a missed SLA",
    ];
    for pair in order.windows(2) {
        assert!(pos(pair[0]) < pos(pair[1]), "{pair:?} in order: {said:#?}");
    }
    assert!(
        story.iter().all(|l| l["contact_id"] != other),
        "another contact's lines stay out of the story: {said:#?}"
    );

    let delivery = one(&story, "webhook delivery accepted");
    let request_id = delivery["request_id"].as_str().unwrap();
    assert!(!request_id.is_empty());
    assert_eq!(delivery["contact_ids"], format!("{id},{other}"));
    assert_eq!(delivery["portal_id"], 62515);

    let decided = one(&story, "lead decided");
    let job_id = decided["job_id"].as_i64().unwrap();
    let about: Vec<_> = story.iter().filter(|l| l["contact_id"] == id).collect();
    assert!(about.len() >= 8, "{said:#?}");
    for l in &about {
        assert_eq!(l["portal_id"], 62515, "{l}");
        assert!(l["job_id"].is_i64(), "a job id: {l}");
        if l["handoff_id"].is_i64() && l["request_id"].is_null() {
            // An SLA check: its own job, the handoff the decision line names.
            assert_eq!(l["handoff_id"], decided["handoff_id"], "{l}");
            assert!(l["trace_id"].as_str().is_some_and(|t| !t.is_empty()), "{l}");
            assert_ne!(l["job_id"], job_id, "{l}");
        } else {
            assert_eq!(l["request_id"], request_id, "the webhook's request: {l}");
            assert!(l["event_id"].is_i64(), "an event id: {l}");
            assert_eq!(l["job_id"], job_id, "the lead's events job: {l}");
        }
    }

    assert_eq!(decided["outcome"], "handed_off");
    let owner = decided["owner_id"].as_str().unwrap();
    assert!(["301", "302"].contains(&owner), "a US rep, not {owner}");
    assert!(
        decided["owner_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    assert!(decided["score"].is_i64());
    assert!(decided["tier"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(decided["route"], "pool");
    assert_eq!(decided["rule"], "us", "the routing rule that matched");
    assert_eq!(decided["pool"], "us-sdr");
    assert!(decided["handoff_id"].is_i64());

    let written = &story[pos("owner written to the contact")];
    assert_eq!(written["owner_id"], owner);
    assert_eq!(written["score"], decided["score"]);
    let task = &story[pos("task created")];
    assert_eq!(task["owner_id"], owner);
    assert!(task["task_id"].as_str().is_some_and(|t| !t.is_empty()));
    // The reassignment's steps run in the SLA check's span.
    let moved = one(&story, "lead reassigned after a missed SLA");
    assert_eq!(moved["from"], owner);
    let again: Vec<_> = story
        .iter()
        .filter(|l| l["message"] == "task created" && l["job_id"] == moved["job_id"])
        .collect();
    assert_eq!(again.len(), 1, "the new owner's task: {said:#?}");
    assert_eq!(again[0]["owner_id"], moved["to"]);
}
