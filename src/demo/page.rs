//! The demo's history and its last word: before the live part, [`record_history`] fills the
//! demo portal's ledger with twelve simulated weeks (`history`); at the end, [`write_review`]
//! writes the weekly review of those weeks and the live run — the page `handoff review` writes,
//! from the same store — into the demo's directory.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};

use super::env::DemoEnv;
use super::history::{self, HistoryOptions, Recorded};
use super::setup::{PORTAL_ID, TIME_ZONE};
use crate::report::review::{
    DEFAULT_WEEKS, IsoWeek, ReviewRequest, default_file_name, page_with_hooks,
};

/// The seed of the demo's history: every demo shows the same weeks, ending where it starts.
pub const HISTORY_SEED: u64 = 2026;
/// The history stops this long before the live part, so the demo's scoreboard (the last hour)
/// shows the live leads alone.
pub const HISTORY_GAP: SignedDuration = SignedDuration::from_hours(1);

/// Records the [`DEFAULT_WEEKS`] weeks before `start` (less [`HISTORY_GAP`]) into the demo's
/// store.
pub async fn record_history(env: &DemoEnv, start: Timestamp) -> anyhow::Result<Recorded> {
    let options = HistoryOptions {
        portal_id: handoff_ids::PortalId::try_from(PORTAL_ID)?,
        time_zone: TIME_ZONE.into(),
        weeks: DEFAULT_WEEKS,
        seed: HISTORY_SEED,
        until: start.checked_sub(HISTORY_GAP)?,
    };
    history::record(&env.store, &options).await
}

/// The review page the demo wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewPage {
    pub path: PathBuf,
    pub week: IsoWeek,
}

/// Writes the review of the week `now` falls in, with [`DEFAULT_WEEKS`] weeks of trend, into
/// `dir` under the name `handoff review` gives it.
pub async fn write_review(env: &DemoEnv, dir: &Path, now: Timestamp) -> anyhow::Result<ReviewPage> {
    let now_ms = now.as_millisecond();
    let portal = (
        handoff_ids::PortalId::try_from(PORTAL_ID)?,
        TIME_ZONE.to_owned(),
    );
    let request = ReviewRequest::new(portal, None, DEFAULT_WEEKS, now_ms)?;
    let rules = (env.playbook.as_ref(), env.roster.as_ref());
    let html = page_with_hooks(&env.store, &request, rules, now_ms).await?;
    let path = dir.join(default_file_name(&request));
    std::fs::write(&path, html)?;
    Ok(ReviewPage {
        path,
        week: request.week,
    })
}
