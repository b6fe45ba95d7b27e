//! The page's tables: the reviewed week's KPIs by source, tier, team and owner, and its
//! routing health (pool fairness with a chart, unassigned leads, reassignments and who
//! missed, SLA misses per rep, loops not closed). Owners read as `101 (Jonas Becker)`.

use maud::{Markup, html};

use super::chart::{self, Bar, PALETTE};
use super::metric::{self, Unit};
use super::model::{Review, Segment};
use super::routing::{FEW_PICKS, PoolHealth, Routing};
use crate::engine::Roster;
use crate::report::board::GroupBy;
use crate::report::kpi::Kpis;
use crate::report::owner_label;
use crate::report::render::{human_ms, time};

fn pct(v: Option<f64>) -> String {
    metric::format(Unit::Percent, v)
}

fn wait(ms: Option<i64>) -> String {
    ms.map(human_ms).unwrap_or_else(|| "n/a".into())
}

/// One table per grouping.
pub fn segments(review: &Review, roster: &Roster) -> Markup {
    let label = review.current().map_or("", |w| w.week.label.as_str());
    html! {
        @for s in &review.segments {
            (segment(s, label, roster))
        }
    }
}

fn segment(s: &Segment, week: &str, roster: &Roster) -> Markup {
    let by = s.by.as_str();
    html! {
        div.block data-table=(format!("by-{by}")) {
            h3 { "By " (by) }
            @if s.groups.is_empty() {
                p.empty { "No handoff or ready lead in " (week) " to split by " (by) "." }
            } @else {
                div.scroll {
                    table.data.wide {
                        thead { tr {
                            th { (by) } th.num { "Handoffs" } th.num { "Acceptance" } th.num { "Coverage" }
                            th.num { "First touch p50" } th.num { "p90" } th.num { "SLA compliance" }
                            th.num { "Escalations" } th.num { "Reassignments" }
                            th.num { "Accepted" } th.num { "Nurture" } th.num { "Disqualified" }
                            th.num { "Pipeline / accepted" }
                        } }
                        tbody {
                            @for g in &s.groups {
                                @let name = if s.by == GroupBy::Owner { owner_label(roster, &g.key) } else { g.key.clone() };
                                (row(&name, &g.kpis))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn row(name: &str, k: &Kpis) -> Markup {
    let disposed = |d: &str| {
        k.dispositions
            .iter()
            .find(|x| x.disposition == d)
            .map_or(0, |x| x.count)
    };
    let deals: u64 = k.pipeline.iter().map(|p| p.deals).sum();
    let sum: f64 = k.pipeline.iter().map(|p| p.sum).sum();
    let per = (deals > 0).then(|| sum / deals as f64);
    html! {
        tr {
            td { (name) }
            td.num { (k.handoffs) }
            td.num title=(format!("{} of {}", k.acceptance.num, k.acceptance.den)) { (pct(k.acceptance.value)) }
            td.num title=(format!("{} of {}", k.coverage.num, k.coverage.den)) { (pct(k.coverage.value)) }
            td.num { (wait(k.first_touch.p50_ms)) }
            td.num { (wait(k.first_touch.p90_ms)) }
            td.num title=(format!("{} met of {}", k.sla.met, k.sla.compliance.den)) { (pct(k.sla.compliance.value)) }
            td.num { (k.escalations) }
            td.num { (k.reassignments) }
            td.num { (disposed("accepted")) }
            td.num { (disposed("nurture")) }
            td.num { (disposed("disqualified")) }
            td.num { (metric::format(Unit::Money, per)) }
        }
    }
}

/// Routing health: pools, unassigned leads, reassignments, SLA misses, loops not closed.
pub fn routing(review: &Review, roster: &Roster) -> Markup {
    let r = &review.routing;
    let week = review.current().map_or("", |w| w.week.label.as_str());
    html! {
        h3 { "Pools: assignments against weights" }
        p.note {
            "Each pool's round-robin picks in " (week) " against the share its weights give each "
            "member. Picks skip members who are unavailable, at capacity or who missed the lead "
            "before, so shares drift from weights; a large gap over many picks is worth a look."
        }
        @if r.pools.is_empty() {
            p.empty { "The playbook has no pools." }
        }
        @for p in &r.pools { (pool(p, roster)) }
        @for (name, n) in &r.retired_pools {
            p.note { "Pool " code { (name) } " is no longer in the playbook; it picked " (n) " owner(s) in " (week) "." }
        }
        (coverage(r, week))
        (misses(r, roster, week))
        (overdue(r, roster, review.now_ms))
    }
}

fn pool(p: &PoolHealth, roster: &Roster) -> Markup {
    let id = format!("pool-{}", p.name);
    let caption = format!(
        "Pool {} (team {}): share of picks against share of weight",
        p.name, p.team
    );
    let rows: Vec<Bar> = p
        .members
        .iter()
        .map(|m| Bar {
            label: owner_label(roster, &m.owner_id),
            value: m.share.unwrap_or(0.0),
            text: pct(m.share),
            mark: m.expected,
        })
        .collect();
    html! {
        figure.block data-figure=(id) data-pool=(p.name) {
            figcaption { (caption) }
            p.facts {
                (p.picks) " picks"
                @if let Some(next) = &p.fallback_pool { " · falls back to " code { (next) } }
                " · fallbacks: "
                @match p.fallbacks {
                    Some(n) => { span data-fallbacks=(n) { (n) } }
                    None => { span.na data-fallbacks="n/a" { "not recorded in this ledger" } }
                }
            }
            @if p.picks == 0 {
                p.empty { "The pool picked nobody this week." }
            } @else if p.picks < FEW_PICKS {
                p.note { "Only " (p.picks) " picks: too few for shares to say much about fairness." }
            }
            @if p.picks > 0 {
                div.pair {
                    div.plot {
                        (chart::bars(&id, &caption, &rows, PALETTE[0], Some(1.0)))
                        ul.legend { li { span.swatch style=(format!("background:{}", PALETTE[0])) {} "share of picks" } li { span.tick {} "share of weight" } }
                    }
                    (members(p, roster))
                }
            } @else {
                (members(p, roster))
            }
        }
    }
}

fn members(p: &PoolHealth, roster: &Roster) -> Markup {
    html! {
        table.data {
            thead { tr { th { "Owner" } th.num { "Weight" } th.num { "Expected" } th.num { "Picks" } th.num { "Share" } } }
            tbody {
                @for m in &p.members {
                    tr {
                        td { (owner_label(roster, &m.owner_id)) }
                        td.num { (m.weight.map_or("not a member".into(), |w| w.to_string())) }
                        td.num { (pct(m.expected)) }
                        td.num { (m.picks) }
                        td.num { (pct(m.share)) }
                    }
                }
            }
        }
    }
}

fn coverage(r: &Routing, week: &str) -> Markup {
    html! {
        div.block data-table="unassigned" {
            h3 { "Unassigned leads and reassignments" }
            table.data {
                tbody {
                    tr { th { "Ready leads in " (week) } td.num { (r.ready) } }
                    tr { th { "Without an owner in the ledger" } td.num data-unassigned=(r.unassigned) { (r.unassigned) } }
                    tr { th { "Reassignments after a missed SLA" } td.num { (r.reassignments) } }
                }
            }
        }
    }
}

fn misses(r: &Routing, roster: &Roster, week: &str) -> Markup {
    html! {
        div.block data-table="sla-misses" {
            h3 { "SLA misses per rep" }
            p.note {
                "Missed: handoffs of " (week) " the rep holds whose SLA was missed (touched late, or "
                "untouched past due). Lost: handoffs taken from the rep after it missed their SLA."
            }
            @if r.misses.is_empty() {
                p.empty { "No rep missed an SLA on a handoff of " (week) "." }
            } @else {
                table.data {
                    thead { tr { th { "Rep" } th.num { "Missed" } th.num { "Lost" } } }
                    tbody {
                        @for m in &r.misses {
                            tr { td { (owner_label(roster, &m.owner_id)) } td.num { (m.missed) } td.num { (m.lost) } }
                        }
                    }
                }
            }
        }
    }
}

fn overdue(r: &Routing, roster: &Roster, now_ms: i64) -> Markup {
    let total: i64 = r.overdue.iter().map(|o| o.handoffs).sum();
    html! {
        div.block data-table="close-loop" {
            h3 { "Loops not closed" }
            p.note {
                "Open handoffs of any week still without a disposition after "
                @match &r.close_loop_after {
                    Some(after) => { code { (after) } " (" code { "close_loop_after" } ")" }
                    None => { "their close-the-loop time" }
                }
                ", as of " (time(now_ms)) "."
            }
            @if r.close_loop_after.is_none() && total == 0 {
                p.empty { "The playbook sets no close_loop_after, so no disposition is ever overdue." }
            } @else if total == 0 {
                p.empty { "None: every handoff past its close-the-loop time has a disposition." }
            } @else {
                table.data {
                    thead { tr { th { "Owner" } th.num { "Handoffs" } th.num { "Oldest due" } } }
                    tbody {
                        @for o in &r.overdue {
                            tr { td { (owner_label(roster, o.owner_id)) } td.num { (o.handoffs) } td.num { (time(o.oldest_due_ms)) } }
                        }
                        tr.total { td { "All owners" } td.num data-overdue=(total) { (total) } td {} }
                    }
                }
            }
        }
    }
}
