//! Who an alert reaches in Slack: an owner's Slack user, found by the owner's e-mail
//! (`users.lookupByEmail`) and kept in the store, looked up again once it is older than the
//! owners cache's interval; the DM conversation opened for them (`conversations.open`), kept
//! too; and the team manager an escalation goes to. An owner with no Slack account is kept as
//! such ([`NO_SLACK_USER`]): their alerts go to the team channel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use handoff_slack::client::SlackError;
use handoff_slack::ids::{ChannelId, UserId};

use super::super::Run;
use super::SlackAlerts;
use crate::hubspot::client::{OwnerId, PortalId};
use crate::store::ledger::HandoffRow;
use crate::store::slack::{NO_SLACK_USER, SlackUserRow};

/// Why a recipient could not be settled now.
#[derive(Debug)]
pub(super) enum Unsettled {
    Slack(SlackError),
    Store(String),
}

impl From<SlackError> for Unsettled {
    fn from(e: SlackError) -> Self {
        Self::Slack(e)
    }
}

impl From<crate::store::StoreError> for Unsettled {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Store(e.to_string())
    }
}

/// A lock per owner, so one owner is looked up once at a time in this process.
#[derive(Debug, Default)]
pub(super) struct Lookups(Mutex<HashMap<(PortalId, OwnerId), OwnerLock>>);

/// Held while an owner is looked up.
type OwnerLock = Arc<tokio::sync::Mutex<()>>;

impl Lookups {
    fn of(&self, key: (PortalId, OwnerId)) -> OwnerLock {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry(key).or_default().clone()
    }
}

/// An owner's Slack user: `Some` with their row, `None` when they have no Slack account (or
/// no e-mail handoff knows).
pub(super) async fn slack_user(
    run: &Run<'_>,
    slack: &SlackAlerts,
    portal: PortalId,
    owner: OwnerId,
) -> Result<Option<SlackUserRow>, Unsettled> {
    let lock = slack.lookups.of((portal, owner));
    let _one_at_a_time = lock.lock().await;
    let store = run.store.slack();
    let cached = store.user(portal, owner).await?;
    let Some(email) = email_of(run, portal, owner).await else {
        return Ok(None);
    };
    let now = run.now_ms();
    if let Some(row) = &cached
        && row.email.eq_ignore_ascii_case(&email)
        && now - row.refreshed_at_ms < slack.user_refresh_ms
    {
        return Ok(usable(row.clone()));
    }
    let found = match slack.client.lookup_user_by_email(&email).await {
        Ok(user) => SlackUserRow {
            portal_id: portal,
            owner_id: owner,
            email,
            slack_user_id: user.id.to_string(),
            team_id: user.team_id.map(|t| t.to_string()),
            time_zone: user.time_zone,
            refreshed_at_ms: now,
            dm_channel: None,
        },
        Err(SlackError::NoUser { .. }) => SlackUserRow {
            portal_id: portal,
            owner_id: owner,
            email,
            slack_user_id: NO_SLACK_USER.to_owned(),
            team_id: None,
            time_zone: None,
            refreshed_at_ms: now,
            dm_channel: None,
        },
        // A stale answer beats none while Slack cannot be asked.
        Err(e) => return cached.map(usable).ok_or(Unsettled::Slack(e)),
    };
    store.put_user(&found).await?;
    let kept = store.user(portal, owner).await?.unwrap_or(found);
    Ok(usable(kept))
}

/// The row when it names a Slack user.
fn usable(row: SlackUserRow) -> Option<SlackUserRow> {
    (row.slack_user_id != NO_SLACK_USER && UserId::parse(&row.slack_user_id).is_ok()).then_some(row)
}

/// The DM conversation with a Slack user, opened once and kept.
pub(super) async fn dm_channel(
    run: &Run<'_>,
    slack: &SlackAlerts,
    user: &SlackUserRow,
) -> Result<ChannelId, Unsettled> {
    if let Some(dm) = user
        .dm_channel
        .as_deref()
        .and_then(|d| ChannelId::parse(d).ok())
    {
        return Ok(dm);
    }
    let id = UserId::parse(&user.slack_user_id).map_err(|_| SlackError::NoUser {
        code: "user_not_found".to_owned(),
    })?;
    let dm = slack.client.open_dm(&id).await?;
    run.store
        .slack()
        .put_dm_channel(user.portal_id, user.owner_id, dm.as_str())
        .await?;
    Ok(dm)
}

/// Records that an owner's Slack user is gone (`conversations.open` or a post said so): their
/// next alert looks them up again, and meanwhile goes to the team channel.
pub(super) async fn forget(run: &Run<'_>, user: &SlackUserRow) {
    let gone = SlackUserRow {
        slack_user_id: NO_SLACK_USER.to_owned(),
        dm_channel: None,
        refreshed_at_ms: run.now_ms(),
        ..user.clone()
    };
    let _ = run.store.slack().put_user(&gone).await;
}

/// The owner's e-mail: the roster's, else HubSpot's owners list (cached by the client).
async fn email_of(run: &Run<'_>, portal: PortalId, owner: OwnerId) -> Option<String> {
    let written = run
        .rules
        .roster
        .owner_by_id(owner)
        .map(|o| o.owner.email.trim().to_owned())
        .filter(|e| !e.is_empty());
    if written.is_some() {
        return written;
    }
    let owners = run.crm.assignable_owners(portal).await.ok()?;
    owners
        .iter()
        .find(|o| o.id == owner)
        .and_then(|o| o.email.clone())
        .filter(|e| !e.trim().is_empty())
}

/// The manager of the handoff's team, as an owner id (the roster names them by id or e-mail;
/// HubSpot resolves an e-mail), when the team has one.
pub(super) async fn manager_of(run: &Run<'_>, row: &HandoffRow) -> Option<OwnerId> {
    let roster = crate::worker::pipeline::decision::live_roster(run, row.portal_id).await;
    let manager = roster.team(row.team.as_deref()?)?.manager.as_deref()?;
    roster
        .owner(manager)
        .and_then(|o| o.id)
        .or_else(|| manager.parse().ok())
}

/// The owner's name as the roster has it, for a channel post about them.
pub(super) fn owner_name(run: &Run<'_>, owner: OwnerId) -> String {
    let name = run.owner_name(owner);
    if name.is_empty() {
        format!("owner {owner}")
    } else {
        name
    }
}
