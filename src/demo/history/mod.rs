//! The demo's history: weeks of leads with outcomes (12 by default), so the weekly review
//! (`handoff review`) and its tuning section have something true to show. Nothing is written
//! into a page: generated contacts run through the real engine and the real ledger on a
//! simulated clock, and the page reads that ledger like any other.
//!
//! - `sources.rs`, `leads.rs`: contacts from five sources (webinar, paid ads, partner
//!   referrals, content downloads, a trade show every few weeks), arriving mostly in their
//!   region's business hours, with the properties the shipped playbook scores, gates and
//!   routes on;
//! - `quality.rs`: what the ledger does not know — how likely sales accepts each lead, how
//!   fast each rep is, what a deal is worth — with planted signals the tuning report finds
//!   (`repeat-converter` scores leads that convert worse, `champion` under-weights leads that
//!   convert better) and trends over the weeks;
//! - `sim.rs`: the clock: every lead is decided at its arrival time by the engine with the
//!   shipped playbook and roster (business hours, capacities and round-robin state included),
//!   and recorded as the worker records it (`worker::pipeline::decision::record`, the same
//!   decision facts); then sales acts — first touch, disposition, deal amount, read from the
//!   contact as the pipeline reads it (`touch::observe`) — and the SLA ladder runs: escalation
//!   at due, reassignment to another owner (`sla::Again`, as the worker's), the fallback
//!   queue, the close-the-loop escalation. Nothing happens after `until`: the last days' leads
//!   are still open, as in a real week in progress.
//!
//! The source property of the simulated portal holds campaign names (`webinar`, `paid-ads`,
//! …), as a portal whose `pipeline.source_property` is a custom property would.
//!
//! Randomness: `fastrand` (no dependencies, already in the tree through `tempfile`), seeded,
//! so one seed gives one history. Contact ids start at [`FIRST_CONTACT_ID`], far above the
//! sandbox's (1,000,001 upwards), so the demo's live leads never meet a simulated one.

mod leads;
mod quality;
mod sim;
mod sources;

use std::sync::Arc;

use handoff_ids::PortalId;
use jiff::Timestamp;

use crate::engine::{Playbook, Roster};
use crate::report::review::ReviewRequest;
use crate::store::Store;
use crate::worker::pipeline::Rules;
use crate::worker::settings::PipelineSettings;

pub use quality::{CHAMPION, REPEAT_CONVERTER};

/// The first simulated contact's id.
pub const FIRST_CONTACT_ID: i64 = 900_000_001;

/// Which history to record.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    pub portal_id: PortalId,
    /// The portal's IANA time zone: weeks start on its Mondays.
    pub time_zone: String,
    /// Whole ISO weeks, the one holding `until` the last (as `handoff review --weeks`).
    pub weeks: usize,
    pub seed: u64,
    /// The simulated clock stops here.
    pub until: Timestamp,
}

/// What was recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Contacts decided, and handoffs among them.
    pub leads: u64,
    pub handoffs: u64,
    /// Handoffs reassigned after a missed SLA, and dispositions recorded.
    pub reassigned: u64,
    pub dispositions: u64,
    /// The simulated period, `[since_ms, until_ms)`.
    pub since_ms: i64,
    pub until_ms: i64,
}

/// The rules the history is decided with: the shipped playbook and roster
/// (`config/default.toml`, business hours and SLAs of minutes and hours), and its
/// `[pipeline]` settings (source, touch and deal amount properties).
pub struct Shipped {
    pub rules: Rules,
    pub pipeline: PipelineSettings,
}

impl Shipped {
    pub fn load() -> anyhow::Result<Shipped> {
        let all: toml::Table = toml::from_str(crate::config::DEFAULT_TOML)?;
        let section = |name: &str| -> anyhow::Result<String> {
            let table = all
                .get(name)
                .ok_or_else(|| anyhow::anyhow!("config/default.toml has no [{name}]"))?;
            Ok(toml::to_string(table)?)
        };
        let problems = |p: Vec<crate::engine::Problem>| anyhow::anyhow!("{p:?}");
        let playbook = Playbook::from_toml_str(&section("playbook")?).map_err(problems)?;
        let roster = Roster::from_toml_str(&section("roster")?).map_err(problems)?;
        Ok(Shipped {
            rules: Rules {
                playbook: Arc::new(playbook),
                roster: Arc::new(roster),
            },
            pipeline: toml::from_str(&section("pipeline")?)?,
        })
    }
}

/// Records `options`' history of portal `options.portal_id` into `store`, decided with the
/// shipped rules.
pub async fn record(store: &Store, options: &HistoryOptions) -> anyhow::Result<Recorded> {
    let until_ms = options.until.as_millisecond();
    let request = ReviewRequest::new(
        (options.portal_id, options.time_zone.clone()),
        None,
        options.weeks,
        until_ms,
    )?;
    let weeks = request.weeks();
    let since_ms = weeks.first().map_or(until_ms, |w| w.since_ms);
    let shipped = Shipped::load()?;
    let mut sim = sim::Sim::new(store, &shipped, options, until_ms);
    for (week, bounds) in weeks.iter().enumerate() {
        let monday = Timestamp::from_millisecond(bounds.since_ms)?.in_tz(&options.time_zone)?;
        for day in 0..7 {
            let date = monday.date().checked_add(jiff::Span::new().days(day))?;
            sim.add_day(date, (week, weeks.len()));
        }
    }
    sim.run().await?;
    Ok(Recorded {
        since_ms,
        until_ms,
        ..sim.recorded
    })
}
