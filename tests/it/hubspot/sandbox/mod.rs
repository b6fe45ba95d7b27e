//! The sandbox (`handoff sandbox`), driven by the real HubSpot client: CRM reads and writes,
//! search, owners paging, leads and their pipeline, rate limits, faults, auth, the control API,
//! seeding and the CLI.

mod access;
mod cli;
mod control;
mod crm;
mod journal;
mod leads;
mod limits;
mod search;
mod seed;
mod sequences;
mod users;
mod validation;
mod versions;
