//! The alert messages: one builder for the three that carry the actions (the owner's DM, the
//! manager's escalation, the channel fallback), the re-ping in the owner's thread, and the
//! "acted" update that shows who did what, with new block ids (docs/slack.md "Block Kit
//! messages": a block id must be new on each update).

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{DispositionReasons, Message, context, limits, outside, plain, section};
use crate::ids::{HandoffRef, UserId};
use crate::interaction::{
    ACTION_ACCEPT, ACTION_NOT_A_FIT, ACTION_REASSIGN, ACTIONS_BLOCK, block_id,
};
use crate::mrkdwn::{clip, date, escape_clipped, link, mention, utc};

/// Outside text is cut to these before it goes into a block, so that the blocks built from it
/// stay within 3,000 characters without cutting any markup.
const NAME_MAX: usize = 200;
const WHY_MAX: usize = 1200;
const SCORE_REASON_MAX: usize = 150;
const SCORE_REASONS: usize = 8;

/// What an alert says about the lead: the task's context package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    /// Which lead's alert, written into the buttons.
    pub handoff: HandoffRef,
    /// Who: the contact's name.
    pub name: String,
    /// Which company, when known.
    pub company: Option<String>,
    /// Why this owner (the routing explanation's one line).
    pub why_owner: String,
    /// The lead score, when scored.
    pub score: Option<i64>,
    /// The score's reasons, most important first (the first eight are shown).
    pub score_reasons: Vec<String>,
    /// When the first touch is due (the SLA), shown in each reader's own time zone.
    pub sla_due: Timestamp,
    /// The contact's HubSpot record.
    pub record_url: String,
    /// The HubSpot task, when one was created.
    pub task_url: Option<String>,
}

/// Which of the alerts with actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alert {
    /// The owner's DM on assignment.
    Assignment,
    /// The manager's DM when the SLA ladder escalates; `owner` is the rep who missed it.
    Escalation {
        /// The owner who did not act, when they have a Slack account.
        owner: Option<UserId>,
    },
    /// The team channel.
    ChannelFallback(FallbackWhy),
}

/// Why an alert went to the team channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FallbackWhy {
    /// The owner has no Slack account handoff can find by e-mail.
    NoSlackUser {
        /// The owner's name as HubSpot has it.
        owner_name: String,
    },
    /// The lead fell to the fallback queue: nobody owns it yet.
    FallbackQueue,
}

/// A click handoff applied, for the "acted" update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Act {
    /// Who clicked.
    pub by: UserId,
    /// When handoff applied it.
    pub at: Timestamp,
    /// What was done.
    pub what: ActKind,
}

/// What was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActKind {
    /// Accepted.
    Accepted,
    /// Not a fit, with the reason's label.
    NotAFit {
        /// The label the rep chose.
        reason: String,
    },
    /// Sent back to routing.
    Reassigned,
}

/// The alert, with **Accept**, **Not a fit** (when the playbook has reasons) and **Reassign**.
pub fn alert(lead: &Lead, kind: &Alert, reasons: &DispositionReasons) -> Message {
    let mut blocks = lead_blocks(lead, kind, "");
    blocks.push(actions(&lead.handoff, reasons));
    Message {
        text: fallback_text(lead, kind),
        blocks,
    }
}

/// The alert after a click: the same lead blocks under new block ids, and a line saying who did
/// what and when in place of the actions.
pub fn acted(lead: &Lead, kind: &Alert, act: &Act) -> Message {
    let mut blocks = lead_blocks(lead, kind, "-acted");
    let (what, plain_what) = match &act.what {
        ActKind::Accepted => ("Accepted".to_owned(), "accepted".to_owned()),
        ActKind::NotAFit { reason } => (
            format!("Not a fit ({})", outside(reason, 100)),
            format!("not a fit ({})", outside(reason, 100)),
        ),
        ActKind::Reassigned => (
            "Sent back to routing".to_owned(),
            "sent back to routing".to_owned(),
        ),
    };
    let by = mention(&act.by);
    let line = format!("{what} by {by} at {}", date(act.at));
    blocks.push(context(block_id(&lead.handoff, "done"), &[line]));
    let text = format!("{}: {plain_what} by {by} at {}.", who(lead), utc(act.at));
    Message {
        text: clip(&text, limits::FALLBACK_TEXT),
        blocks,
    }
}

/// The re-ping in the owner's thread: it mentions the owner, since whether a thread reply
/// notifies them is not documented (docs/slack.md "Threads and mentions").
pub fn reping(lead: &Lead, owner: &UserId) -> Message {
    let owner = mention(owner);
    let body = format!(
        "{owner} this lead is still waiting for you: *{}*. Respond by {}.",
        who(lead),
        date(lead.sla_due)
    );
    let text = format!(
        "{owner} reminder: {} is waiting for you. Respond by {}.",
        who(lead),
        utc(lead.sla_due)
    );
    Message {
        text: clip(&text, limits::FALLBACK_TEXT),
        blocks: vec![section(block_id(&lead.handoff, "reping"), &body)],
    }
}

/// A click that changed nothing, answered in the alert's thread to the person who clicked:
/// `why` is handoff's own sentence (never text from outside).
pub fn refused(lead: &Lead, by: &UserId, why: &str) -> Message {
    let body = format!("{} {} Nothing was changed.", mention(by), why);
    Message {
        text: clip(&body, limits::FALLBACK_TEXT),
        blocks: vec![section(block_id(&lead.handoff, "refused"), &body)],
    }
}

/// `Name (Company)`, escaped and cut.
fn who(lead: &Lead) -> String {
    let name = escape_clipped(&lead.name, NAME_MAX);
    match &lead.company {
        Some(company) => format!("{name} ({})", escape_clipped(company, NAME_MAX)),
        None => name,
    }
}

fn headline(kind: &Alert) -> String {
    match kind {
        Alert::Assignment => "*New lead assigned to you*".to_owned(),
        Alert::Escalation { owner: Some(owner) } => {
            format!(
                "*Escalation:* {} has not acted on this lead in time",
                mention(owner)
            )
        }
        Alert::Escalation { owner: None } => {
            "*Escalation:* this lead's owner has not acted on it in time".to_owned()
        }
        Alert::ChannelFallback(FallbackWhy::NoSlackUser { owner_name }) => format!(
            "*New lead for {}*, who has no Slack account handoff can find",
            escape_clipped(owner_name, NAME_MAX)
        ),
        Alert::ChannelFallback(FallbackWhy::FallbackQueue) => {
            "*A lead fell to the fallback queue and needs an owner*".to_owned()
        }
    }
}

/// Headline and who, why this owner and the score, when it is due and the links.
fn lead_blocks(lead: &Lead, kind: &Alert, iteration: &str) -> Vec<Value> {
    let id = |part: &str| block_id(&lead.handoff, &format!("{part}{iteration}"));
    let record = link(&lead.record_url, &clip(&lead.name, NAME_MAX));
    let mut who = format!("*{record}*");
    if let Some(company) = &lead.company {
        who.push_str(&format!(" at {}", escape_clipped(company, NAME_MAX)));
    }
    let mut why = format!("*Why you:* {}", escape_clipped(&lead.why_owner, WHY_MAX));
    if let Some(score) = lead.score {
        let reasons: Vec<String> = (lead.score_reasons.iter().take(SCORE_REASONS))
            .map(|r| escape_clipped(r, SCORE_REASON_MAX))
            .collect();
        why.push_str(&format!("\n*Score {score}:* {}", reasons.join(" · ")));
    }
    let mut due = vec![format!("Respond by {}", date(lead.sla_due))];
    due.push(link(&lead.record_url, "Open the record"));
    if let Some(task) = &lead.task_url {
        due.push(link(task, "Open the task"));
    }
    vec![
        section(id("head"), &format!("{}\n{who}", headline(kind))),
        section(id("why"), &why),
        context(id("ctx"), &[due.join(" · ")]),
    ]
}

fn actions(handoff: &HandoffRef, reasons: &DispositionReasons) -> Value {
    let value = handoff.to_string();
    let mut elements = vec![json!({
        "type": "button", "action_id": ACTION_ACCEPT, "style": "primary",
        "text": plain("Accept", limits::BUTTON_TEXT), "value": value,
    })];
    if !reasons.is_empty() {
        elements.push(json!({
            "type": "static_select", "action_id": ACTION_NOT_A_FIT,
            "placeholder": plain("Not a fit…", limits::PLACEHOLDER),
            "options": reasons.options(),
        }));
    }
    elements.push(json!({
        "type": "button", "action_id": ACTION_REASSIGN, "style": "danger",
        "text": plain("Reassign", limits::BUTTON_TEXT), "value": value,
        "confirm": {
            "title": plain("Reassign this lead?", limits::CONFIRM_TITLE),
            "text": plain("It goes back to routing and a new owner is chosen.", limits::CONFIRM_TEXT),
            "confirm": plain("Reassign", limits::CONFIRM_BUTTON),
            "deny": plain("Keep it", limits::CONFIRM_BUTTON),
        },
    }));
    json!({ "type": "actions", "block_id": block_id(handoff, ACTIONS_BLOCK), "elements": elements })
}

/// The notification text: who, and when it is due in plain UTC (docs/slack.md "Dates in
/// messages": whether a notification renders the date token is not known).
fn fallback_text(lead: &Lead, kind: &Alert) -> String {
    let opening = match kind {
        Alert::Assignment => "New lead for you",
        Alert::Escalation { .. } => "Escalation: lead not acted on in time",
        Alert::ChannelFallback(FallbackWhy::NoSlackUser { .. }) => {
            "New lead for a rep not on Slack"
        }
        Alert::ChannelFallback(FallbackWhy::FallbackQueue) => "Lead needs an owner",
    };
    let text = format!(
        "{opening}: {}. Respond by {}.",
        who(lead),
        utc(lead.sla_due)
    );
    clip(&text, limits::FALLBACK_TEXT)
}
