//! `handoff journal subscribe` and `handoff backfill`: the Webhooks Journal by hand, for one
//! portal or every portal with `journal.enabled` (the backfill itself is `worker::journal`).

use std::fmt::Write as _;
use std::sync::Arc;

use crate::config::LoadedConfig;
use crate::hubspot::client::{ClientDeps, HubspotClient, JournalConfig, PortalId};
use crate::startup::PersistentTokenStore;
use crate::store::Store;
use crate::worker::journal::{
    BackfillReport, BackfillRequest, SubscriptionChange, backfill, ensure_subscription,
    watched_properties,
};

use super::AdminError;

/// The portals to act on: `portal` (which must have the journal enabled) or every enabled one.
fn portals(
    loaded: &LoadedConfig,
    portal: Option<i64>,
) -> Result<Vec<(PortalId, JournalConfig)>, AdminError> {
    let all = &loaded.settings.hubspot.portals;
    let watched = watched_properties(&loaded.playbook, &loaded.settings.pipeline);
    let enabled: Vec<_> = match portal {
        Some(id) => {
            let p = all
                .iter()
                .find(|p| p.id.get() == id)
                .ok_or(AdminError::UnknownPortal(id))?;
            if !p.journal.enabled {
                return Err(AdminError::Journal(format!(
                    "portal {id} does not use the journal: set journal = {{ enabled = true }} in its [[hubspot.portals]] table"
                )));
            }
            vec![(p.id, p.journal.clone().with_default_properties(&watched))]
        }
        None => all
            .iter()
            .filter(|p| p.journal.enabled)
            .map(|p| (p.id, p.journal.clone().with_default_properties(&watched)))
            .collect(),
    };
    if enabled.is_empty() {
        return Err(AdminError::Journal(
            "no portal has journal.enabled = true".into(),
        ));
    }
    Ok(enabled)
}

fn client(loaded: &LoadedConfig, store: &Store) -> Result<HubspotClient, AdminError> {
    let hubspot = &loaded.settings.hubspot;
    let http =
        HubspotClient::http_client(hubspot).map_err(|e| AdminError::Journal(e.to_string()))?;
    let deps = ClientDeps {
        token_store: Arc::new(PersistentTokenStore::new(store.clone())),
        ..ClientDeps::default()
    };
    HubspotClient::new(hubspot, http, deps).map_err(|e| AdminError::Journal(e.to_string()))
}

/// Creates each portal's journal subscription unless it exists; one line per portal.
pub async fn journal_subscribe(
    loaded: &LoadedConfig,
    store: &Store,
    portal: Option<i64>,
) -> Result<String, AdminError> {
    let client = client(loaded, store)?;
    let mut out = String::new();
    for (id, config) in portals(loaded, portal)? {
        let change = ensure_subscription(&client, id, &config)
            .await
            .map_err(|e| AdminError::Journal(format!("portal {id}: {e}")))?;
        let what = subscription_text(change);
        let _ = writeln!(out, "portal {id}: journal subscription {what}");
    }
    Ok(out.trim_end().to_owned())
}

/// Backfills each portal from its stored offset (or from `since_ms`); the reports in order.
pub async fn journal_backfill(
    loaded: &LoadedConfig,
    store: &Store,
    portal: Option<i64>,
    since_ms: Option<i64>,
    now_ms: i64,
) -> Result<Vec<BackfillReport>, AdminError> {
    let client = client(loaded, store)?;
    let mut reports = Vec::new();
    for (id, config) in portals(loaded, portal)? {
        let req = BackfillRequest {
            portal: id,
            config,
            since_ms,
            now_ms,
        };
        let report = backfill(store, &client, None, &req)
            .await
            .map_err(|e| AdminError::Journal(format!("portal {id}: {e}")))?;
        reports.push(report);
    }
    Ok(reports)
}

/// The reports as text: what was read, recovered and skipped, and any gap with its range.
pub fn render_backfill(reports: &[BackfillReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let _ = writeln!(
            out,
            "portal {}: {} journal file(s), {} entries read; {} event(s) recovered (queued), {} already received, {} skipped",
            r.portal_id, r.files, r.entries, r.enqueued, r.duplicates, r.skipped
        );
        if let Some(gap) = &r.gap {
            let _ = writeln!(
                out,
                "portal {}: GAP ({}): events from {} to {} are no longer in the journal; see docs/operations.md \"Journal gap\"",
                r.portal_id,
                gap.reason,
                time(gap.from_ms),
                time(gap.to_ms)
            );
        }
        if r.subscription != SubscriptionChange::Present {
            let what = subscription_text(r.subscription);
            let _ = writeln!(out, "portal {}: journal subscription {what}", r.portal_id);
        }
        let offset = r.offset.as_deref().unwrap_or("none yet");
        let _ = writeln!(out, "portal {}: offset {offset}", r.portal_id);
    }
    out.trim_end().to_owned()
}

fn subscription_text(change: SubscriptionChange) -> &'static str {
    match change {
        SubscriptionChange::Present => "already present",
        SubscriptionChange::Created => "created",
        SubscriptionChange::Updated => "updated to the configured actions and properties",
    }
}

fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}
