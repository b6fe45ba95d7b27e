//! Integration tests through real HTTP and the real binary, in one test binary, in folders by
//! stage of the pipe: `intake` (webhooks in), `store` (queue, ledger, engines), `pipeline` (the
//! worker from events to owners, tasks, SLAs and dispositions), `report`, `hubspot` (the client
//! and the sandbox it is tested against) and `ops` (CLI, admin API, config, deploy files, docs).
//! Everything shared is in `support`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod support;

mod hubspot;
mod intake;
mod ops;
mod pipeline;
mod report;
mod store;
