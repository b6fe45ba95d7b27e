//! The page's Slack section (issue #18), only for a portal that uses Slack alerts: the reviewed
//! week's alerts (sent, failed and why, pending) and what their buttons did, and which channel
//! accepted the accepted handoffs, week by week.

use maud::{Markup, html};

use super::metric::thousands;
use super::model::Review;
use crate::report::Ratio;
use crate::report::render::percent;
use crate::report::slack::{CodeCount, SlackAlerts};

/// The section, or nothing where the portal never used Slack alerts.
pub fn section(review: &Review) -> Markup {
    let (Some(slack), Some(w)) = (&review.slack, review.current()) else {
        return html! {};
    };
    let week = w.week.label.as_str();
    html! {
        section #slack {
            h2 { "Alerts in Slack, " (week) }
            p.note {
                "Alerts are counted in the week they were created, clicks in the week they arrived. "
                "A refused click was answered in Slack and changed nothing."
            }
            div.pair {
                (alerts(slack, week))
                (channels(review))
            }
        }
    }
}

fn alerts(s: &SlackAlerts, week: &str) -> Markup {
    html! {
        figure.block data-figure="slack-alerts" {
            figcaption { "Alerts and clicks, " (week) }
            table.data data-table="slack-alerts" {
                tbody {
                    (row("Alerts sent", "sent", s.alerts_sent))
                    (row("Alerts failed", "failed", s.alerts_failed))
                    (reasons("failed", &s.failed_by_reason))
                    (row("Alerts pending", "pending", s.alerts_pending))
                    (row("Accept clicks", "accept", s.accept_clicks))
                    (row("Not a fit clicks", "not-a-fit", s.not_a_fit_clicks))
                    (row("Reassign clicks", "reassign", s.reassign_clicks))
                    (row("Clicks refused", "refused", s.clicks_refused))
                    (reasons("refused", &s.refused_by_outcome))
                    @if s.clicks_unapplied > 0 {
                        (row("Clicks not applied yet", "unapplied", s.clicks_unapplied))
                    }
                }
            }
        }
    }
}

fn row(label: &str, id: &str, n: u64) -> Markup {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    html! { tr data-slack=(id) { th { (label) } td.num { (thousands(n)) } } }
}

/// One row per reason or outcome, indented under its total.
fn reasons(of: &str, counts: &[CodeCount]) -> Markup {
    html! {
        @for c in counts {
            tr data-slack-reason=(of) {
                td { "\u{2003}" code { (c.code) } }
                td.num { (thousands(i64::try_from(c.count).unwrap_or(i64::MAX))) }
            }
        }
    }
}

/// Accepted handoffs by channel, newest week first.
fn channels(review: &Review) -> Markup {
    let cell = |r: &Ratio| format!("{} ({})", r.num, percent(r));
    html! {
        figure.block data-figure="accepted-via" {
            figcaption { "Accepted handoffs by channel" }
            table.data data-table="accepted-via" {
                thead { tr { th { "Week" } th.num { "Accepted" } th.num { "Slack button" } th.num { "HubSpot status" } } }
                tbody {
                    @for w in review.weeks.iter().rev() {
                        @if let Some(via) = &w.kpis.accepted_via {
                            tr {
                                td { (w.week.label) }
                                td.num { (via.slack.den) }
                                td.num { (cell(&via.slack)) }
                                td.num { (cell(&via.hubspot)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "slack_tests.rs"]
mod tests;
