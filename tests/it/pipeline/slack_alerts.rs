//! Lead alerts in Slack end to end: the sandbox plays HubSpot and Slack, `serve` runs with
//! `[alerts.slack]` on, and a rep acts in Slack as a person would (the stand-in signs each
//! click and posts it to handoff's interactions route). Each button, a second and a stale
//! click, a click by someone else, a rep without Slack, a crash between storing and applying a
//! click, a post cut off mid-call, and Slack outages and 429s while handoffs go on.

use std::time::Duration;

use handoff::demo::EnvOptions;
use handoff::demo::slack::Button;
use handoff::store::ledger::{HandoffRow, Step};
use handoff_ids::{ContactId, PortalId};
use serde_json::{Value, json};

use crate::support::world::{
    calm, handed_off_lead, handoff_row, new_lead, run_for, settle, speed, start_with,
};

const PORTAL: u64 = 62515;

async fn slack_world(
    dir: &std::path::Path,
    speed: handoff::demo::setup::Speed,
) -> handoff::demo::DemoEnv {
    start_with(
        dir,
        EnvOptions {
            speed,
            slack: true,
            ..EnvOptions::default()
        },
    )
    .await
}

fn lead(id: i64) -> (PortalId, ContactId) {
    (
        PortalId::new(PORTAL).unwrap(),
        ContactId::try_from(id).unwrap(),
    )
}

/// The owner's Slack user and DM in the stand-in (derived from the HubSpot owner id).
fn slack_of(row: &HandoffRow) -> (String, String) {
    (format!("U{}", row.owner_id), format!("D{}", row.owner_id))
}

/// The alerts handoff posted in a conversation (its top-level messages), oldest first.
async fn bot_messages(env: &handoff::demo::DemoEnv, channel: &str) -> Vec<Value> {
    env.slack_messages(Some(channel))
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m["user"] == "U0HANDOFF" && m["thread_ts"].is_null())
        .collect()
}

/// Every text of a message's blocks, in one string.
fn blocks_text(m: &Value) -> String {
    m["blocks"].to_string()
}

fn at(m: &Value) -> (String, String) {
    (
        m["channel"].as_str().unwrap().to_owned(),
        m["ts"].as_str().unwrap().to_owned(),
    )
}

async fn click(env: &handoff::demo::DemoEnv, m: &Value, button: Button, user: &str) {
    let (channel, ts) = at(m);
    let status = env
        .slack_click((&channel, &ts), button, user)
        .await
        .unwrap();
    assert_eq!(status, 200, "handoff took the click");
}

async fn click_outcomes(env: &handoff::demo::DemoEnv, id: i64) -> Vec<(String, Option<String>)> {
    let (p, c) = lead(id);
    env.store
        .slack()
        .clicks_of(p, c)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.action, c.outcome))
        .collect()
}

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
    // Someone who is not the owner.
    let stranger = if user == "U100" { "U200" } else { "U100" };
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
        answers[0].contains(&format!("<@{stranger}> Only the lead's owner")),
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

/// The accelerated playbook with a ladder that alerts at every step: a re-ping of the owner at
/// 50 %, the manager at the due time, the team channel when the lead falls to the queue 1 s
/// later.
fn alerting_ladder() -> String {
    let mut playbook = handoff::demo::setup::accelerated_playbook(speed()).unwrap();
    let ladder: toml::Table = toml::from_str(
        r#"ladder = [
  { action = "remind", at = "50%", alert = "owner" },
  { action = "escalate", at = "due", alert = "manager" },
  { action = "fallback_queue", at = "due+1s", alert = "channel:C0TEAM" },
]"#,
    )
    .unwrap();
    playbook.extend(ladder);
    let mut top = toml::Table::new();
    top.insert("playbook".into(), toml::Value::Table(playbook));
    toml::to_string(&top).unwrap()
}

#[tokio::test]
async fn the_ladder_repings_the_owner_in_thread_dms_the_manager_and_tells_the_team_channel() {
    let dir = tempfile::tempdir().unwrap();
    let env = start_with(
        dir.path(),
        EnvOptions {
            speed: speed(),
            slack: true,
            extra_settings: alerting_ladder(),
            ..EnvOptions::default()
        },
    )
    .await;
    let id = handed_off_lead(&env, "ladder@pinecrest.example").await;
    settle(&env).await;
    let first = handoff_row(&env, id).await;
    let (owner, dm) = slack_of(&first);
    let team = first.team.clone().expect("the lead's team");
    let manager = env
        .roster
        .team(&team)
        .and_then(|t| t.manager.clone())
        .expect("a manager");
    // Nobody acts: the whole ladder runs (due 3 s; the queue 1 s after).
    run_for(&env, Duration::from_secs(6)).await;
    let (p, c) = lead(id);
    let alerts = env.store.slack().alerts_of(p, c).await.unwrap();
    let of = |step: &str| {
        alerts
            .iter()
            .find(|a| a.version == 0 && a.step == step)
            .unwrap_or_else(|| panic!("no {step} alert: {alerts:#?}"))
    };
    let (dm_alert, reping, escalation, queue) = (
        of("assigned"),
        of("ladder:0"),
        of("ladder:1"),
        of("ladder:2"),
    );
    for a in [dm_alert, reping, escalation, queue] {
        assert_eq!(a.state, "sent", "{a:#?}");
    }
    // The re-ping is a reply in the owner's DM thread that mentions them.
    assert_eq!(reping.kind, "reping");
    assert_eq!(reping.channel.as_deref(), Some(dm.as_str()));
    assert_eq!(reping.thread_ts, dm_alert.ts);
    let replies = env.slack_messages(Some(&dm)).await.unwrap();
    let reply = replies
        .iter()
        .find(|m| m["thread_ts"] == json!(dm_alert.ts))
        .expect("the re-ping in the thread");
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains(&format!("<@{owner}>")),
        "{reply}"
    );
    // The escalation is the manager's own DM, naming the owner who missed it.
    assert_eq!(escalation.kind, "escalation");
    assert_eq!(
        escalation.recipient.as_deref(),
        Some(format!("U{manager}").as_str())
    );
    assert_eq!(
        escalation.channel.as_deref(),
        Some(format!("D{manager}").as_str())
    );
    // The team channel hears the lead fell to the queue.
    assert_eq!(
        (queue.kind.as_str(), queue.channel.as_deref()),
        ("channel", Some("C0TEAM"))
    );
    let posted = bot_messages(&env, "C0TEAM").await;
    assert_eq!(posted.len(), 1, "{posted:#?}");
    let row = handoff_row(&env, id).await;
    assert_eq!(
        row.owner_id.to_string(),
        "900",
        "the queue owner has it now"
    );
    // Each step's alert once, however many checks and retries ran.
    assert_eq!(
        alerts.iter().filter(|a| a.version == 0).count(),
        4,
        "{alerts:#?}"
    );
    env.stop().await;
}

#[tokio::test]
async fn an_accept_in_slack_moves_the_handoffs_lead_to_the_accepted_stage() {
    let dir = tempfile::tempdir().unwrap();
    let mut playbook = handoff::demo::setup::accelerated_playbook(calm()).unwrap();
    let leads: toml::Table = toml::from_str("enabled = true").unwrap();
    playbook.insert("leads".into(), toml::Value::Table(leads));
    let mut top = toml::Table::new();
    top.insert("playbook".into(), toml::Value::Table(playbook));
    let env = start_with(
        dir.path(),
        EnvOptions {
            speed: calm(),
            slack: true,
            extra_settings: toml::to_string(&top).unwrap(),
            ..EnvOptions::default()
        },
    )
    .await;
    let id = handed_off_lead(&env, "lead@pinecrest.example").await;
    settle(&env).await;
    let row = handoff_row(&env, id).await;
    let (user, dm) = slack_of(&row);
    let dm_msg = bot_messages(&env, &dm).await.remove(0);
    click(&env, &dm_msg, Button::Accept, &user).await;
    settle(&env).await;
    let list = env
        .control(reqwest::Method::GET, &format!("leads?contactId={id}"), None)
        .await
        .unwrap();
    let leads = list["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(leads.len(), 1, "{list}");
    // The playbook's first accepted stage name the portal has: Qualified.
    assert_eq!(
        leads[0]["properties"]["hs_pipeline_stage"], "qualified-stage-id",
        "{}",
        leads[0]
    );
    let row = handoff_row(&env, id).await;
    assert_eq!(row.disposition.as_deref(), Some("accepted"));
    env.stop().await;
}
