//! Queue housekeeping, on a schedule inside `serve`: expired leases go back to `ready` (or to
//! the dead letters once their attempts are spent), finished jobs and inbox rows past their
//! retention are deleted.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::settings::QueueSettings;
use crate::hubspot::client::Clock;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::store::queue::QueueError;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub leases_returned: u64,
    pub leases_dead: u64,
    pub done_pruned: u64,
    pub inbox_pruned: u64,
}

/// One pass at `now_ms`.
pub async fn run_once(
    store: &Store,
    settings: &QueueSettings,
    now_ms: i64,
) -> Result<Swept, QueueError> {
    let (leases_returned, leases_dead) = store.queue().release_expired(now_ms).await?;
    let (done_pruned, inbox_pruned) = store
        .queue()
        .prune(
            now_ms - settings.keep_done_ms,
            now_ms - settings.dedup_window_ms,
        )
        .await?;
    Ok(Swept {
        leases_returned,
        leases_dead,
        done_pruned,
        inbox_pruned,
    })
}

/// Runs [`run_once`] every `maintenance_interval_ms` until `shutdown`, at the clock's time.
pub async fn run(
    store: Store,
    settings: QueueSettings,
    metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(settings.maintenance_interval_ms));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let now_ms = clock.now().as_millisecond();
        match run_once(&store, &settings, now_ms).await {
            Ok(swept) => {
                metrics
                    .queue_lease_expiries
                    .inc_by(swept.leases_returned + swept.leases_dead);
                metrics.queue_dead_letters.inc_by(swept.leases_dead);
                metrics.queue_pruned_jobs.inc_by(swept.done_pruned);
                metrics.inbox_pruned.inc_by(swept.inbox_pruned);
                if swept != Swept::default() {
                    tracing::info!(
                        leases_returned = swept.leases_returned,
                        leases_dead = swept.leases_dead,
                        done_pruned = swept.done_pruned,
                        inbox_pruned = swept.inbox_pruned,
                        "queue maintenance"
                    );
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "queue maintenance failed; retrying next interval")
            }
        }
    }
}
