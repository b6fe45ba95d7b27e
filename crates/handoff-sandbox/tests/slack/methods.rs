//! Each method's success and error shapes, through handoff's real client.

use handoff_slack::client::{PostMessage, SlackError};
use handoff_slack::ids::{MessageTs, UserId};
use reqwest::Method;
use serde_json::json;

use super::*;

#[tokio::test]
async fn the_client_finds_owners_by_email_with_their_time_zone_and_not_those_without_slack() {
    let stand = start().await;
    let c = stand.client();
    let katrin = c
        .lookup_user_by_email("Katrin.Vogel@example.com")
        .await
        .unwrap();
    assert_eq!(katrin.id.as_str(), "U100");
    assert_eq!(
        katrin.team_id.map(|t| t.to_string()).as_deref(),
        Some("T0SANDBOX")
    );
    assert_eq!(katrin.time_zone.as_deref(), Some("Europe/Berlin"));
    let oliver = c
        .lookup_user_by_email("oliver.hughes@example.com")
        .await
        .unwrap();
    assert_eq!(oliver.time_zone.as_deref(), Some("America/New_York"));
    for (email, code) in [
        ("jonas.becker@example.com", "users_not_found"),
        ("nobody@example.com", "users_not_found"),
        ("former.rep@example.com", "user_deleted"),
    ] {
        assert_eq!(
            c.lookup_user_by_email(email).await,
            Err(SlackError::NoUser { code: code.into() }),
            "{email}"
        );
    }
}

#[tokio::test]
async fn the_client_opens_a_dm_posts_into_it_and_replies_in_the_thread() {
    let stand = start().await;
    let c = stand.client();
    let dm = c.open_dm(&UserId::parse("U100").unwrap()).await.unwrap();
    assert_eq!(dm.as_str(), "D100");
    let parent = post(&c, &dm, &text("New lead for you")).await.unwrap();
    assert_eq!(parent.channel, dm);
    let reminder = text("Still waiting");
    let reply = PostMessage {
        channel: &dm.clone().into(),
        message: &reminder,
        thread_ts: Some(&parent.ts),
        reply_broadcast: false,
    };
    let replied = c.post_message(&reply).await.unwrap();
    assert!(
        replied.ts > parent.ts,
        "{:?} after {:?}",
        replied.ts,
        parent.ts
    );
    // A user id as the channel posts into their DM, and the answer names the DM.
    let url = format!("{}chat.postMessage", stand.sb.slack_base_url);
    let to_user = json!({"channel": "U100", "text": "third"});
    let direct: Value = (stand
        .http
        .post(url)
        .bearer_auth(TOKEN)
        .json(&to_user)
        .send()
        .await)
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (direct["ok"].as_bool(), direct["channel"].as_str()),
        (Some(true), Some("D100"))
    );
    assert_eq!(direct["message"]["user"], "U0HANDOFF");

    let (status, listed) = stand
        .control(Method::GET, "messages?channel=D100", json!(null))
        .await;
    assert_eq!(status, 200);
    let messages = listed["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0]["ts"], parent.ts.as_str());
    assert_eq!(messages[0]["text"], "New lead for you");
    assert_eq!(messages[0]["blocks"][0]["text"]["text"], "New lead for you");
    assert_eq!(messages[1]["thread_ts"], parent.ts.as_str());
    assert_eq!(messages[1]["updates"], 0);
    assert_eq!(stand.stats().posted, 3);
}

#[tokio::test]
async fn users_without_slack_or_deactivated_cannot_be_messaged() {
    let stand = start().await;
    let c = stand.client();
    let open = |id: &str| UserId::parse(id).unwrap();
    for (user, code) in [("U101", "user_not_found"), ("U199", "user_disabled")] {
        assert_eq!(
            c.open_dm(&open(user)).await,
            Err(SlackError::NoUser { code: code.into() })
        );
    }
    for (to, code) in [
        ("D101", "channel_not_found"),
        ("C0NOWHERE", "channel_not_found"),
        ("C0PRIVATE", "not_in_channel"),
    ] {
        assert_eq!(
            post(&c, &channel(to), &text("hi")).await,
            Err(SlackError::Permanent { code: code.into() }),
            "{to}"
        );
    }
    assert!(
        post(&c, &channel("C0TEAM"), &text("to the team"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_client_updates_its_own_message_and_only_that() {
    let stand = start().await;
    let c = stand.client();
    let posted = post(&c, &channel("D100"), &text("New lead")).await.unwrap();
    let done = text("Accepted by Katrin");
    let updated = c
        .update_message(&posted.channel, &posted.ts, &done)
        .await
        .unwrap();
    assert_eq!(updated, posted);
    let stored = &stand.sb.sandbox.slack_messages()[0];
    assert_eq!(
        (stored.text.as_str(), stored.updates),
        ("Accepted by Katrin", 1)
    );
    assert_eq!(stored.blocks, done.blocks);
    assert_eq!(stored.posted_blocks, text("New lead").blocks);

    let missing = MessageTs::parse("1.000001").unwrap();
    let permanent = |code: &str| Err(SlackError::Permanent { code: code.into() });
    assert_eq!(
        c.update_message(&posted.channel, &missing, &done).await,
        permanent("message_not_found")
    );
    assert_eq!(
        c.update_message(&channel("C0NOWHERE"), &posted.ts, &done)
            .await,
        permanent("channel_not_found")
    );
    // A rep's own reply in the DM: the bot may not edit it.
    let said = json!({"channel": "D100", "user": "U100", "text": "on it"});
    let (status, theirs) = stand.control(Method::POST, "messages", said).await;
    assert_eq!(status, 201, "{theirs}");
    let ts = MessageTs::parse(theirs["ts"].as_str().unwrap()).unwrap();
    assert_eq!(
        c.update_message(&posted.channel, &ts, &done).await,
        permanent("cant_update_message")
    );
    assert_eq!(stand.stats().updated, 1);
}

#[tokio::test]
async fn a_wrong_or_missing_bot_token_is_refused_as_auth() {
    let stand = start().await;
    let wrong = stand.client_with("xoxb-someone-else", Duration::from_millis(10));
    assert_eq!(
        wrong.lookup_user_by_email("katrin.vogel@example.com").await,
        Err(SlackError::Auth {
            code: "invalid_auth".into(),
            needed: None
        })
    );
    let url = format!("{}chat.postMessage", stand.sb.slack_base_url);
    let bare: Value = stand
        .http
        .post(url)
        .json(&json!({"channel": "D100", "text": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bare, json!({"ok": false, "error": "not_authed"}));
    assert_eq!(stand.stats().unauthorized, 2);
    assert!(stand.sb.sandbox.slack_messages().is_empty());
}

#[tokio::test]
async fn an_unknown_method_is_slacks_unknown_method() {
    let stand = start().await;
    let url = format!("{}chat.delete", stand.sb.slack_base_url);
    let answer = stand
        .http
        .post(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body, json!({"ok": false, "error": "unknown_method"}));
}
