//! The review as one self-contained HTML document: inline CSS (`review.css`, with print rules
//! for A4), inline SVG charts, no script and no external reference, so it works offline, as
//! an e-mail attachment and on paper. Sections in reading order: scoreboard, trends, outcomes,
//! segments, routing health, tuning, definitions.

use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::ReviewHooks;
use super::model::Review;
use super::{scoreboard, slack, tables};
use crate::engine::Roster;
use crate::report::render::time;

const CSS: &str = include_str!("review.css");

/// The page of `review`, owners named from `roster`, with what the tuning report supplies.
pub fn render(review: &Review, roster: &Roster, hooks: &ReviewHooks) -> String {
    let week = review.current().map_or("", |w| w.week.label.as_str());
    let title = format!(
        "Lead handoff review {week} \u{b7} portal {}",
        review.portal_id
    );
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                // Nothing may load: the page is whole as it is, wherever it is opened.
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                (masthead(review))
                main {
                    (toc(review))
                    (notice(review))
                    (sections(review, roster, hooks))
                    (definitions(review))
                }
            }
        }
    };
    page.into_string()
}

/// What is missing, said before anything else: no data at all, or nothing in the week.
fn notice(review: &Review) -> Markup {
    let week = review.current().map_or("", |w| w.week.label.as_str());
    html! {
        @if review.is_empty() {
            p.notice data-empty="all" {
                "No lead was decided and no handoff was made for portal " (review.portal_id)
                " in these " (review.weeks.len()) " weeks: there is nothing to review yet. "
                "The sections below stay empty until the ledger has leads."
            }
        } @else if review.current().is_some_and(|w| w.leads.total == 0 && w.kpis.handoffs == 0) {
            p.notice data-empty="week" {
                "Nothing happened in " (week) ": no lead was decided and no handoff was made. "
                "The trends show the weeks before it."
            }
        }
    }
}

fn sections(review: &Review, roster: &Roster, hooks: &ReviewHooks) -> Markup {
    let week = review.current().map_or("", |w| w.week.label.as_str());
    html! {
        section #scoreboard {
            h2 { "Scoreboard, " (week) }
            (scoreboard::tiles(review))
        }
        section #trends {
            h2 { "Trends over " (review.weeks.len()) " weeks" }
            (scoreboard::trends(review))
        }
        section #outcomes {
            h2 { "Outcomes" }
            (scoreboard::dispositions(review))
            (scoreboard::reasons(review))
            (scoreboard::pipeline(review))
        }
        (slack::section(review))
        section #segments {
            h2 { "By source, tier, team and owner, " (week) }
            (tables::segments(review, roster))
        }
        section #routing {
            h2 { "Routing health, " (week) }
            (tables::routing(review, roster))
        }
        section #tuning {
            h2 { "Tuning" }
            @match &hooks.tuning {
                Some(section) => { (section) }
                None => {
                    p.empty data-tuning="n/a" {
                        "The tuning report is not available for this ledger: it needs the "
                        "decision facts (rules matched, pool and fallback per decision) that "
                        "this ledger does not record."
                    }
                }
            }
        }
    }
}

fn masthead(review: &Review) -> Markup {
    let tz = TimeZone::get(&review.time_zone).unwrap_or(TimeZone::UTC);
    let first = review.weeks.first().map(|w| w.week.label.as_str());
    html! {
        header.masthead {
            div.inner {
                h1 { "Weekly lead handoff review" }
                @if let Some(w) = review.current() {
                    p {
                        "Portal " (review.portal_id) " \u{b7} week " strong { (w.week.label) }
                        " (" (days(w.week.since_ms, w.week.until_ms, &tz)) ", " (review.time_zone) ")"
                        @if let Some(before) = review.previous() { " \u{b7} compared with " (before.week.label) }
                        @if let Some(first) = first { " \u{b7} trends from " (first) }
                    }
                    @if review.now_ms < w.week.until_ms {
                        p.progress data-in-progress="true" {
                            "This week is still in progress: figures up to " (time(review.now_ms)) "."
                        }
                    }
                }
                p { "Generated " (time(review.now_ms)) " from the handoff ledger." }
            }
        }
    }
}

/// `Mon 30 Nov – Sun 6 Dec 2026` for `[since_ms, until_ms)` in `tz`.
fn days(since_ms: i64, until_ms: i64, tz: &TimeZone) -> String {
    let day = |ms: i64| -> Option<ZonedDateTime> {
        Timestamp::from_millisecond(ms)
            .ok()
            .map(|t| t.to_zoned_datetime(tz.clone()))
    };
    match (day(since_ms), day(until_ms - 1)) {
        (Some(a), Some(b)) => format!(
            "{} \u{2013} {}",
            a.strftime("%a %-d %b"),
            b.strftime("%a %-d %b %Y")
        ),
        _ => String::new(),
    }
}

fn toc(review: &Review) -> Markup {
    html! {
        nav.toc {
            a href="#scoreboard" { "Scoreboard" }
            a href="#trends" { "Trends" }
            a href="#outcomes" { "Outcomes" }
            @if review.slack.is_some() { a href="#slack" { "Alerts in Slack" } }
            a href="#segments" { "By segment" }
            a href="#routing" { "Routing health" }
            a href="#tuning" { "Tuning" }
            a href="#definitions" { "Definitions" }
        }
    }
}

fn definitions(review: &Review) -> Markup {
    html! {
        footer #definitions {
            h2 { "Definitions" }
            p.note { "The same definitions as " code { "handoff report" } ", over the handoffs made in each week (merged ones left out); a figure with nothing to divide by reads n/a." }
            dl.defs {
                dt { "Lead acceptance" } dd { "accepted \u{f7} handoffs with a disposition" }
                dt { "Time to accept p50 / p90" } dd { "disposition \u{2212} handoff, accepted handoffs with a disposition time, nearest rank" }
                @if review.slack.is_some() {
                    dt { "Accepted by channel" } dd { "accepted handoffs whose acceptance came from a Slack alert's Accept button, or from HubSpot's lead status or lead stage (older handoffs, recorded before the channel was, count as HubSpot), each \u{f7} accepted handoffs" }
                    dt { "Alerts in Slack" } dd { "alerts created in the week: sent, failed (given up, with Slack's or handoff's reason) or pending; clicks received in the week: those that did what their button says, and those refused (a second click, a lead since reassigned or closed, a click by someone else), by the answer given" }
                }
                dt { "Assignment coverage" } dd { "ready leads (a decision found them ready) with an owner in the ledger \u{f7} ready leads" }
                dt { "First touch p50 / p90" } dd { "first sales touch \u{2212} handoff, touched handoffs only, nearest rank" }
                dt { "SLA compliance" } dd { "touched before due \u{f7} handoffs with an SLA that were touched or are past due (untouched and not yet due: pending)" }
                dt { "Escalations, reassignments" } dd { "sums over the week's handoffs" }
                dt { "Pipeline per accepted lead" } dd { "deal amounts of accepted handoffs \u{f7} accepted handoffs with a deal amount" }
                dt { "Marketing-sourced pipeline" } dd { "the sum of those deal amounts: leads marketing handed to sales through handoff, by source" }
                dt { "Weeks" } dd { "ISO weeks, Monday 00:00 to Monday 00:00 in the portal's time zone" }
            }
        }
    }
}
