//! Injected faults and the per-channel pace, as handoff's client meets them.

use handoff_sandbox::ChannelRate;
use handoff_slack::client::{Method as SlackMethod, SlackError};
use reqwest::Method;
use serde_json::json;

use super::*;

#[tokio::test]
async fn an_injected_429_reaches_the_client_as_rate_limited_with_its_retry_after() {
    let stand = start().await;
    stand
        .set_faults(json!([{
            "method": "users.lookupByEmail",
            "answer": {"kind": "rate_limited", "retry_after_s": 7},
            "times": 1,
        }]))
        .await;
    let c = stand.client();
    // Other methods are not held.
    assert!(post(&c, &channel("D100"), &text("hi")).await.is_ok());
    assert_eq!(
        c.lookup_user_by_email("katrin.vogel@example.com").await,
        Err(SlackError::RateLimited {
            method: SlackMethod::LookupByEmail,
            retry_after: Duration::from_secs(7),
        })
    );
    let raw = stand
        .http
        .get(format!(
            "{}users.lookupByEmail?email=katrin.vogel@example.com",
            stand.sb.slack_base_url
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200, "the fault was for one call only");
    assert_eq!(stand.stats().rate_limited, 1);
    let (_, left) = stand.control(Method::GET, "faults", json!(null)).await;
    assert_eq!(left, json!({"faults": []}));
}

#[tokio::test]
async fn injected_errors_5xx_and_slowness_reach_the_client_in_their_class() {
    let stand = start().await;
    stand
        .set_faults(json!([
            {"method": "chat.postMessage", "answer": {"kind": "error", "code": "fatal_error"}, "times": 1},
            {"method": "chat.postMessage", "answer": {"kind": "status", "status": 503}, "times": 1},
            {"method": "conversations.open", "answer": {"kind": "slow", "latency_ms": 1500}, "times": 1},
        ]))
        .await;
    let c = stand.client();
    let dm = channel("D100");
    assert_eq!(
        post(&c, &dm, &text("a")).await,
        Err(SlackError::Transient {
            code: "fatal_error".into()
        })
    );
    assert_eq!(
        post(&c, &dm, &text("b")).await,
        Err(SlackError::Transient {
            code: "http_503".into()
        })
    );
    assert!(
        post(&c, &dm, &text("c")).await.is_ok(),
        "both were for one call"
    );
    let impatient = SlackClient::new(
        SecretString::from(TOKEN),
        &SlackSettings {
            base_url: stand.sb.slack_base_url.clone(),
            timeout: Duration::from_millis(300),
            ..SlackSettings::default()
        },
    )
    .unwrap();
    let user = handoff_slack::ids::UserId::parse("U100").unwrap();
    assert_eq!(
        impatient.open_dm(&user).await,
        Err(SlackError::Transient {
            code: "timeout".into()
        })
    );
    let stats = stand.stats();
    assert_eq!(
        (stats.injected_errors, stats.injected_5xx, stats.posted),
        (1, 1, 1)
    );
    assert_eq!(
        stand.sb.sandbox.slack_messages().len(),
        1,
        "a refused post stores nothing"
    );
}

#[tokio::test]
async fn bad_faults_are_refused_and_change_nothing() {
    let stand = start().await;
    stand
        .set_faults(json!([{"answer": {"kind": "status", "status": 500}, "for_ms": 60000}]))
        .await;
    for bad in [
        json!({"faults": [{"method": "chat.delete", "answer": {"kind": "status", "status": 500}}]}),
        json!({"faults": [{"answer": {"kind": "status", "status": 404}}]}),
        json!({"faults": [{"answer": {"kind": "teleport"}}]}),
    ] {
        let (status, body) = stand.control(Method::PUT, "faults", bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (_, kept) = stand.control(Method::GET, "faults", json!(null)).await;
    assert_eq!(
        kept["faults"][0]["answer"],
        json!({"kind": "status", "status": 500})
    );
    assert!(
        kept["faults"][0]["for_ms"]
            .as_u64()
            .is_some_and(|ms| ms > 50_000)
    );
}

/// A fast pace for both sides, in the same proportion as the defaults: the sandbox allows 6
/// posts per 500 ms per channel; handoff's budget spaces posts 100 ms apart.
fn quick_pace() -> SlackConfig {
    SlackConfig {
        channel_rate: ChannelRate {
            posts: 6,
            window_ms: 500,
        },
        ..slack_config()
    }
}

#[tokio::test]
async fn a_burst_to_one_channel_is_answered_429_with_retry_after() {
    let stand = start_with(quick_pace()).await;
    let unpaced = stand.client_with(TOKEN, Duration::from_millis(1));
    let mut refused = None;
    for i in 0..10 {
        if let Err(e) = post(&unpaced, &channel("C0TEAM"), &text(&format!("burst {i}"))).await {
            refused = Some((i, e));
            break;
        }
    }
    let (i, err) = refused.expect("a burst of 10 meets the pace");
    assert_eq!(i, 6, "six pass, the seventh is refused");
    assert!(
        matches!(
            err,
            SlackError::RateLimited {
                method: SlackMethod::PostMessage,
                ..
            }
        ),
        "{err:?}"
    );
    let url = format!("{}chat.postMessage", stand.sb.slack_base_url);
    let raw = stand
        .http
        .post(url)
        .bearer_auth(TOKEN)
        .json(&json!({"channel": "C0TEAM", "text": "again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 429);
    assert_eq!(raw.headers()["retry-after"], "1");
    let stats = stand.stats();
    assert_eq!((stats.rate_limited, stats.channel_rate_limited), (2, 2));
    assert_eq!(stats.max_channel_posts_in_window, 6);
}

#[tokio::test]
async fn the_clients_per_channel_budget_keeps_under_the_pace() {
    let stand = start_with(quick_pace()).await;
    let paced = stand.client_with(TOKEN, Duration::from_millis(100));
    for i in 0..15 {
        let to = if i % 3 == 0 { "D100" } else { "C0TEAM" };
        post(&paced, &channel(to), &text(&format!("lead {i}")))
            .await
            .unwrap();
    }
    let stats = stand.stats();
    assert_eq!(stats.rate_limited, 0, "no 429 was ever served");
    assert!(stats.max_channel_posts_in_window <= 6, "{stats:?}");
    assert_eq!(stats.posted, 15);
}
