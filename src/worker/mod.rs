//! The worker stage: claim → run one job → record its outcome, per lane, plus the queue's
//! housekeeping. Jobs are a tagged, versioned enum ([`jobs::Job`]); the loop only claims,
//! calls, records.

pub mod jobs;
pub mod journal;
pub mod maintenance;
pub mod owners;
pub mod pipeline;
pub mod runner;

/// Lanes this build can run: webhook events, SLA checks, canary probes.
pub const KNOWN_LANES: [&str; 3] = [jobs::LANE_EVENTS, jobs::LANE_SLA, jobs::LANE_PROBE];

pub use runner::Worker;
