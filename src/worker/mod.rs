//! The worker stage: claim → run one job → record its outcome, per lane, by one lane driver
//! (`lane.rs`) with a handler per lane (`handler.rs`), plus the queue's housekeeping. Time is
//! read from an injected clock, and one step ([`Worker::run_due`]) runs what is due now. Jobs are a tagged, versioned enum ([`crate::jobs::Job`]); the loop only claims,
//! calls, records.

mod handler;
pub mod journal;
mod lane;
pub mod maintenance;
pub mod owners;
pub mod pipeline;
pub mod runner;
pub mod settings;

pub use runner::{Ran, Worker};
