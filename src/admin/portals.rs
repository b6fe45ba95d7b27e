//! Pausing and resuming a portal: `handoff portal pause|resume|list` (straight on the store, for
//! when the service is down) and the admin endpoints `/admin/portals/...` (service up) call the
//! same functions, so both act and answer alike. A pause is a row in the store: it holds on
//! every replica and across restarts (see `worker::pipeline::pause` for what it does to jobs).

use std::fmt::Write as _;

use jiff::Timestamp;
use serde::Serialize;

use super::AdminError;
use crate::hubspot::client::PortalId;
use crate::store::{PortalPause, Store};

/// Longest pause reason kept (it is shown, not parsed).
const MAX_REASON_CHARS: usize = 500;

/// One configured portal's state, as `GET /admin/portals` and `handoff portal list` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortalStatus {
    #[serde(with = "handoff_ids::number")]
    pub portal_id: PortalId,
    pub paused: bool,
    /// Since when it is paused (RFC 3339).
    pub since: Option<String>,
    pub reason: Option<String>,
    /// The last resume (RFC 3339).
    pub resumed_at: Option<String>,
    /// The HubSpot auth state: `ok`, or why a client paused the portal (`token_rejected`,
    /// `refresh_rejected`, `token_store`). The answering process's own state when it is paused,
    /// else what the store recorded (another replica's, or the last run's until a resume or
    /// restart), so the CLI shows it too.
    pub auth: String,
    /// Since when the recorded auth failure holds (RFC 3339).
    pub auth_since: Option<String>,
    /// Jobs of the portal waiting for the pause or out an auth failure.
    pub held_jobs: i64,
}

fn time(ms: Option<i64>) -> Option<String> {
    ms.and_then(|ms| Timestamp::from_millisecond(ms).ok())
        .map(|t| t.to_string())
}

impl PortalStatus {
    /// The state a portal's record says, and how many of its jobs wait at `now`.
    async fn read(
        store: &Store,
        portal_id: PortalId,
        row: Option<&PortalPause>,
        now: Timestamp,
    ) -> Result<Self, AdminError> {
        let mut status = Self::of(portal_id, row);
        status.held_jobs = store
            .portals()
            .held_jobs(portal_id, now.as_millisecond())
            .await?;
        Ok(status)
    }

    fn of(portal_id: PortalId, row: Option<&PortalPause>) -> Self {
        Self {
            portal_id,
            paused: row.is_some_and(PortalPause::is_paused),
            since: time(row.and_then(|r| r.paused_at_ms)),
            reason: row.and_then(|r| r.reason.clone()),
            resumed_at: time(row.and_then(|r| r.resumed_at_ms)),
            auth: row
                .and_then(|r| r.auth_failure.clone())
                .unwrap_or_else(|| "ok".into()),
            auth_since: time(row.and_then(|r| r.auth_failed_at_ms)),
            held_jobs: 0,
        }
    }

    /// The answering process's own auth pause, which wins over the recorded state.
    pub fn with_live_auth(mut self, failure: Option<&str>, now: Timestamp) -> Self {
        if let Some(failure) = failure
            && self.auth != failure
        {
            self.auth = failure.to_owned();
            self.auth_since = self.auth_since.or_else(|| Some(now.to_string()));
        }
        self
    }

    /// `running`, `paused` (by an operator) or `auth-paused` (HubSpot refused the credentials).
    fn state(&self) -> &'static str {
        match (self.paused, self.auth.as_str()) {
            (true, _) => "paused",
            (false, "ok") => "running",
            (false, _) => "auth-paused",
        }
    }
}

fn known(configured: &[PortalId], portal_id: PortalId) -> Result<(), AdminError> {
    if configured.contains(&portal_id) {
        Ok(())
    } else {
        Err(AdminError::UnknownPortal(portal_id.get()))
    }
}

/// Pauses a configured portal: its jobs wait (no HubSpot call, no attempt spent) and webhooks
/// are still accepted and queued. Pausing again keeps the start time; a reason replaces the old.
pub async fn pause_portal(
    store: &Store,
    configured: &[PortalId],
    portal_id: PortalId,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<PortalStatus, AdminError> {
    known(configured, portal_id)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
        return Err(AdminError::Reason(MAX_REASON_CHARS));
    }
    let row = store
        .portals()
        .pause(portal_id, reason, now.as_millisecond())
        .await?;
    tracing::warn!(
        portal_id = portal_id.get(),
        reason = reason.unwrap_or(""),
        "portal paused by an operator"
    );
    PortalStatus::read(store, portal_id, Some(&row), now).await
}

/// Resumes a configured portal (paused or not: a resume also lifts the auth pause of every
/// running replica). Its deferred jobs become due now. Returns the state and how many jobs
/// became due.
pub async fn resume_portal(
    store: &Store,
    configured: &[PortalId],
    portal_id: PortalId,
    now: Timestamp,
) -> Result<(PortalStatus, u64), AdminError> {
    known(configured, portal_id)?;
    let (row, due) = store
        .portals()
        .resume(portal_id, now.as_millisecond())
        .await?;
    tracing::info!(
        portal_id = portal_id.get(),
        jobs_due = due,
        "portal resumed by an operator"
    );
    Ok((
        PortalStatus::read(store, portal_id, Some(&row), now).await?,
        due,
    ))
}

/// Every configured portal's state (or one's) at `now`, in configuration order.
pub async fn portal_statuses(
    store: &Store,
    configured: &[PortalId],
    only: Option<PortalId>,
    now: Timestamp,
) -> Result<Vec<PortalStatus>, AdminError> {
    if let Some(portal_id) = only {
        known(configured, portal_id)?;
    }
    let rows = store.portals().pauses().await?;
    let mut out = Vec::new();
    for id in configured
        .iter()
        .filter(|id| only.is_none_or(|o| o == **id))
    {
        let row = rows.iter().find(|r| r.portal_id == *id);
        out.push(PortalStatus::read(store, *id, row, now).await?);
    }
    Ok(out)
}

/// `handoff portal list` as a table: a portal paused by an operator or by an auth failure says
/// so, with what it waits for.
pub fn render_statuses(statuses: &[PortalStatus]) -> String {
    let mut out = format!(
        "{:<14} {:<11} {:<16} {:<26} {:>5}  {}\n",
        "portal", "state", "auth", "since", "held", "reason"
    );
    if statuses.is_empty() {
        out.push_str("(no portals configured: [[hubspot.portals]])\n");
    }
    for s in statuses {
        let since = s.since.as_deref().or(s.auth_since.as_deref());
        let reason = match (&s.reason, s.state()) {
            (Some(reason), _) => reason.clone(),
            (None, "auth-paused") => format!(
                "HubSpot refused the credentials; fix them, then restart handoff \
                 (or `handoff portal resume --portal {}` if HubSpot's side was at fault)",
                s.portal_id
            ),
            (None, _) => String::new(),
        };
        let _ = writeln!(
            out,
            "{:<14} {:<11} {:<16} {:<26} {:>5}  {}",
            s.portal_id,
            s.state(),
            s.auth,
            since.unwrap_or("-"),
            s.held_jobs,
            reason
        );
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(paused_at_ms: Option<i64>, auth_failure: Option<&str>) -> PortalPause {
        PortalPause {
            portal_id: handoff_ids::PortalId::new(1).unwrap(),
            paused_at_ms,
            reason: paused_at_ms.map(|_| "CRM cleanup".into()),
            resumed_at_ms: None,
            auth_failure: auth_failure.map(str::to_owned),
            auth_failed_at_ms: auth_failure.map(|_| 1_764_000_060_000),
        }
    }

    #[test]
    fn a_portal_without_a_record_runs_and_a_record_with_a_start_is_paused() {
        let running = PortalStatus::of(PortalId::new(1).unwrap(), None);
        assert!(!running.paused && running.since.is_none());
        assert_eq!(running.auth, "ok");
        let paused = PortalStatus::of(
            PortalId::new(1).unwrap(),
            Some(&record(Some(1_764_000_000_000), None)),
        );
        assert!(paused.paused);
        assert_eq!(paused.since.as_deref(), Some("2025-11-24T16:00:00Z"));
        let table = render_statuses(&[running, paused]);
        assert!(table.contains("1              running     ok"), "{table}");
        assert!(
            table.contains("paused      ok               2025-11-24T16:00:00Z"),
            "{table}"
        );
        assert!(table.contains("CRM cleanup"), "{table}");
    }

    #[test]
    fn a_portal_paused_by_rejected_credentials_does_not_read_as_running() {
        let mut held = PortalStatus::of(
            PortalId::new(1).unwrap(),
            Some(&record(None, Some("token_rejected"))),
        );
        held.held_jobs = 2;
        assert!(!held.paused, "no operator pause");
        assert_eq!(held.auth, "token_rejected");
        assert_eq!(held.auth_since.as_deref(), Some("2025-11-24T16:01:00Z"));
        let table = render_statuses(&[held.clone()]);
        let line = table.lines().nth(1).unwrap();
        let columns: Vec<&str> = line.split_whitespace().take(5).collect();
        assert_eq!(
            columns,
            [
                "1",
                "auth-paused",
                "token_rejected",
                "2025-11-24T16:01:00Z",
                "2"
            ],
            "{table}"
        );
        assert!(line.contains("HubSpot refused the credentials"), "{table}");
        let json = serde_json::to_value(&held).unwrap();
        assert_eq!(json["auth"], "token_rejected");
        assert_eq!(json["authSince"], "2025-11-24T16:01:00Z");
        assert_eq!(json["heldJobs"], 2);
    }

    #[test]
    fn the_answering_process_s_own_auth_pause_wins_over_the_record() {
        let now: Timestamp = "2025-11-24T17:00:00Z".parse().unwrap();
        let running = PortalStatus::of(PortalId::new(1).unwrap(), None)
            .with_live_auth(Some("refresh_rejected"), now);
        assert_eq!(running.auth, "refresh_rejected");
        assert_eq!(running.auth_since.as_deref(), Some("2025-11-24T17:00:00Z"));
        let recorded = PortalStatus::of(
            PortalId::new(1).unwrap(),
            Some(&record(None, Some("token_rejected"))),
        );
        let kept = recorded.clone().with_live_auth(None, now);
        assert_eq!(kept, recorded, "another replica's pause stays visible");
    }
}
