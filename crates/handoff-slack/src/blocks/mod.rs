//! The Block Kit messages handoff sends (docs/slack.md "Block Kit messages"): the assignment DM
//! with the task's context package and the **Accept** / **Not a fit** / **Reassign** actions,
//! the manager's escalation and the team channel's fallback (the same actions), the re-ping in
//! the owner's thread, and the "acted" update that replaces the actions once someone clicked.
//!
//! Every message keeps Block Kit's limits (docs/slack.md "Block Kit limits") whatever the lead's
//! data: text from outside is escaped for mrkdwn and cut at character boundaries, and every
//! message has a top-level `text` fallback with a plain UTC time. Builders are pure: the caller
//! passes the lead, the people and the time.

mod alert;
mod reasons;

pub use alert::{Act, ActKind, Alert, FallbackWhy, Lead, acted, alert, refused, reping};
pub use reasons::{DispositionReasons, ReasonsError};

use serde::Serialize;
use serde_json::{Value, json};

use crate::mrkdwn::{clip, escape_clipped};

/// A message ready for `chat.postMessage` or `chat.update`: both fields are always sent
/// (`chat.update` with `text` alone would remove the blocks; docs/slack.md "Web API methods").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// The notification and screen-reader fallback, mrkdwn, with a plain UTC time.
    pub text: String,
    /// The Block Kit blocks.
    pub blocks: Vec<Value>,
}

/// Block Kit's limits handoff keeps (docs/slack.md "Block Kit limits"), in characters; the tests
/// check every message against the full table.
pub(crate) mod limits {
    /// A section's text; also applied to every mrkdwn text object handoff writes.
    pub(crate) const SECTION_TEXT: usize = 3000;
    /// Elements of a context block.
    pub(crate) const CONTEXT_ELEMENTS: usize = 10;
    /// A button's text.
    pub(crate) const BUTTON_TEXT: usize = 75;
    /// Options of a `static_select`.
    pub(crate) const OPTIONS: usize = 100;
    /// An option's text.
    pub(crate) const OPTION_TEXT: usize = 75;
    /// An option's value: 150 in the reference, 75 in the SDK types; handoff keeps 75.
    pub(crate) const OPTION_VALUE: usize = 75;
    /// A select's placeholder.
    pub(crate) const PLACEHOLDER: usize = 150;
    /// A confirm dialog's title.
    pub(crate) const CONFIRM_TITLE: usize = 100;
    /// A confirm dialog's text.
    pub(crate) const CONFIRM_TEXT: usize = 300;
    /// A confirm dialog's confirm and deny buttons.
    pub(crate) const CONFIRM_BUTTON: usize = 30;
    /// The top-level `text` handoff aims under (Slack truncates far later, at 40,000).
    pub(crate) const FALLBACK_TEXT: usize = 4000;
}

/// A `plain_text` object, cut to `max`.
fn plain(text: &str, max: usize) -> Value {
    json!({ "type": "plain_text", "text": clip(text, max) })
}

/// A section of mrkdwn the caller built from escaped pieces; cut again as a last guard.
fn section(block_id: String, mrkdwn: &str) -> Value {
    json!({
        "type": "section",
        "block_id": block_id,
        "text": { "type": "mrkdwn", "text": guard(mrkdwn) },
    })
}

/// A context block of mrkdwn elements.
fn context(block_id: String, elements: &[String]) -> Value {
    let elements: Vec<Value> = elements
        .iter()
        .take(limits::CONTEXT_ELEMENTS)
        .map(|e| json!({ "type": "mrkdwn", "text": guard(e) }))
        .collect();
    json!({ "type": "context", "block_id": block_id, "elements": elements })
}

/// Text built from pieces that were each cut already stays whole; only text that somehow grew
/// past the limit is cut here (which may cut a link's markup, never past the limit).
fn guard(mrkdwn: &str) -> String {
    if crate::mrkdwn::units(mrkdwn) <= limits::SECTION_TEXT {
        mrkdwn.to_owned()
    } else {
        clip(mrkdwn, limits::SECTION_TEXT)
    }
}

/// Outside text for mrkdwn: escaped and cut to `max`.
fn outside(text: &str, max: usize) -> String {
    escape_clipped(text, max)
}

#[cfg(test)]
mod tests;
