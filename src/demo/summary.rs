//! The end of `handoff demo`, for a reader who was not watching the logs: one line per example
//! lead (who got it, by name, and what happened to it), where the demo's store was kept, and
//! the exact `explain` and `report` commands that open it.

use handoff_ids::{ContactId, PortalId};
use std::fmt::Write as _;
use std::path::Path;

use super::env::DemoEnv;
use super::page::ReviewPage;
use super::setup::PORTAL_ID;
use crate::engine::Roster;
use crate::report::review::DEFAULT_WEEKS;
use crate::report::{outcome_per_lead, owner_label};
use crate::store::ledger::HandoffRow;

/// One example lead the demo created: its HubSpot id and how a person would name it.
#[derive(Debug, Clone)]
pub struct DemoLead {
    pub contact_id: ContactId,
    /// `Anna Schmidt, Nordwerk Software GmbH`.
    pub label: String,
}

/// Which leads the closing commands point at: the most instructive ones the run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picks {
    /// A handoff the SLA ladder reassigned (else the first handoff).
    pub handed_off: Option<ContactId>,
    /// A lead that was not handed off (not ready or disqualified).
    pub held_back: Option<ContactId>,
}

/// The lead table and the picks for the closing commands, read from the ledger.
pub async fn leads(env: &DemoEnv, leads: &[DemoLead]) -> anyhow::Result<(String, Picks)> {
    let handoffs = env.store.ledger().handoffs_since(0).await?;
    let outcomes = env.store.kpis().lead_outcomes_since(0).await?;
    let outcomes = outcome_per_lead(&outcomes);
    let portal = PortalId::try_from(PORTAL_ID)?;
    let mut out = String::from("Leads (owners by name from the roster):\n");
    let mut picks = Picks::default();
    let width = leads
        .iter()
        .map(|l| l.label.chars().count())
        .max()
        .unwrap_or(0);
    for lead in leads {
        let outcome = outcomes
            .get(&(portal, lead.contact_id))
            .copied()
            .unwrap_or("not decided");
        let handoff = handoffs.iter().find(|h| h.contact_id == lead.contact_id);
        let story = match handoff {
            Some(h) => story(h, &env.roster),
            None => {
                picks.held_back = picks.held_back.or(Some(lead.contact_id));
                "no handoff: see why with explain".to_owned()
            }
        };
        let pad = width.saturating_sub(lead.label.chars().count());
        let _ = writeln!(
            out,
            "  {:>8}  {}{}  {outcome:<12}  {story}",
            lead.contact_id,
            lead.label,
            " ".repeat(pad)
        );
    }
    let in_order = || {
        leads
            .iter()
            .filter_map(|l| handoffs.iter().find(|h| h.contact_id == l.contact_id))
    };
    picks.handed_off = in_order()
        .find(|h| h.reassignments > 0)
        .or_else(|| in_order().next())
        .map(|h| h.contact_id);
    Ok((out, picks))
}

/// What happened to one handoff, owners by name.
fn story(h: &HandoffRow, roster: &Roster) -> String {
    let mut parts = vec![format!("owner {}", owner_label(roster, h.owner_id))];
    let missed = h.missed_by();
    if !missed.is_empty() {
        let names: Vec<String> = missed.iter().map(|o| owner_label(roster, o)).collect();
        parts.push(format!(
            "reassigned from {} after a missed SLA",
            names.join(", ")
        ));
    }
    match (h.first_touch_at_ms, h.sla_met) {
        (Some(at), met) => {
            let sla = if met == Some(1) {
                "SLA met"
            } else {
                "SLA missed"
            };
            let wait = crate::report::human_ms(at - h.handed_off_at_ms);
            parts.push(format!("touched {wait} after handoff ({sla})"));
        }
        (None, _) if h.escalations > 0 => {
            parts.push(format!("not touched, escalated {} time(s)", h.escalations))
        }
        (None, _) => parts.push("not touched yet".to_owned()),
    }
    if let Some(d) = &h.disposition {
        let reason = h
            .disposition_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        parts.push(format!("{d}{reason}"));
    }
    parts.join("; ")
}

/// The window of the demo's scoreboard and of its closing `report`: the live run alone.
pub const LIVE_WINDOW: &str = "1h";

/// Where the review page and the store are kept and the commands to open the store, exactly as
/// they run: `command` is how this `handoff` is invoked (e.g. `target/release/handoff`).
pub fn next_steps(
    dir: &Path,
    config_dir: &Path,
    command: &str,
    picks: &Picks,
    review: &ReviewPage,
) -> String {
    let prefix = format!(
        "{command} --config {}",
        shell_word(&config_dir.display().to_string())
    );
    let page = shell_word(&review.path.display().to_string());
    let mut out = format!(
        "The weekly review of the last {DEFAULT_WEEKS} weeks (simulated history and this run), \
         to open in a browser:\n  {page}\n\
         The demo's store and configuration are kept in {} (delete it when done).\nTry next:\n",
        shell_word(&dir.display().to_string())
    );
    if let Some(id) = picks.handed_off {
        let _ = writeln!(
            out,
            "  # who got lead {id} and why, its task, SLA and escalations\n  {prefix} explain --contact-id {id} --portal {PORTAL_ID}"
        );
    }
    if let Some(id) = picks.held_back {
        let _ = writeln!(
            out,
            "  # why lead {id} was not handed off\n  {prefix} explain --contact-id {id} --portal {PORTAL_ID}"
        );
    }
    let _ = writeln!(
        out,
        "  # the scoreboard again, per owner\n  {prefix} report --since {LIVE_WINDOW} --by owner"
    );
    let _ = writeln!(
        out,
        "  # the weekly review page again\n  {prefix} review --week {} --out {page}",
        review.week
    );
    out
}

/// `word` as one shell word: unchanged when it is plain, single-quoted otherwise.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:=@%,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closing_commands_name_the_config_and_the_picked_leads() {
        let picks = Picks {
            handed_off: ContactId::new(1000009),
            held_back: ContactId::new(1000007),
        };
        let review = ReviewPage {
            path: "/tmp/handoff-demo-1/review-62515-2026-W50.html".into(),
            week: crate::report::review::IsoWeek::parse("2026-W50").unwrap(),
        };
        let text = next_steps(
            Path::new("/tmp/handoff-demo-1"),
            Path::new("/tmp/handoff-demo-1/conf"),
            "target/release/handoff",
            &picks,
            &review,
        );
        for expected in [
            "to open in a browser:\n  /tmp/handoff-demo-1/review-62515-2026-W50.html\n",
            "kept in /tmp/handoff-demo-1 (delete it when done)",
            "  target/release/handoff --config /tmp/handoff-demo-1/conf explain --contact-id 1000009 --portal 62515\n",
            "  target/release/handoff --config /tmp/handoff-demo-1/conf explain --contact-id 1000007 --portal 62515\n",
            "  target/release/handoff --config /tmp/handoff-demo-1/conf report --since 1h --by owner\n",
            "  target/release/handoff --config /tmp/handoff-demo-1/conf review --week 2026-W50 --out /tmp/handoff-demo-1/review-62515-2026-W50.html\n",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn a_path_with_spaces_is_quoted_so_the_command_still_runs_as_printed() {
        assert_eq!(shell_word("/tmp/a b/conf"), "'/tmp/a b/conf'");
        assert_eq!(shell_word("/tmp/it's"), r"'/tmp/it'\''s'");
        assert_eq!(shell_word("/tmp/plain-1.x"), "/tmp/plain-1.x");
    }
}
