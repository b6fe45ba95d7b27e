//! The worker stage: everything that runs jobs and keeps the queue healthy. So far the queue's
//! housekeeping ([`maintenance`]); the handoff pipeline's job loop joins it here.

pub mod maintenance;
