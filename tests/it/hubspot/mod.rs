//! HubSpot's side: the CRM client against a fake, the sandbox driven by the real client, and the
//! client inside `serve` (its metrics).

mod client;
mod in_serve;
mod metrics;
mod sandbox;
