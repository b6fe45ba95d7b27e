//! A demo world's Slack, as a person sees it and acts in it (the world plays Slack when
//! `EnvOptions::slack` is set): the messages handoff posted, a rep's click on one of their
//! buttons (signed as Slack signs it, at the world's time), Slack's injected faults and its
//! request counts — all through the sandbox's Slack control routes.

use serde_json::{Value, json};

use super::env::DemoEnv;

/// A button of handoff's alerts, as the stand-in clicks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Accept,
    /// **Not a fit**, with the reason's value.
    NotAFit(&'static str),
    Reassign,
}

impl DemoEnv {
    /// The Slack messages handoff posted (and people wrote), oldest first; in one conversation
    /// when `channel` is given.
    pub async fn slack_messages(&self, channel: Option<&str>) -> anyhow::Result<Vec<Value>> {
        let path = match channel {
            Some(c) => format!("slack/messages?channel={c}"),
            None => "slack/messages".to_owned(),
        };
        let answer = self.control(reqwest::Method::GET, &path, None).await?;
        Ok(answer["messages"].as_array().cloned().unwrap_or_default())
    }

    /// `user` clicks `button` on the message at (`channel`, `ts`): the stand-in signs the
    /// click at the world's time and posts it to `serve`; handoff's HTTP status.
    pub async fn slack_click(
        &self,
        (channel, ts): (&str, &str),
        button: Button,
        user: &str,
    ) -> anyhow::Result<u16> {
        let (action, reason) = match button {
            Button::Accept => ("accept", None),
            Button::NotAFit(reason) => ("not_a_fit", Some(reason)),
            Button::Reassign => ("reassign", None),
        };
        let body = json!({
            "message": { "channel": channel, "ts": ts },
            "action": action,
            "reason": reason,
            "user": user,
            "timestamp_s": self.now().as_second(),
        });
        let answer = self
            .control(reqwest::Method::POST, "slack/click", Some(&body))
            .await?;
        answer["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| anyhow::anyhow!("the stand-in answered without a status: {answer}"))
    }

    /// Sets Slack's injected faults (`[]` clears them).
    pub async fn set_slack_faults(&self, faults: Value) -> anyhow::Result<Value> {
        let body = json!({ "faults": faults });
        self.control(reqwest::Method::PUT, "slack/faults", Some(&body))
            .await
    }

    /// The stand-in's Slack request counts (calls, posts, updates, 429s, the busiest channel).
    pub async fn slack_stats(&self) -> anyhow::Result<Value> {
        self.control(reqwest::Method::GET, "slack/stats", None)
            .await
    }
}
