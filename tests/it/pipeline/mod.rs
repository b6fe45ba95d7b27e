//! The worker from events to handoffs: owners, tasks, SLA ladders, dispositions, leads, sequences,
//! companies, faults, crashes, auth holds and the journal backfill.

mod auth_hold;
mod availability;
mod companies;
mod crash;
mod e2e;
mod facts;
mod fallback_unresolved;
mod faults;
mod journal_backfill;
mod leads;
mod refusals;
mod roster_email;
mod sequences;
mod slack;
mod unassigned_leads;
mod worker;
