//! The store on both engines: the queue's contract and model, its views, the ledger, the Slack
//! tables, replicas, moving from SQLite to PostgreSQL, store failures and token persistence.

mod lead_ledger;
mod queue_contract;
mod queue_model;
mod queue_views;
mod replicas;
mod sequence_ledger;
mod slack_ledger;
mod sqlite_to_postgres;
mod store_failure;
mod token_persistence;
