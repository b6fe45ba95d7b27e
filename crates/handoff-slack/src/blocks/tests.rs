//! The messages' shape (field by field, not whole strings), escaping, and Block Kit's limits
//! under hostile sizes, checked against the full table of docs/slack.md "Block Kit limits".

use std::collections::BTreeSet;

use handoff_ids::{ContactId, PortalId};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::*;
use crate::ids::{HandoffRef, UserId};
use crate::interaction::{self, ClickAction};
use crate::mrkdwn::units;
use crate::signature::VerifiedBody;

fn due() -> Timestamp {
    "2026-11-24T15:00:00Z".parse().unwrap()
}

fn lead() -> Lead {
    Lead {
        handoff: HandoffRef {
            portal: PortalId::new(62515).unwrap(),
            contact: ContactId::new(987654).unwrap(),
            version: 1,
        },
        name: "Jane Doe".into(),
        company: Some("Acme Corp".into()),
        why_owner: "rule `enterprise-emea`: EMEA, 500+ employees".into(),
        score: Some(82),
        score_reasons: vec!["demo request".into(), "VP title".into()],
        sla_due: due(),
        record_url: "https://app.hubspot.com/contacts/62515/record/0-1/987654".into(),
        task_url: Some("https://app.hubspot.com/tasks/62515/view/all/task/55".into()),
    }
}

fn reasons() -> DispositionReasons {
    DispositionReasons::new([
        ("wrong_territory", "Wrong territory"),
        ("existing_customer", "Existing customer"),
    ])
    .unwrap()
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

fn kinds() -> Vec<Alert> {
    vec![
        Alert::Assignment,
        Alert::Escalation {
            owner: Some(user("U0OWNER1")),
        },
        Alert::Escalation { owner: None },
        Alert::ChannelFallback(FallbackWhy::NoSlackUser {
            owner_name: "Sam Rep".into(),
        }),
        Alert::ChannelFallback(FallbackWhy::FallbackQueue),
    ]
}

fn block<'a>(m: &'a Message, suffix: &str) -> &'a Value {
    m.blocks
        .iter()
        .find(|b| b["block_id"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no block *{suffix} in {:#?}", m.blocks))
}

fn all_text(m: &Message) -> String {
    serde_json::to_string(&m.blocks).unwrap()
}

#[test]
fn the_assignment_dm_carries_the_context_package_and_three_actions() {
    let m = alert(&lead(), &Alert::Assignment, &reasons());
    let head = block(&m, ":head")["text"]["text"].as_str().unwrap();
    assert!(head.contains("New lead assigned to you"));
    assert!(head.contains("<https://app.hubspot.com/contacts/62515/record/0-1/987654|Jane Doe>"));
    assert!(head.contains("Acme Corp"));
    let why = block(&m, ":why")["text"]["text"].as_str().unwrap();
    assert!(why.contains("enterprise-emea") && why.contains("Score 82:"));
    assert!(why.contains("demo request · VP title"));
    let ctx = block(&m, ":ctx")["elements"][0]["text"].as_str().unwrap();
    assert!(
        ctx.contains("<!date^1795532400^{date_short_pretty} at {time}|Tue Nov 24 2026 15:00 UTC>")
    );
    assert!(ctx.contains("|Open the task>") && ctx.contains("|Open the record>"));
    let act = block(&m, ":act");
    assert_eq!(act["block_id"], "h1:62515:987654:1:act");
    let e = &act["elements"];
    assert_eq!(e[0]["action_id"], "lead_accept");
    assert_eq!(e[0]["style"], "primary");
    assert_eq!(e[0]["value"], "h1:62515:987654:1");
    assert_eq!(e[1]["type"], "static_select");
    assert_eq!(e[1]["options"][1]["value"], "existing_customer");
    assert_eq!(e[2]["action_id"], "lead_reassign");
    assert_eq!(e[2]["confirm"]["deny"]["text"], "Keep it");
    assert_eq!(
        m.text,
        "New lead for you: Jane Doe (Acme Corp). Respond by Tue Nov 24 2026 15:00 UTC."
    );
}

#[test]
fn without_disposition_reasons_there_is_no_not_a_fit_select() {
    let m = alert(&lead(), &Alert::Assignment, &DispositionReasons::default());
    let ids: Vec<_> = block(&m, ":act")["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["lead_accept", "lead_reassign"]);
}

#[test]
fn a_click_on_each_built_control_reads_back_as_its_action_and_lead() {
    let m = alert(&lead(), &Alert::Assignment, &reasons());
    let act = block(&m, ":act");
    for element in act["elements"].as_array().unwrap() {
        let mut action = json!({
            "type": element["type"], "action_id": element["action_id"],
            "block_id": act["block_id"], "action_ts": "1548426417.840180",
        });
        if let Some(value) = element.get("value") {
            action["value"] = value.clone();
        } else {
            action["selected_option"] = element["options"][0].clone();
        }
        let payload = json!({
            "type": "block_actions", "user": {"id": "U2CERLKJA", "team_id": "T1DC2JH3J"},
            "team": {"id": "T1DC2JH3J"}, "channel": {"id": "D0123ABCDEF"},
            "container": {"type": "message", "message_ts": "1503435956.000247"},
            "actions": [action],
        });
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("payload", &payload.to_string())
            .finish();
        let click = interaction::parse(&VerifiedBody::assume_verified(body.as_bytes())).unwrap();
        assert_eq!(click.handoff, lead().handoff);
        let expected = match element["action_id"].as_str().unwrap() {
            "lead_accept" => ClickAction::Accept,
            "lead_reassign" => ClickAction::Reassign,
            _ => ClickAction::NotAFit {
                reason: "wrong_territory".into(),
            },
        };
        assert_eq!(click.action, expected);
    }
}

#[test]
fn lead_data_is_escaped_so_it_cannot_ping_or_link() {
    let mut l = lead();
    l.name = "<!channel> Tom & Jerry".into();
    l.company = Some("<https://evil.test|click me>".into());
    l.why_owner = "<@U0ATTACKER> said so".into();
    l.score_reasons = vec!["<!here>".into()];
    for kind in kinds() {
        let m = alert(&l, &kind, &reasons());
        let text = format!("{} {}", m.text, all_text(&m));
        for forbidden in ["<!channel>", "<!here>", "<https://evil", "<@U0ATTACKER>"] {
            assert!(!text.contains(forbidden), "{kind:?}: {forbidden} in {text}");
        }
        assert!(
            text.contains("&lt;!channel&gt; Tom &amp; Jerry"),
            "{kind:?}"
        );
    }
}

#[test]
fn every_message_has_a_plain_utc_fallback_text() {
    let at: Timestamp = "2026-11-24T15:07:00Z".parse().unwrap();
    let act = Act {
        by: user("U2CERLKJA"),
        at,
        what: ActKind::Accepted,
    };
    let mut messages: Vec<Message> = kinds()
        .iter()
        .map(|k| alert(&lead(), k, &reasons()))
        .collect();
    messages.push(reping(&lead(), &user("U0OWNER1")));
    messages.push(acted(&lead(), &Alert::Assignment, &act));
    for m in &messages {
        assert!(m.text.contains("Jane Doe (Acme Corp)"), "{}", m.text);
        assert!(m.text.contains(" UTC"), "{}", m.text);
        assert!(!m.text.contains("<!date"), "{}", m.text);
    }
}

#[test]
fn the_acted_update_replaces_the_actions_with_who_and_when_under_new_block_ids() {
    let sent = alert(&lead(), &Alert::Assignment, &reasons());
    let at: Timestamp = "2026-11-24T14:02:00Z".parse().unwrap();
    for (what, says) in [
        (ActKind::Accepted, "Accepted by <@U2CERLKJA> at <!date^"),
        (
            ActKind::NotAFit {
                reason: "Wrong <territory>".into(),
            },
            "Not a fit (Wrong &lt;territory&gt;) by <@U2CERLKJA>",
        ),
        (ActKind::Reassigned, "Sent back to routing by <@U2CERLKJA>"),
    ] {
        let act = Act {
            by: user("U2CERLKJA"),
            at,
            what,
        };
        let done = acted(&lead(), &Alert::Assignment, &act);
        assert!(done.blocks.iter().all(|b| b["type"] != "actions"));
        let line = block(&done, ":done")["elements"][0]["text"]
            .as_str()
            .unwrap();
        assert!(line.contains(says), "{line}");
        assert!(line.contains("|Tue Nov 24 2026 14:02 UTC>"), "{line}");
        assert!(
            done.text
                .contains("by <@U2CERLKJA> at Tue Nov 24 2026 14:02 UTC")
        );
        let before: BTreeSet<_> = sent
            .blocks
            .iter()
            .map(|b| b["block_id"].to_string())
            .collect();
        assert!(
            done.blocks
                .iter()
                .all(|b| !before.contains(&b["block_id"].to_string()))
        );
        assert!(all_text(&done).contains("Jane Doe"));
    }
}

#[test]
fn the_reping_mentions_the_owner_in_blocks_and_notification() {
    let m = reping(&lead(), &user("U0OWNER1"));
    assert!(m.text.starts_with("<@U0OWNER1>"));
    assert!(all_text(&m).contains("<@U0OWNER1> this lead is still waiting"));
    assert!(all_text(&m).contains("<!date^1795532400^"));
}

#[test]
fn escalations_and_fallbacks_say_why_they_were_sent() {
    let says = |kind: Alert| {
        let m = alert(&lead(), &kind, &reasons());
        block(&m, ":head")["text"]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        says(Alert::Escalation {
            owner: Some(user("U0OWNER1"))
        })
        .contains("<@U0OWNER1> has not acted")
    );
    assert!(says(Alert::Escalation { owner: None }).contains("owner has not acted"));
    let fallback = says(Alert::ChannelFallback(FallbackWhy::NoSlackUser {
        owner_name: "Sam & Rep".into(),
    }));
    assert!(fallback.contains("New lead for Sam &amp; Rep*, who has no Slack account"));
    assert!(says(Alert::ChannelFallback(FallbackWhy::FallbackQueue)).contains("fallback queue"));
}

#[test]
fn hostile_sizes_stay_within_every_block_kit_limit() {
    let huge = "é&<😀".repeat(5000);
    let mut l = lead();
    l.name = huge.clone();
    l.company = Some(huge.clone());
    l.why_owner = huge.clone();
    l.score_reasons = vec![huge.clone(); 500];
    l.record_url = format!("https://x.test/{huge}");
    l.task_url = Some(format!("https://x.test/{huge}"));
    let many: Vec<(String, String)> = (0..100)
        .map(|i| (format!("{i}{}", "v".repeat(70)), huge.clone()))
        .collect();
    let many = DispositionReasons::new(many).unwrap();
    let owner_name = huge.clone();
    let mut kinds = kinds();
    kinds.push(Alert::ChannelFallback(FallbackWhy::NoSlackUser {
        owner_name,
    }));
    let act = Act {
        by: user("U2CERLKJA"),
        at: due(),
        what: ActKind::NotAFit { reason: huge },
    };
    for kind in &kinds {
        check_limits(&alert(&l, kind, &many));
        check_limits(&acted(&l, kind, &act));
    }
    check_limits(&reping(&l, &user("U0OWNER1")));
}

/// Asserts docs/slack.md "Block Kit limits" on a message.
fn check_limits(m: &Message) {
    let fits = |v: &Value, max: usize| units(v.as_str().unwrap_or_default()) <= max;
    assert!(!m.text.is_empty() && units(&m.text) <= 4000);
    assert!(!m.blocks.is_empty() && m.blocks.len() <= 50);
    let mut ids = BTreeSet::new();
    for b in &m.blocks {
        assert!(fits(&b["block_id"], 255) && ids.insert(b["block_id"].to_string()));
        match b["type"].as_str().unwrap() {
            "section" => assert!(fits(&b["text"]["text"], 3000)),
            "context" => {
                let e = b["elements"].as_array().unwrap();
                assert!(e.len() <= 10 && e.iter().all(|t| fits(&t["text"], 3000)));
            }
            "actions" => {
                let e = b["elements"].as_array().unwrap();
                assert!(e.len() <= 25);
                e.iter().for_each(check_element);
            }
            other => panic!("unexpected block {other}"),
        }
    }
}

fn check_element(e: &Value) {
    let fits = |v: &Value, max: usize| units(v.as_str().unwrap_or_default()) <= max;
    assert!(fits(&e["action_id"], 255));
    if e["type"] == "button" {
        assert!(fits(&e["text"]["text"], 75) && fits(&e["value"], 2000));
        if let Some(c) = e.get("confirm") {
            assert!(fits(&c["title"]["text"], 100) && fits(&c["text"]["text"], 300));
            assert!(fits(&c["confirm"]["text"], 30) && fits(&c["deny"]["text"], 30));
        }
    } else {
        assert!(fits(&e["placeholder"]["text"], 150));
        let options = e["options"].as_array().unwrap();
        assert!(!options.is_empty() && options.len() <= 100);
        for o in options {
            assert!(fits(&o["text"]["text"], 75) && fits(&o["value"], 75));
        }
    }
}

#[test]
fn a_refused_click_is_answered_to_who_clicked_and_says_nothing_changed() {
    let m = refused(
        &lead(),
        &user("U0OTHER1"),
        "Only the lead's owner can act on it.",
    );
    let body = block(&m, "refused")["text"]["text"].as_str().unwrap();
    assert!(
        body.starts_with("<@U0OTHER1> Only the lead's owner"),
        "{body}"
    );
    assert!(body.ends_with("Nothing was changed."), "{body}");
    assert!(m.text.contains("Nothing was changed."), "{}", m.text);
    check_limits(&m);
}
