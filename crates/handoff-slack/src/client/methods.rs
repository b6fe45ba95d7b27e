//! The four Web API methods handoff calls, their arguments and the parts of their answers it
//! keeps (docs/slack.md "Web API methods"). Write methods with Block Kit go as JSON with an
//! explicit `charset=utf-8`; `conversations.open`, whose arguments are plain, goes as a form, the
//! way Slack's Python SDK sends it; `users.lookupByEmail` is a GET.

use reqwest::header::CONTENT_TYPE;
use serde::Serialize;
use serde_json::Value;

use super::error::SlackError;
use super::{Method, SlackClient};
use crate::blocks::Message;
use crate::ids::{ChannelId, Conversation, MessageTs, SlackUser, TeamId, UserId};

/// A message to post.
#[derive(Debug, Clone, Copy)]
pub struct PostMessage<'a> {
    /// The conversation: a DM's `D…` from [`SlackClient::open_dm`], or a channel's id or
    /// `#name`.
    pub channel: &'a Conversation,
    /// What to post.
    pub message: &'a Message,
    /// Post as a reply in this message's thread (the parent's `ts`, never a reply's).
    pub thread_ts: Option<&'a MessageTs>,
    /// With `thread_ts`: show the reply in the conversation too.
    pub reply_broadcast: bool,
}

/// Where a posted or updated message is: store both right after a post, since
/// `chat.postMessage` has no idempotency key (docs/slack.md "Web API methods").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The conversation (`D…` for a DM), as `chat.update` needs it.
    pub channel: ChannelId,
    /// The message's `ts`.
    pub ts: MessageTs,
}

#[derive(Serialize)]
struct PostBody<'a> {
    channel: &'a str,
    text: &'a str,
    blocks: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_ts: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    reply_broadcast: bool,
    unfurl_links: bool,
    unfurl_media: bool,
}

#[derive(Serialize)]
struct UpdateBody<'a> {
    channel: &'a str,
    ts: &'a str,
    text: &'a str,
    blocks: &'a [Value],
}

impl SlackClient {
    /// `users.lookupByEmail`: the Slack user with this e-mail. An unknown e-mail or a
    /// deactivated account is [`SlackError::NoUser`].
    pub async fn lookup_user_by_email(&self, email: &str) -> Result<SlackUser, SlackError> {
        let request = self.get(Method::LookupByEmail).query(&[("email", email)]);
        let answer = self.call(Method::LookupByEmail, None, request).await?;
        let user = &answer["user"];
        if user["deleted"].as_bool() == Some(true) {
            return Err(SlackError::NoUser {
                code: "user_deleted".to_owned(),
            });
        }
        Ok(SlackUser {
            id: field(user, "id", UserId::parse)?,
            team_id: user["team_id"].as_str().and_then(|t| TeamId::parse(t).ok()),
            time_zone: user["tz"].as_str().map(str::to_owned),
        })
    }

    /// `conversations.open` with one user: the DM's `D…` id (opened if it was not).
    pub async fn open_dm(&self, user: &UserId) -> Result<ChannelId, SlackError> {
        let request = self
            .post(Method::ConversationsOpen)
            .form(&[("users", user.as_str())]);
        let answer = self.call(Method::ConversationsOpen, None, request).await?;
        field(&answer["channel"], "id", ChannelId::parse)
    }

    /// `chat.postMessage`, paced per channel.
    pub async fn post_message(&self, post: &PostMessage<'_>) -> Result<Posted, SlackError> {
        let body = PostBody {
            channel: post.channel.as_str(),
            text: &post.message.text,
            blocks: &post.message.blocks,
            thread_ts: post.thread_ts.map(MessageTs::as_str),
            reply_broadcast: post.thread_ts.is_some() && post.reply_broadcast,
            unfurl_links: false,
            unfurl_media: false,
        };
        let request = self.json(Method::PostMessage, &body)?;
        let answer = self
            .call(Method::PostMessage, Some(post.channel), request)
            .await?;
        posted(&answer)
    }

    /// `chat.update` of one of handoff's messages, text and blocks together.
    pub async fn update_message(
        &self,
        channel: &ChannelId,
        ts: &MessageTs,
        message: &Message,
    ) -> Result<Posted, SlackError> {
        let body = UpdateBody {
            channel: channel.as_str(),
            ts: ts.as_str(),
            text: &message.text,
            blocks: &message.blocks,
        };
        let request = self.json(Method::Update, &body)?;
        let answer = self.call(Method::Update, None, request).await?;
        posted(&answer)
    }

    fn json(
        &self,
        method: Method,
        body: &impl Serialize,
    ) -> Result<reqwest::RequestBuilder, SlackError> {
        let bytes = serde_json::to_vec(body).map_err(|_| SlackError::Permanent {
            code: "request_unencodable".to_owned(),
        })?;
        Ok(self
            .post(method)
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(bytes))
    }
}

fn posted(answer: &Value) -> Result<Posted, SlackError> {
    Ok(Posted {
        channel: field(answer, "channel", ChannelId::parse)?,
        ts: field(answer, "ts", MessageTs::parse)?,
    })
}

/// A field of an `ok: true` answer; missing or malformed, the call is refused as
/// `unexpected_response` (permanent: a post that went out must not be sent again).
fn field<T, E>(value: &Value, key: &str, parse: fn(&str) -> Result<T, E>) -> Result<T, SlackError> {
    value[key]
        .as_str()
        .and_then(|s| parse(s).ok())
        .ok_or_else(|| SlackError::Permanent {
            code: "unexpected_response".to_owned(),
        })
}
