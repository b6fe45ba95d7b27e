//! Pausing and resuming a portal: `handoff portal pause|resume|list` (straight on the store, for
//! when the service is down) and the admin endpoints `/admin/portals/...` (service up) call the
//! same functions, so both act and answer alike. A pause is a row in the store: it holds on
//! every replica and across restarts (see `worker::pipeline::pause` for what it does to jobs).

use std::fmt::Write as _;

use jiff::Timestamp;
use serde::Serialize;

use super::AdminError;
use crate::store::{PortalPause, Store};

/// Longest pause reason kept (it is shown, not parsed).
const MAX_REASON_CHARS: usize = 500;

/// One configured portal's state, as `GET /admin/portals` and `handoff portal list` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortalStatus {
    pub portal_id: i64,
    pub paused: bool,
    /// Since when it is paused (RFC 3339).
    pub since: Option<String>,
    pub reason: Option<String>,
    /// The last resume (RFC 3339).
    pub resumed_at: Option<String>,
    /// The HubSpot client's auth state in the answering process: `ok`, or why it paused the
    /// portal (`token_rejected`, `refresh_rejected`, `token_store`). Only the running service
    /// knows it; the CLI leaves it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
}

impl PortalStatus {
    fn of(portal_id: i64, row: Option<&PortalPause>) -> Self {
        let time = |ms: Option<i64>| {
            ms.and_then(|ms| Timestamp::from_millisecond(ms).ok())
                .map(|t| t.to_string())
        };
        Self {
            portal_id,
            paused: row.is_some_and(PortalPause::is_paused),
            since: time(row.and_then(|r| r.paused_at_ms)),
            reason: row.and_then(|r| r.reason.clone()),
            resumed_at: time(row.and_then(|r| r.resumed_at_ms)),
            auth: None,
        }
    }
}

fn known(configured: &[i64], portal_id: i64) -> Result<(), AdminError> {
    if configured.contains(&portal_id) {
        Ok(())
    } else {
        Err(AdminError::UnknownPortal(portal_id))
    }
}

/// Pauses a configured portal: its jobs wait (no HubSpot call, no attempt spent) and webhooks
/// are still accepted and queued. Pausing again keeps the start time; a reason replaces the old.
pub async fn pause_portal(
    store: &Store,
    configured: &[i64],
    portal_id: i64,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<PortalStatus, AdminError> {
    known(configured, portal_id)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
        return Err(AdminError::Reason(MAX_REASON_CHARS));
    }
    let row = store
        .pause_portal(portal_id, reason, now.as_millisecond())
        .await?;
    tracing::warn!(
        portal_id,
        reason = reason.unwrap_or(""),
        "portal paused by an operator"
    );
    Ok(PortalStatus::of(portal_id, Some(&row)))
}

/// Resumes a configured portal (paused or not: a resume also lifts the auth pause of every
/// running replica). Its deferred jobs become due now. Returns the state and how many jobs
/// became due.
pub async fn resume_portal(
    store: &Store,
    configured: &[i64],
    portal_id: i64,
    now: Timestamp,
) -> Result<(PortalStatus, u64), AdminError> {
    known(configured, portal_id)?;
    let (row, due) = store.resume_portal(portal_id, now.as_millisecond()).await?;
    tracing::info!(portal_id, jobs_due = due, "portal resumed by an operator");
    Ok((PortalStatus::of(portal_id, Some(&row)), due))
}

/// Every configured portal's state (or one's), in configuration order.
pub async fn portal_statuses(
    store: &Store,
    configured: &[i64],
    only: Option<i64>,
) -> Result<Vec<PortalStatus>, AdminError> {
    if let Some(portal_id) = only {
        known(configured, portal_id)?;
    }
    let rows = store.portal_pauses().await?;
    Ok(configured
        .iter()
        .filter(|id| only.is_none_or(|o| o == **id))
        .map(|id| PortalStatus::of(*id, rows.iter().find(|r| r.portal_id == *id)))
        .collect())
}

/// `handoff portal list` as a table.
pub fn render_statuses(statuses: &[PortalStatus]) -> String {
    let mut out = format!(
        "{:<14} {:<8} {:<26} {}\n",
        "portal", "state", "since", "reason"
    );
    if statuses.is_empty() {
        out.push_str("(no portals configured: [[hubspot.portals]])\n");
    }
    for s in statuses {
        let state = if s.paused { "paused" } else { "running" };
        let _ = writeln!(
            out,
            "{:<14} {:<8} {:<26} {}",
            s.portal_id,
            state,
            s.since.as_deref().unwrap_or("-"),
            s.reason.as_deref().unwrap_or("")
        );
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_portal_without_a_record_runs_and_a_record_with_a_start_is_paused() {
        let running = PortalStatus::of(1, None);
        assert!(!running.paused && running.since.is_none());
        let row = PortalPause {
            portal_id: 1,
            paused_at_ms: Some(1_764_000_000_000),
            reason: Some("CRM cleanup".into()),
            resumed_at_ms: None,
        };
        let paused = PortalStatus::of(1, Some(&row));
        assert!(paused.paused);
        assert_eq!(paused.since.as_deref(), Some("2025-11-24T16:00:00Z"));
        let table = render_statuses(&[running, paused]);
        assert!(table.contains("running"), "{table}");
        assert!(table.contains("paused   2025-11-24T16:00:00Z"), "{table}");
        assert!(table.contains("CRM cleanup"), "{table}");
    }
}
