//! The SLA ladder's alerts (a re-ping in the owner's thread, the manager's DM, the team
//! channel), and a Slack disposition moving the handoff's HubSpot Lead.

use std::time::Duration;

use handoff::demo::EnvOptions;
use handoff::demo::slack::Button;
use serde_json::json;

use super::{bot_messages, click, lead, slack_of};
use crate::support::world::{
    calm, handed_off_lead, handoff_row, run_for, settle, speed, start_with,
};

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
