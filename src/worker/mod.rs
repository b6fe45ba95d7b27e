//! The worker stage: claim → run one job → record its outcome, per lane, plus the queue's
//! housekeeping. Jobs are a tagged, versioned enum ([`jobs::Job`]); the loop only claims,
//! calls, records.

pub mod jobs;
pub mod maintenance;
pub mod owners;
pub mod runner;

/// Lanes this build can run. `events` (webhook events) joins when the handoff pipeline lands.
pub const KNOWN_LANES: [&str; 1] = [jobs::LANE_PROBE];

pub use runner::Worker;
