//! A click on an alert's button, read from a verified interaction request (docs/slack.md
//! "Interaction payloads"): the `application/x-www-form-urlencoded` body's one `payload` field,
//! a `block_actions` JSON document, becomes a [`Click`]: who clicked where, on which lead's
//! alert, and whether it was **Accept**, **Not a fit** (with the chosen reason) or **Reassign**.
//!
//! Only a [`VerifiedBody`] can be parsed, so nothing here runs on an unsigned request. Anything
//! else — another interaction type, an action handoff did not send, a missing field, bad JSON, a
//! body over [`MAX_BODY_BYTES`] — is an [`InteractionError`] with a stable code, never a panic.
//! Whether the clicker may act on the lead is the service's question, not this module's.
//!
//! New dependency: `form_urlencoded` (already in the tree through `url`, which reqwest uses)
//! decodes the form body; serde_json reads the payload.

use std::borrow::Cow;

use serde::Deserialize;

use crate::ids::{ChannelId, HandoffRef, IdError, MessageTs, TeamId, UserId};
use crate::mrkdwn::{clip, units};
use crate::signature::VerifiedBody;

/// The **Accept** button's `action_id`.
pub const ACTION_ACCEPT: &str = "lead_accept";
/// The **Not a fit** select's `action_id`.
pub const ACTION_NOT_A_FIT: &str = "lead_not_a_fit";
/// The **Reassign** button's `action_id`.
pub const ACTION_REASSIGN: &str = "lead_reassign";

/// The largest body parsed. An alert's payload carries the message's blocks and state, a few
/// kilobytes; the limit leaves room for that many times over and bounds the work an outside
/// request can cause. The route should refuse larger bodies with 413 before verifying.
pub const MAX_BODY_BYTES: usize = 128 * 1024;

/// The longest disposition reason value an option may carry (docs/slack.md "Block Kit limits").
pub const MAX_REASON_LEN: usize = 75;

/// One click on an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    /// The workspace: `team.id`, or the clicker's `user.team_id` where `team` is `null` (an
    /// org-wide install, docs/slack.md "Interaction payloads").
    pub team: TeamId,
    /// Who clicked: anyone who can see the message can.
    pub user: UserId,
    /// The conversation the message is in (`D…` for a DM).
    pub channel: ChannelId,
    /// The message's `ts`, its id within `channel` (for `chat.update`).
    pub message_ts: MessageTs,
    /// Which button.
    pub action: ClickAction,
    /// Which lead's alert, and which version of it.
    pub handoff: HandoffRef,
}

/// What the click asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClickAction {
    /// The rep takes the lead.
    Accept,
    /// The rep declines it, with one of the playbook's disposition reasons (its value, as the
    /// option carried it; the service checks it against the playbook).
    NotAFit {
        /// The chosen option's value.
        reason: String,
    },
    /// Back to routing now (the button asks for confirmation first).
    Reassign,
}

/// Why a verified body is not a click handoff can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InteractionError {
    /// The body is over [`MAX_BODY_BYTES`].
    #[error("the body is {bytes} bytes, over the {max} byte limit")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The form has no `payload` field.
    #[error("the form body has no payload field")]
    NoPayload,
    /// The form has the `payload` field more than once.
    #[error("the form body has more than one payload field")]
    DuplicatePayload,
    /// `payload` is not the JSON of an interaction.
    #[error("the payload is not valid interaction JSON: {0}")]
    BadJson(String),
    /// Another interaction type (a shortcut, a modal submission …).
    #[error("interaction type {0:?} is not handled; only block_actions is")]
    UnsupportedType(String),
    /// A field handoff needs is absent.
    #[error("the payload has no {0}")]
    MissingField(&'static str),
    /// A Slack id in the payload has the wrong shape.
    #[error("{field}: {problem}")]
    BadId {
        /// Where in the payload.
        field: &'static str,
        /// What is wrong.
        problem: IdError,
    },
    /// An `action_id` handoff's alerts do not have.
    #[error("action {0:?} is not one of handoff's buttons")]
    UnknownAction(String),
    /// The lead reference in the button's value or the block's id is not one handoff wrote.
    #[error("{0} does not hold a handoff reference")]
    BadRef(&'static str),
    /// The chosen reason is empty, too long, or holds control characters.
    #[error("the chosen reason is empty, over {MAX_REASON_LEN} characters, or not plain text")]
    BadReason,
}

impl InteractionError {
    /// Stable code for answers, logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "payload_too_large",
            Self::NoPayload => "payload_missing",
            Self::DuplicatePayload => "payload_duplicate",
            Self::BadJson(_) => "payload_json_invalid",
            Self::UnsupportedType(_) => "interaction_type_unsupported",
            Self::MissingField(_) => "field_missing",
            Self::BadId { .. } => "id_invalid",
            Self::UnknownAction(_) => "action_unknown",
            Self::BadRef(_) => "handoff_ref_invalid",
            Self::BadReason => "reason_invalid",
        }
    }
}

/// The suffix of the `block_id` of an alert's actions block: `<HandoffRef>:act`.
pub(crate) const ACTIONS_BLOCK: &str = "act";

/// `<ref>:<part>`: the reference first, so every block of an alert names its lead.
pub(crate) fn block_id(handoff: &HandoffRef, part: &str) -> String {
    format!("{handoff}:{part}")
}

/// Reads a verified interaction body as a click on one of handoff's buttons.
pub fn parse(body: &VerifiedBody<'_>) -> Result<Click, InteractionError> {
    let bytes = body.body();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(InteractionError::TooLarge {
            bytes: bytes.len(),
            max: MAX_BODY_BYTES,
        });
    }
    let payload = payload_field(bytes)?;
    let wire: Wire = serde_json::from_str(&payload)
        .map_err(|e| InteractionError::BadJson(clip(&e.to_string(), 200)))?;
    click_of(wire)
}

/// The one `payload` field of the form (other fields are ignored: Slack sends none).
fn payload_field(bytes: &[u8]) -> Result<Cow<'_, str>, InteractionError> {
    let mut found = None;
    for (key, value) in form_urlencoded::parse(bytes) {
        if key == "payload" {
            if found.is_some() {
                return Err(InteractionError::DuplicatePayload);
            }
            found = Some(value);
        }
    }
    found.ok_or(InteractionError::NoPayload)
}

fn click_of(wire: Wire) -> Result<Click, InteractionError> {
    let kind = wire.kind.ok_or(InteractionError::MissingField("type"))?;
    if kind != "block_actions" {
        return Err(InteractionError::UnsupportedType(clip(&kind, 40)));
    }
    let user = wire.user.ok_or(InteractionError::MissingField("user"))?;
    let team = wire
        .team
        .and_then(|t| t.id)
        .or(user.team_id)
        .ok_or(InteractionError::MissingField("team.id"))?;
    let channel = wire
        .channel
        .and_then(|c| c.id)
        .or_else(|| wire.container.as_ref().and_then(|c| c.channel_id.clone()))
        .ok_or(InteractionError::MissingField("channel.id"))?;
    let message_ts = wire
        .container
        .and_then(|c| c.message_ts)
        .or_else(|| wire.message.and_then(|m| m.ts))
        .ok_or(InteractionError::MissingField("container.message_ts"))?;
    // One click sends one action; a payload with several is read by its first.
    let action = wire
        .actions
        .into_iter()
        .next()
        .ok_or(InteractionError::MissingField("actions"))?;
    let (action, handoff) = action_of(action)?;
    Ok(Click {
        team: id("team.id", &team, TeamId::parse)?,
        user: id("user.id", &user.id, UserId::parse)?,
        channel: id("channel.id", &channel, ChannelId::parse)?,
        message_ts: id("container.message_ts", &message_ts, MessageTs::parse)?,
        action,
        handoff,
    })
}

fn id<T>(
    field: &'static str,
    s: &str,
    parse: fn(&str) -> Result<T, IdError>,
) -> Result<T, InteractionError> {
    parse(s).map_err(|problem| InteractionError::BadId { field, problem })
}

fn action_of(a: WireAction) -> Result<(ClickAction, HandoffRef), InteractionError> {
    let button_ref = |value: Option<String>| {
        let value = value.ok_or(InteractionError::MissingField("actions[0].value"))?;
        HandoffRef::parse(&value).ok_or(InteractionError::BadRef("actions[0].value"))
    };
    match a.action_id.as_str() {
        ACTION_ACCEPT => Ok((ClickAction::Accept, button_ref(a.value)?)),
        ACTION_REASSIGN => Ok((ClickAction::Reassign, button_ref(a.value)?)),
        ACTION_NOT_A_FIT => {
            let handoff = a
                .block_id
                .as_deref()
                .and_then(|b| b.strip_suffix(ACTIONS_BLOCK)?.strip_suffix(':'))
                .and_then(HandoffRef::parse)
                .ok_or(InteractionError::BadRef("actions[0].block_id"))?;
            let reason = a
                .selected_option
                .ok_or(InteractionError::MissingField("actions[0].selected_option"))?
                .value;
            let plain = !reason.chars().any(char::is_control);
            if reason.is_empty() || units(&reason) > MAX_REASON_LEN || !plain {
                return Err(InteractionError::BadReason);
            }
            Ok((ClickAction::NotAFit { reason }, handoff))
        }
        other => Err(InteractionError::UnknownAction(clip(other, 60))),
    }
}

/// The fields of a `block_actions` payload handoff reads (docs/slack.md "Interaction
/// payloads"); the rest — the deprecated `token` among them — is ignored.
#[derive(Deserialize)]
struct Wire {
    #[serde(rename = "type")]
    kind: Option<String>,
    team: Option<WireTeam>,
    user: Option<WireUser>,
    channel: Option<WireChannel>,
    container: Option<WireContainer>,
    message: Option<WireMessage>,
    #[serde(default)]
    actions: Vec<WireAction>,
}

#[derive(Deserialize)]
struct WireTeam {
    id: Option<String>,
}

#[derive(Deserialize)]
struct WireUser {
    id: String,
    team_id: Option<String>,
}

#[derive(Deserialize)]
struct WireChannel {
    id: Option<String>,
}

#[derive(Deserialize)]
struct WireContainer {
    channel_id: Option<String>,
    message_ts: Option<String>,
}

#[derive(Deserialize)]
struct WireMessage {
    ts: Option<String>,
}

#[derive(Deserialize)]
struct WireAction {
    action_id: String,
    block_id: Option<String>,
    value: Option<String>,
    selected_option: Option<WireOption>,
}

#[derive(Deserialize)]
struct WireOption {
    value: String,
}

#[cfg(test)]
#[path = "interaction_tests.rs"]
mod tests;
