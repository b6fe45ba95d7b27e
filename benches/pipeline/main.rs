//! Load scripts for the whole pipeline: the real `handoff serve` binary (a child process, on
//! its own SQLite store) against the HubSpot sandbox limited to 110 requests per 10 s, fed
//! signed webhooks. Figures go to BENCHMARKS.md (trickle, burst) and RELIABILITY.md (crash,
//! faults).
//!
//! `cargo bench --bench pipeline -- trickle [--leads 90] [--every-ms 1000]`
//! `cargo bench --bench pipeline -- burst [--contacts 10000]`
//! `cargo bench --bench pipeline -- crash [--contacts 10000] [--kills 10] [--seed 7]`
//! `cargo bench --bench pipeline -- faults [--contacts 2000] [--seed 7]`
//! `cargo bench --bench pipeline -- slack [--contacts 1000]`
//! Every mode also takes `--rate N` (the sandbox's requests per 10 s, default 110).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod burst;
mod crash;
mod faults;
mod slack;
mod trickle;
mod verify;
mod world;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let mode = ["trickle", "burst", "crash", "faults", "slack"]
        .into_iter()
        .find(|m| args.iter().any(|a| a == m));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match mode {
        Some("trickle") => runtime.block_on(trickle::run()),
        Some("burst") => runtime.block_on(burst::run()),
        Some("crash") => runtime.block_on(crash::run()),
        Some("faults") => runtime.block_on(faults::run()),
        Some("slack") => runtime.block_on(slack::run()),
        _ => {
            eprintln!(
                "say which: trickle, burst, crash, faults or slack (see benches/pipeline/main.rs)"
            );
            Ok(())
        }
    }
}
