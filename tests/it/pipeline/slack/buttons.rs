//! Each button end to end, and clicks that change nothing: a second one, a stale one, a
//! stranger's.

use std::time::Duration;

use handoff::demo::slack::Button;
use handoff::store::ledger::Step;
use serde_json::json;

use super::{
    PORTAL, at, blocks_text, bot_messages, click, click_outcomes, lead, slack_of, slack_world,
};
use crate::support::world::{calm, handed_off_lead, handoff_row, run_for, settle, speed};

#[tokio::test]
async fn an_accept_in_the_owners_dm_accepts_the_lead_ends_the_ladder_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let env = slack_world(dir.path(), speed()).await;
    let id = handed_off_lead(&env, "accept@pinecrest.example").await;
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    let (user, dm) = slack_of(&row);
    let dms = bot_messages(&env, &dm).await;
    assert_eq!(dms.len(), 1, "one DM to the owner: {dms:#?}");
    let text = blocks_text(&dms[0]);
    for says in ["Julia Alvarez", "Pinecrest Analytics", "accept", "reassign"] {
        assert!(text.contains(says), "the DM lacks {says}: {text}");
    }
    assert!(
        text.contains(&format!("/contacts/{PORTAL}/record/0-1/{id}")),
        "{text}"
    );

    click(&env, &dms[0], Button::Accept, &user).await;
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    assert_eq!(row.disposition.as_deref(), Some("accepted"));
    assert_eq!(row.status, "closed");
    assert!(
        row.first_touch_at_ms.is_some(),
        "an accept is the first touch"
    );
    assert_eq!(row.sla_met, Some(1));
    assert_eq!(
        click_outcomes(&env, id).await,
        [("accept".to_owned(), Some("accepted".to_owned()))]
    );
    // Written to HubSpot the way the playbook maps accepted.
    let contact = env.contact(id).await.unwrap();
    assert_eq!(
        contact["properties"]["hs_lead_status"], "CONNECTED",
        "{contact}"
    );
    // The DM now says who accepted, in place of the buttons.
    let dms = bot_messages(&env, &dm).await;
    assert_eq!(dms[0]["updates"], 1);
    let text = blocks_text(&dms[0]);
    assert!(text.contains(&format!("Accepted by <@{user}>")), "{text}");
    assert!(!text.contains("\"action_id\":\"accept\""), "{text}");

    // The ladder is over: no reminder, escalation or reassignment follows.
    run_for(&env, Duration::from_secs(30)).await;
    assert_eq!(
        env.tasks(Some(id)).await.unwrap().len(),
        1,
        "only the handoff's task"
    );
    let row = handoff_row(&env, id).await;
    assert_eq!((row.reassignments, row.escalations), (0, 0));
    assert_eq!(bot_messages(&env, &dm).await.len(), 1, "no re-ping");

    // The scoreboard counts it, and HubSpot echoing the status back does not recount it.
    env.change(id, &json!({"hs_lead_status": "CONNECTED"}))
        .await
        .unwrap();
    settle(&env).await;
    let week = handoff::report::Window::parse("7d").unwrap();
    let now = env.now().as_millisecond();
    let board = handoff::report::scoreboard(&env.store, &week, None, now)
        .await
        .unwrap();
    assert_eq!(
        (board.total.acceptance.num, board.total.acceptance.den),
        (1, 1)
    );
    let row = handoff_row(&env, id).await;
    assert_eq!(row.disposition_reason.as_deref(), Some("accepted in Slack"));

    // `handoff explain` tells the lead's Slack story.
    let (p, c) = lead(id);
    let history = handoff::report::History::load(&env.store, p, c)
        .await
        .unwrap();
    let text = history.to_text(now);
    assert!(
        text.contains(&format!(
            "Slack alert     assignment v0 (assigned): sent to {user} in {dm}"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("Slack click     accept by {user} at ")),
        "{text}"
    );
    assert!(text.contains("on v0: accepted"), "{text}");
    env.stop().await;
}

#[tokio::test]
async fn not_a_fit_records_the_reason_and_writes_it_to_hubspot() {
    let dir = tempfile::tempdir().unwrap();
    let env = slack_world(dir.path(), calm()).await;
    let id = handed_off_lead(&env, "nofit@pinecrest.example").await;
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    let (user, dm) = slack_of(&row);
    let dms = bot_messages(&env, &dm).await;
    click(&env, &dms[0], Button::NotAFit("NO_BUDGET"), &user).await;
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    assert_eq!(
        (
            row.disposition.as_deref(),
            row.disposition_reason.as_deref()
        ),
        (Some("disqualified"), Some("NO_BUDGET"))
    );
    let contact = env.contact(id).await.unwrap();
    let props = &contact["properties"];
    assert_eq!(props["hs_lead_status"], "UNQUALIFIED", "{contact}");
    assert_eq!(
        props["hs_lead_disqualification_reason"], "NO_BUDGET",
        "{contact}"
    );
    let text = blocks_text(&bot_messages(&env, &dm).await[0]);
    assert!(text.contains("Not a fit (No budget) by"), "{text}");
    env.stop().await;
}

#[tokio::test]
async fn reassign_hands_the_lead_to_another_rep_who_gets_their_own_dm() {
    let dir = tempfile::tempdir().unwrap();
    let env = slack_world(dir.path(), calm()).await;
    let id = handed_off_lead(&env, "reassign@pinecrest.example").await;
    settle(&env).await;
    let first = handoff_row(&env, id).await;
    let (user, dm) = slack_of(&first);
    let dms = bot_messages(&env, &dm).await;
    click(&env, &dms[0], Button::Reassign, &user).await;
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    assert_ne!(row.owner_id, first.owner_id, "a new owner");
    assert_eq!((row.reassignments, row.status.as_str()), (1, "open"));
    assert_eq!(
        row.step,
        Step::SlaScheduled,
        "the new owner has a task and a ladder"
    );
    let contact = env.contact(id).await.unwrap();
    assert_eq!(
        contact["properties"]["hubspot_owner_id"],
        row.owner_id.to_string()
    );
    let (_, new_dm) = slack_of(&row);
    let theirs = bot_messages(&env, &new_dm).await;
    assert_eq!(theirs.len(), 1, "the new owner's DM: {theirs:#?}");
    let text = blocks_text(&bot_messages(&env, &dm).await[0]);
    assert!(text.contains("Sent back to routing by"), "{text}");
    env.stop().await;
}

#[tokio::test]
async fn a_second_a_stale_and_a_strangers_click_change_nothing_and_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let env = slack_world(dir.path(), calm()).await;
    let id = handed_off_lead(&env, "clicks@pinecrest.example").await;
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    let (user, dm) = slack_of(&row);
    let dm_msg = bot_messages(&env, &dm).await.remove(0);
    // Someone who is neither the owner nor their team's manager.
    let team = env.roster.team(row.team.as_deref().unwrap()).unwrap();
    let manager = format!("U{}", team.manager.clone().unwrap_or_default());
    let stranger = ["U100", "U200", "U300"]
        .into_iter()
        .find(|u| *u != user && *u != manager)
        .unwrap();
    click(&env, &dm_msg, Button::Accept, stranger).await;
    settle(&env).await;
    assert_eq!(
        handoff_row(&env, id).await.disposition,
        None,
        "nothing changed"
    );
    // The owner's accept, then their second click on the message as first posted (a click
    // that raced the update).
    click(&env, &dm_msg, Button::Accept, &user).await;
    settle(&env).await;
    let (channel, ts) = at(&dm_msg);
    let late = json!({"message": {"channel": channel, "ts": ts}, "action": "not_a_fit",
        "reason": "NO_BUDGET", "user": user, "as_posted": true,
        "timestamp_s": env.now().as_second()});
    let answer = env
        .control(reqwest::Method::POST, "slack/click", Some(&late))
        .await
        .unwrap();
    assert_eq!(answer["status"], 200);
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    assert_eq!(
        row.disposition.as_deref(),
        Some("accepted"),
        "the first click stands"
    );
    assert_eq!(
        click_outcomes(&env, id).await,
        [
            ("accept".to_owned(), Some("not_owner".to_owned())),
            ("accept".to_owned(), Some("accepted".to_owned())),
            ("not_a_fit".to_owned(), Some("already_closed".to_owned())),
        ]
    );
    // Each refused click is answered in the DM's thread, to who clicked.
    let all = env.slack_messages(Some(&dm)).await.unwrap();
    let answers: Vec<String> = all
        .iter()
        .filter(|m| m["thread_ts"] == json!(ts))
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(answers.len(), 2, "{answers:#?}");
    assert!(
        answers[0].contains(&format!(
            "<@{stranger}> Only the lead's owner or their manager"
        )),
        "{answers:?}"
    );
    assert!(
        answers[1].contains("already has a disposition"),
        "{answers:?}"
    );
    env.stop().await;
}

#[tokio::test]
async fn a_click_on_an_alert_about_an_earlier_assignment_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let env = slack_world(dir.path(), speed()).await;
    let id = handed_off_lead(&env, "stale@pinecrest.example").await;
    settle(&env).await;
    let first = handoff_row(&env, id).await;
    let (user, dm) = slack_of(&first);
    let old = bot_messages(&env, &dm).await.remove(0);
    // Nobody acts: the ladder reassigns the lead (due 3 s, reassign 2 s after).
    run_for(&env, Duration::from_secs(6)).await;
    let row = handoff_row(&env, id).await;
    assert_eq!(row.reassignments, 1, "reassigned by the ladder");
    click(&env, &old, Button::Accept, &user).await;
    settle(&env).await;
    assert_eq!(handoff_row(&env, id).await.disposition, None);
    assert_eq!(
        click_outcomes(&env, id).await,
        [("accept".to_owned(), Some("stale".to_owned()))]
    );
    env.stop().await;
}
