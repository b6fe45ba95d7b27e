//! Who an alert reaches and what it says: the owner's DM (or, for an owner without Slack, the
//! team channel), a re-ping in the owner's DM thread, the manager's DM at escalation (the team
//! channel when the manager has no Slack account), or a named channel. `Ok(Err(why))` when the
//! alert has nowhere to go.

use handoff_slack::blocks::{self, Alert, FallbackWhy, Message};
use handoff_slack::ids::{Conversation, MessageTs, UserId};

use super::super::Run;
use super::claim::{ASSIGNED_STEP, ASSIGNMENT, CHANNEL, ESCALATION, REPING};
use super::people::{self, Unsettled};
use super::{SlackAlerts, lead};
use crate::engine::playbook::LadderAction;
use crate::store::ledger::HandoffRow;
use crate::store::slack::{AlertKey, AlertRow, SlackUserRow};

/// A message ready to post.
pub(super) struct Post {
    pub(super) to: Conversation,
    /// The Slack user it is addressed to (who may click it); `None` in a channel.
    pub(super) recipient: Option<UserId>,
    /// That user's row, forgotten if Slack no longer knows them.
    pub(super) user: Option<SlackUserRow>,
    pub(super) thread_ts: Option<MessageTs>,
    pub(super) message: Message,
}

type Addressed = Result<Result<Post, &'static str>, Unsettled>;

pub(super) async fn address(
    run: &Run<'_>,
    slack: &SlackAlerts,
    alert: &AlertRow,
    row: &HandoffRow,
) -> Addressed {
    match alert.kind.as_str() {
        ASSIGNMENT => assignment(run, slack, row).await,
        REPING => reping(run, slack, alert, row).await,
        ESCALATION => escalation(run, slack, row).await,
        CHANNEL => channel(run, slack, alert, row).await,
        _ => Ok(Err("unknown_kind")),
    }
}

/// The owner's DM with the buttons; the team channel when the owner has no Slack account.
async fn assignment(run: &Run<'_>, slack: &SlackAlerts, row: &HandoffRow) -> Addressed {
    let lead = lead::lead(slack, row);
    let reasons = SlackAlerts::reasons(&run.rules.playbook);
    match people::slack_user(run, slack, row.portal_id, row.owner_id).await? {
        Some(user) => {
            let message = blocks::alert(&lead, &Alert::Assignment, &reasons);
            Ok(Ok(dm_post(run, slack, user, message).await?))
        }
        None => {
            let Some(to) = slack.default_channel.clone() else {
                return Ok(Err("no_slack_user"));
            };
            let why = FallbackWhy::NoSlackUser {
                owner_name: people::owner_name(run, row.owner_id),
            };
            Ok(Ok(in_channel(
                to,
                blocks::alert(&lead, &Alert::ChannelFallback(why), &reasons),
            )))
        }
    }
}

/// A reply in the thread of the owner's DM, mentioning them.
async fn reping(
    run: &Run<'_>,
    slack: &SlackAlerts,
    alert: &AlertRow,
    row: &HandoffRow,
) -> Addressed {
    let parent = run
        .store
        .slack()
        .alert(AlertKey {
            portal_id: alert.portal_id,
            contact_id: alert.contact_id,
            version: alert.version,
            step: ASSIGNED_STEP,
        })
        .await?;
    let Some(parent) = parent.filter(|p| p.state == "sent" && p.recipient.is_some()) else {
        return Ok(Err("no_dm_to_reply_to"));
    };
    let (Some(channel), Some(ts), Some(owner)) = (
        parent
            .channel
            .as_deref()
            .and_then(|c| Conversation::parse(c).ok()),
        parent.ts.as_deref().and_then(|t| MessageTs::parse(t).ok()),
        parent
            .recipient
            .as_deref()
            .and_then(|u| UserId::parse(u).ok()),
    ) else {
        return Ok(Err("no_dm_to_reply_to"));
    };
    let lead = lead::lead(slack, row);
    Ok(Ok(Post {
        to: channel,
        message: blocks::reping(&lead, &owner),
        recipient: Some(owner),
        user: None,
        thread_ts: Some(ts),
    }))
}

/// The team manager's DM; the team channel when the manager has no Slack account.
async fn escalation(run: &Run<'_>, slack: &SlackAlerts, row: &HandoffRow) -> Addressed {
    let Some(manager) = people::manager_of(run, row).await else {
        return Ok(Err("no_manager"));
    };
    let owner = people::slack_user(run, slack, row.portal_id, row.owner_id).await?;
    let kind = Alert::Escalation {
        owner: owner.and_then(|u| UserId::parse(&u.slack_user_id).ok()),
    };
    let lead = lead::lead(slack, row);
    let message = blocks::alert(&lead, &kind, &SlackAlerts::reasons(&run.rules.playbook));
    match people::slack_user(run, slack, row.portal_id, manager).await? {
        Some(user) => Ok(Ok(dm_post(run, slack, user, message).await?)),
        None => match slack.default_channel.clone() {
            Some(to) => Ok(Ok(in_channel(to, message))),
            None => Ok(Err("no_slack_user")),
        },
    }
}

/// A post in the channel the ladder step names: the fallback queue's notice when the step
/// handed the lead to the queue, an escalation otherwise.
async fn channel(
    run: &Run<'_>,
    slack: &SlackAlerts,
    alert: &AlertRow,
    row: &HandoffRow,
) -> Addressed {
    let Some(to) = alert
        .channel
        .as_deref()
        .and_then(|c| Conversation::parse(c).ok())
    else {
        return Ok(Err("no_channel"));
    };
    let step = alert
        .step
        .strip_prefix("ladder:")
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| run.rules.playbook.doc.ladder.get(i));
    let kind = if step.is_some_and(|s| s.action == LadderAction::FallbackQueue) {
        Alert::ChannelFallback(FallbackWhy::FallbackQueue)
    } else {
        let owner = people::slack_user(run, slack, row.portal_id, row.owner_id).await?;
        Alert::Escalation {
            owner: owner.and_then(|u| UserId::parse(&u.slack_user_id).ok()),
        }
    };
    let lead = lead::lead(slack, row);
    let reasons = SlackAlerts::reasons(&run.rules.playbook);
    Ok(Ok(in_channel(to, blocks::alert(&lead, &kind, &reasons))))
}

/// `message` in `user`'s DM, addressed to them.
async fn dm_post(
    run: &Run<'_>,
    slack: &SlackAlerts,
    user: SlackUserRow,
    message: Message,
) -> Result<Post, Unsettled> {
    let dm = people::dm_channel(run, slack, &user).await?;
    Ok(Post {
        to: dm.into(),
        recipient: UserId::parse(&user.slack_user_id).ok(),
        user: Some(user),
        thread_ts: None,
        message,
    })
}

fn in_channel(to: Conversation, message: Message) -> Post {
    Post {
        to,
        recipient: None,
        user: None,
        thread_ts: None,
        message,
    }
}
