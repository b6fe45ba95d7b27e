//! Slack's failures and handoff's own: a rep without Slack, a crash between storing and
//! applying a click, a post cut off mid-call, outages and 429s while handoffs go on.

use std::time::Duration;

use handoff::demo::EnvOptions;
use handoff::demo::slack::Button;
use handoff::store::ledger::Step;
use serde_json::{Value, json};

use super::{blocks_text, bot_messages, click, click_outcomes, lead, slack_of, slack_world};
use crate::support::world::{
    calm, handed_off_lead, handoff_row, new_lead, run_for, settle, start_with,
};

#[tokio::test]
async fn a_rep_without_slack_is_alerted_in_the_team_channel() {
    let dir = tempfile::tempdir().unwrap();
    for world in ["probe", "world"] {
        std::fs::create_dir_all(dir.path().join(world)).unwrap();
    }
    let probe = slack_world(dir.path().join("probe").as_path(), calm()).await;
    let id = handed_off_lead(&probe, "who@pinecrest.example").await;
    let owner = handoff_row(&probe, id).await.owner_id;
    probe.stop().await;
    let env = start_with(
        &dir.path().join("world"),
        EnvOptions {
            speed: calm(),
            slack: true,
            slack_without_account: vec![owner.get() as u64],
            ..EnvOptions::default()
        },
    )
    .await;
    let id = handed_off_lead(&env, "who@pinecrest.example").await;
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    assert_eq!(row.owner_id, owner, "the same routing");
    let (_, dm) = slack_of(&row);
    assert!(bot_messages(&env, &dm).await.is_empty(), "no DM");
    let team = bot_messages(&env, handoff::demo::setup::SLACK_TEAM_CHANNEL).await;
    assert_eq!(team.len(), 1, "{team:#?}");
    assert!(blocks_text(&team[0]).contains("Julia Alvarez"));
    let (p, c) = lead(id);
    let alerts = env.store.slack().alerts_of(p, c).await.unwrap();
    assert_eq!(
        (alerts[0].state.as_str(), alerts[0].recipient.as_deref()),
        ("sent", None)
    );
    // The team's manager acts for the owner from the channel.
    let team_of = env.roster.team(row.team.as_deref().unwrap()).unwrap();
    let manager = format!("U{}", team_of.manager.clone().unwrap());
    click(&env, &team[0], Button::Accept, &manager).await;
    settle(&env).await;
    assert_eq!(
        handoff_row(&env, id).await.disposition.as_deref(),
        Some("accepted")
    );
    assert_eq!(
        click_outcomes(&env, id).await,
        [("accept".to_owned(), Some("accepted".to_owned()))]
    );
    let text = blocks_text(&bot_messages(&env, handoff::demo::setup::SLACK_TEAM_CHANNEL).await[0]);
    assert!(
        text.contains(&format!("Accepted by <@{manager}>")),
        "{text}"
    );
    env.stop().await;
}

#[tokio::test]
async fn slack_down_or_rate_limiting_never_holds_up_handoffs_and_each_dm_goes_out_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = slack_world(dir.path(), calm()).await;
    // The client pauses the method for a 429's Retry-After on tokio's (the wall) clock, while
    // this world's time is the test's: a 1 s Retry-After keeps the wall-clock wait short.
    env.set_slack_faults(json!([
        {"method": "chat.postMessage", "answer": {"kind": "status", "status": 503}, "times": 3},
        {"method": "chat.postMessage", "answer": {"kind": "rate_limited", "retry_after_s": 1}, "times": 3},
    ]))
    .await
    .unwrap();
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(new_lead(&env, &format!("storm{i}@pinecrest.example")).await);
    }
    let events: Vec<Value> = ids
        .iter()
        .map(|id| env.event("contact.creation", *id, json!({})))
        .collect();
    env.deliver(&events).await.unwrap();
    settle(&env).await;
    // Every handoff finished at once, while Slack refused.
    for id in &ids {
        let row = handoff_row(&env, *id).await;
        assert_eq!(row.step, Step::SlaScheduled, "lead {id}");
        assert!(row.task_id.is_some(), "lead {id}");
    }
    assert_eq!(
        env.slack_stats().await.unwrap()["posted"],
        0,
        "nothing got through yet"
    );
    // Slack recovers: each DM goes out once.
    run_for(&env, Duration::from_secs(600)).await;
    for id in &ids {
        let (p, c) = lead(*id);
        let alerts = env.store.slack().alerts_of(p, c).await.unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            alerts[0].state, "sent",
            "lead {id}: {:?}",
            alerts[0].last_error
        );
    }
    let stats = env.slack_stats().await.unwrap();
    assert_eq!(stats["posted"], 4, "{stats}");
    // Within Slack's per-channel pace: the stand-in refused no post for it.
    assert_eq!(stats["channel_rate_limited"], 0, "{stats}");
    env.stop().await;
}

#[tokio::test]
async fn a_post_cut_off_mid_call_is_given_up_not_sent_twice() {
    let dir = tempfile::tempdir().unwrap();
    let env = slack_world(dir.path(), calm()).await;
    // The first post fails (nothing posted) and is retried later.
    env.set_slack_faults(json!([
        {"method": "chat.postMessage", "answer": {"kind": "status", "status": 503}, "times": 1},
    ]))
    .await
    .unwrap();
    let id = handed_off_lead(&env, "cut@pinecrest.example").await;
    settle(&env).await;
    let (p, c) = lead(id);
    let slack = env.store.slack();
    let alert = slack.alerts_of(p, c).await.unwrap().remove(0);
    assert_eq!((alert.state.as_str(), alert.attempts), ("pending", 1));
    // A worker starts the retry's post and dies before Slack's answer is stored.
    let now = env.now().as_millisecond();
    assert!(
        slack
            .alert_sending(alert.id, Some("U100"), now)
            .await
            .unwrap()
    );
    run_for(&env, Duration::from_secs(600)).await;
    let alert = slack.alerts_of(p, c).await.unwrap().remove(0);
    assert_eq!(
        (alert.state.as_str(), alert.last_error.as_deref()),
        ("failed", Some("unknown_outcome"))
    );
    assert_eq!(
        env.slack_stats().await.unwrap()["posted"],
        0,
        "never posted twice"
    );
    env.stop().await;
}

#[tokio::test]
async fn a_click_stored_before_a_crash_is_applied_once_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let env = slack_world(dir.path(), calm()).await;
    let id = handed_off_lead(&env, "crash@pinecrest.example").await;
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    let (user, dm) = slack_of(&row);
    let dm_msg = bot_messages(&env, &dm).await.remove(0);
    click(&env, &dm_msg, Button::Accept, &user).await;
    // A worker claims the click's job and dies with it: its lease runs out.
    let now = env.now().as_millisecond();
    let claimed = env
        .store
        .queue()
        .claim("alerts", "crashed-worker", now, 5_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "the click's job");
    assert_eq!(
        handoff_row(&env, id).await.disposition,
        None,
        "not applied yet"
    );
    run_for(&env, Duration::from_secs(60)).await;
    env.store
        .queue()
        .release_expired(env.now().as_millisecond())
        .await
        .unwrap();
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    assert_eq!(row.disposition.as_deref(), Some("accepted"));
    assert_eq!(
        click_outcomes(&env, id).await,
        [("accept".to_owned(), Some("accepted".to_owned()))]
    );
    assert_eq!(
        bot_messages(&env, &dm).await[0]["updates"],
        1,
        "updated once"
    );
    env.stop().await;
}
