//! Keeps each portal's owners cache fresh on a schedule (`hubspot.owners_refresh_ms`), so
//! routing never waits on the owners API and a deactivated rep stops getting leads within one
//! interval. The client also refreshes on demand when its cache is stale. Portals that read rep
//! availability from HubSpot (`availability.from_hubspot`) get their CRM users refreshed by the
//! same loop, which then ticks at the shortest `availability.refresh_ms` (each cache refreshes
//! only when stale, so a faster tick costs no extra calls for the owners).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::hubspot::client::HubspotClient;

pub async fn refresh_loop(client: HubspotClient, every: Duration, shutdown: CancellationToken) {
    let every = client
        .availability_refresh()
        .map_or(every, |a| a.min(every));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        for (portal, err) in client.refresh_stale_owners().await {
            tracing::warn!(portal_id = portal.as_u64(), error.code = err.code(), error = %err, "owners refresh failed; keeping the cached owners");
        }
        for (portal, err) in client.refresh_stale_users().await {
            tracing::warn!(portal_id = portal.as_u64(), error.code = err.code(), error = %err, "hubspot users refresh failed; availability from HubSpot not applied");
        }
    }
}
