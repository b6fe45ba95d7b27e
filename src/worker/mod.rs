//! The worker stage: claim → run one job → record its outcome, per lane, plus the queue's
//! housekeeping. Jobs are a tagged, versioned enum ([`crate::jobs::Job`]); the loop only claims,
//! calls, records.

pub mod journal;
pub mod maintenance;
pub mod owners;
pub mod pipeline;
pub mod runner;
pub mod settings;

pub use runner::Worker;
