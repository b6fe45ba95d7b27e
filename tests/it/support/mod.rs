//! Everything tests share, in one place: the in-process app (`app`), both store engines
//! (`engines`, with `on_both_engines!`), the real binary (`cli`, `serve`), the pipeline's world
//! (`world`), a fake and a sandboxed HubSpot (`hubspot`, `sandbox`), a live portal for going-live
//! checks (`portal`), a seeded week of ledger (`ledger`) and `/metrics` scrapes (`scrape`).
//! Test modules import from here and never from each other.

/// Runs each named `async fn(Dialect)` once per store engine, as `sqlite::NAME` and
/// `postgres::NAME`.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() { super::$name(handoff::store::Dialect::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() { super::$name(handoff::store::Dialect::Postgres).await })*
        }
    };
}

pub mod app;
pub mod cli;
pub mod engines;
pub mod hubspot;
pub mod ledger;
pub mod pg_env;
pub mod portal;
pub mod sandbox;
pub mod scrape;
pub mod serve;
pub mod world;
