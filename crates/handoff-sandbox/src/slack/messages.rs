//! Every message in the workspace, in post order, for tests, the demo and the click route:
//! channel, `ts`, `thread_ts`, author, text, the current blocks (and the blocks as first
//! posted, for a click that raced an update), and how often it was updated. A `ts` is the post's
//! wall-clock time in microseconds, `"<seconds>.<6 digits>"` as Slack writes it
//! (docs/slack.md "Identifiers"), kept strictly increasing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::users::BOT_USER;

/// The most blocks a message may carry (docs/slack.md "Block Kit limits").
const MAX_BLOCKS: usize = 50;
/// The longest `text` `chat.update` takes (docs/slack.md "Direct messages and chat.update").
const MAX_UPDATE_TEXT: usize = 4_000;

/// One message, as `GET /_sandbox/slack/messages` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlackMessage {
    /// The conversation (`D…` for a DM, `C…`/`G…` for a channel).
    pub channel: String,
    /// The message's id within `channel`.
    pub ts: String,
    /// The parent's `ts` for a reply in a thread.
    pub thread_ts: Option<String>,
    /// The author: the bot for handoff's messages, a `U…` for a person's.
    pub user: String,
    /// The top-level text.
    pub text: String,
    /// The current blocks.
    pub blocks: Vec<Value>,
    /// The blocks as first posted.
    pub posted_blocks: Vec<Value>,
    /// How many times `chat.update` changed it.
    pub updates: u32,
}

/// What a post or an update carries (both `text` and `blocks` optional on the wire).
#[derive(Debug, Clone, Default)]
pub(crate) struct Content {
    pub(crate) text: Option<String>,
    pub(crate) blocks: Option<Value>,
}

impl Content {
    /// Reads `text` and `blocks` from a JSON body: `invalid_blocks` unless blocks are an array
    /// of at most 50 objects.
    pub(crate) fn read(body: &Value) -> Result<Self, &'static str> {
        let blocks = match body.get("blocks") {
            None | Some(Value::Null) => None,
            Some(Value::Array(list))
                if list.len() <= MAX_BLOCKS && list.iter().all(Value::is_object) =>
            {
                Some(Value::Array(list.clone()))
            }
            Some(_) => return Err("invalid_blocks"),
        };
        let text = body.get("text").and_then(Value::as_str).map(str::to_owned);
        Ok(Self { text, blocks })
    }

    /// Neither text nor blocks: Slack's `no_text`.
    pub(crate) fn is_empty(&self) -> bool {
        self.text.as_deref().is_none_or(str::is_empty) && self.blocks().is_empty()
    }

    fn blocks(&self) -> Vec<Value> {
        match &self.blocks {
            Some(Value::Array(list)) => list.clone(),
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Messages {
    list: Vec<SlackMessage>,
    last_us: i64,
}

impl Messages {
    pub(crate) fn all(&self) -> &[SlackMessage] {
        &self.list
    }

    pub(crate) fn find(&self, channel: &str, ts: &str) -> Option<&SlackMessage> {
        self.list
            .iter()
            .find(|m| m.channel == channel && m.ts == ts)
    }

    /// A fresh `ts`: now, or one microsecond after the last one.
    fn next_ts(&mut self) -> String {
        let us = jiff::Timestamp::now()
            .as_microsecond()
            .max(self.last_us + 1);
        self.last_us = us;
        format!(
            "{}.{:06}",
            us.div_euclid(1_000_000),
            us.rem_euclid(1_000_000)
        )
    }

    /// Stores a post by `user` to the resolved `channel`; `no_text` when it has neither text
    /// nor blocks.
    pub(crate) fn post(
        &mut self,
        channel: String,
        user: &str,
        content: Content,
        thread_ts: Option<String>,
    ) -> Result<&SlackMessage, &'static str> {
        let blocks = content.blocks();
        let text = content.text.unwrap_or_default();
        if text.is_empty() && blocks.is_empty() {
            return Err("no_text");
        }
        let ts = self.next_ts();
        self.list.push(SlackMessage {
            channel,
            ts,
            thread_ts,
            user: user.to_owned(),
            text,
            posted_blocks: blocks.clone(),
            blocks,
            updates: 0,
        });
        self.list.last().ok_or("internal_error")
    }

    /// `chat.update`: the bot's message at (`channel`, `ts`) gets the new text and blocks; blocks
    /// not sent are removed, as Slack does (docs/slack.md "Direct messages and chat.update").
    pub(crate) fn update(
        &mut self,
        channel: &str,
        ts: &str,
        content: Content,
    ) -> Result<&SlackMessage, &'static str> {
        let text = content.text.clone().unwrap_or_default();
        if text.chars().count() > MAX_UPDATE_TEXT {
            return Err("msg_too_long");
        }
        let blocks = content.blocks();
        let message = self
            .list
            .iter_mut()
            .find(|m| m.channel == channel && m.ts == ts)
            .ok_or("message_not_found")?;
        if message.user != BOT_USER {
            return Err("cant_update_message");
        }
        if text.is_empty() && blocks.is_empty() {
            return Err("no_text");
        }
        message.text = text;
        message.blocks = blocks;
        message.updates += 1;
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn content(text: &str, blocks: Value) -> Content {
        Content::read(&json!({"text": text, "blocks": blocks})).unwrap()
    }

    #[test]
    fn posts_get_increasing_ts_and_updates_replace_text_and_blocks() {
        let mut m = Messages::default();
        let first = m
            .post(
                "D1".into(),
                BOT_USER,
                content("hi", json!([{"type": "divider"}])),
                None,
            )
            .unwrap()
            .ts
            .clone();
        let second = m
            .post(
                "D1".into(),
                BOT_USER,
                content("again", json!(null)),
                Some(first.clone()),
            )
            .unwrap()
            .ts
            .clone();
        let num = |ts: &str| ts.replace('.', "").parse::<u64>().unwrap();
        assert!(num(&second) > num(&first), "{first} then {second}");
        assert_eq!(first.split('.').nth(1).map(str::len), Some(6));
        let updated = m
            .update("D1", &first, content("done", json!(null)))
            .unwrap();
        assert_eq!((updated.text.as_str(), updated.updates), ("done", 1));
        assert!(updated.blocks.is_empty(), "text alone removes the blocks");
        assert_eq!(updated.posted_blocks, vec![json!({"type": "divider"})]);
        assert_eq!(m.all()[1].thread_ts.as_deref(), Some(first.as_str()));
    }

    #[test]
    fn updates_of_unknown_or_foreign_messages_and_bad_blocks_are_refused() {
        let mut m = Messages::default();
        let mine = m
            .post("C1".into(), BOT_USER, content("x", json!(null)), None)
            .unwrap()
            .ts
            .clone();
        let theirs = m
            .post("C1".into(), "U5", content("y", json!(null)), None)
            .unwrap()
            .ts
            .clone();
        assert_eq!(
            m.update("C1", &theirs, content("z", json!(null))).err(),
            Some("cant_update_message")
        );
        assert_eq!(
            m.update("C2", &mine, content("z", json!(null))).err(),
            Some("message_not_found")
        );
        let long = "x".repeat(4_001);
        assert_eq!(
            m.update("C1", &mine, content(&long, json!(null))).err(),
            Some("msg_too_long")
        );
        assert_eq!(
            m.post("C1".into(), BOT_USER, Content::default(), None)
                .err(),
            Some("no_text")
        );
        for bad in [json!("blocks"), json!([1]), json!(vec![json!({}); 51])] {
            assert_eq!(
                Content::read(&json!({"blocks": bad})).err(),
                Some("invalid_blocks")
            );
        }
        assert_eq!(m.find("C1", &mine).map(|m| m.text.as_str()), Some("x"));
    }
}
