//! Wake-ups for idle workers: a counter that moves whenever new work may be ready. Within a
//! process the store bumps it after committing jobs; across PostgreSQL replicas a listener task
//! bumps it on every `NOTIFY handoff_jobs`. A waiter that missed a bump still sees the counter
//! changed, so no wake-up is lost between "claim found nothing" and "wait".

use std::sync::Arc;

use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct Wake {
    tx: Arc<watch::Sender<u64>>,
}

impl Default for Wake {
    fn default() -> Self {
        Self {
            tx: Arc::new(watch::channel(0).0),
        }
    }
}

impl Wake {
    pub fn signal(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }
}

/// Forwards PostgreSQL notifications on [`super::NOTIFY_CHANNEL`] to `wake` until aborted.
pub(super) async fn listen_postgres(pool: sqlx::PgPool, wake: Wake) {
    let mut backoff_ms = 100;
    loop {
        match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen(super::NOTIFY_CHANNEL).await {
                    tracing::warn!(error = %err, "could not LISTEN for new jobs; polling meanwhile");
                } else {
                    backoff_ms = 100;
                    // recv() re-establishes a lost connection itself; bump after a reconnect
                    // too, since notifications sent meanwhile were missed.
                    loop {
                        match listener.recv().await {
                            Ok(_) => wake.signal(),
                            Err(err) => {
                                tracing::warn!(error = %err, "job notifications interrupted");
                                wake.signal();
                                break;
                            }
                        }
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "could not connect to LISTEN for new jobs"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(backoff_ms)).await;
        backoff_ms = (backoff_ms * 2).min(5_000);
    }
}
