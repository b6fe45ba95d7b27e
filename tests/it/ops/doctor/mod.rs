//! Going live, end to end against the sandbox: `handoff portal setup` creates the write-back
//! properties once (a second run writes nothing; `setup.rs`), and `handoff doctor` passes a
//! healthy portal and fails each broken one on its named check — a missing scope, a missing
//! write-back property, an owner gone, an owner whose email changed, a rule reading a property
//! the portal lacks, an HTTP target — plus the writes HubSpot refused in the last 24 h; all
//! without one write to HubSpot (`checks.rs`). The harness is `support/portal.rs`.

mod checks;
mod features;
mod setup;
