//! The jobs this build runs, parsed once from `(kind, payload)`.

use serde::{Deserialize, Serialize};

use crate::store::queue::ClaimedJob;

/// Lane of canary jobs.
pub const LANE_PROBE: &str = "probe";
pub const KIND_PROBE: &str = "probe.v1";

/// A canary: waits `work_ms`, then records its run atomically with its completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub enqueued_at_ms: i64,
    #[serde(default)]
    pub work_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    Probe(Probe),
}

impl Job {
    /// Parses a claimed job; the error is the dead-letter reason.
    pub fn parse(job: &ClaimedJob) -> Result<Self, String> {
        match job.kind.as_str() {
            KIND_PROBE => serde_json::from_str(&job.payload)
                .map(Job::Probe)
                .map_err(|e| format!("invalid {KIND_PROBE} payload: {e}")),
            other => Err(format!("no handler for job kind {other:?} in this build")),
        }
    }
}
