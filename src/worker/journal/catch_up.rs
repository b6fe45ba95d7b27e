//! When the journal is read without an operator: once at every start of `serve`/`work` (and on
//! a timer with `poll_interval_ms`) for each portal with `journal.enabled`; and what the
//! subscription watches by default.

use crate::hubspot::client::{Clock, HubspotClient, JournalConfig, PortalId};
use crate::store::Store;

use super::{BackfillRequest, backfill};

/// The contact properties the pipeline reads (and so what the journal subscription watches
/// when `journal.properties` is empty): those of every read, plus the disposition properties.
pub fn watched_properties(
    playbook: &crate::engine::Playbook,
    settings: &crate::worker::settings::PipelineSettings,
) -> Vec<String> {
    let mut set: std::collections::BTreeSet<String> =
        crate::worker::pipeline::contact_properties_of(playbook, settings)
            .into_iter()
            .collect();
    set.extend(
        playbook
            .doc
            .dispositions
            .map
            .iter()
            .map(|d| d.property.clone()),
    );
    set.into_iter().collect()
}

/// The start catch-up (and the optional poll) of every portal with `journal.enabled` and
/// `catch_up_at_start`: one backfill each at start, then one every `poll_interval_ms` when set,
/// until `shutdown`. A failed run is logged and tried again at the next poll (or next start).
/// Each run reads up to the clock's time.
pub async fn catch_up_loop(
    store: Store,
    client: HubspotClient,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    clock: std::sync::Arc<dyn Clock>,
    portals: Vec<(PortalId, JournalConfig)>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let portals: Vec<_> = portals.into_iter().filter(|(_, c)| c.enabled).collect();
    for (portal, _) in &portals {
        metrics.journal.init(*portal);
    }
    let portals = portals.into_iter().filter(|(_, c)| c.catch_up_at_start);
    let mut set = tokio::task::JoinSet::new();
    for (portal, config) in portals {
        let (store, client, metrics, clock, shutdown) = (
            store.clone(),
            client.clone(),
            metrics.clone(),
            clock.clone(),
            shutdown.clone(),
        );
        set.spawn(async move {
            let metrics = Some(&metrics.journal);
            catch_up(
                &store,
                &client,
                metrics,
                clock.as_ref(),
                portal,
                &config,
                &shutdown,
            )
            .await;
        });
    }
    while set.join_next().await.is_some() {}
}

/// One portal's catch-up: a backfill now, then one every `poll_interval_ms` when set.
async fn catch_up(
    store: &Store,
    client: &HubspotClient,
    metrics: Option<&crate::metrics::journal::JournalMetrics>,
    clock: &dyn Clock,
    portal: PortalId,
    config: &JournalConfig,
    shutdown: &tokio_util::sync::CancellationToken,
) {
    let poll = std::time::Duration::from_millis(config.poll_interval_ms);
    loop {
        let req = BackfillRequest {
            portal,
            config: config.clone(),
            since_ms: None,
            now_ms: clock.now().as_millisecond(),
        };
        let run = backfill(store, client, metrics, &req);
        tokio::select! {
            result = run => if let Err(err) = result {
                tracing::error!(portal_id = portal.as_u64(), error.code = err.code(), error = %err, "journal catch-up failed");
            },
            () = shutdown.cancelled() => return,
        }
        if poll.is_zero() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            () = shutdown.cancelled() => return,
        }
    }
}
