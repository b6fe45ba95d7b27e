//! The tuning report as text (`handoff tune --format table`), JSON (`--format json`: the
//! [`Tuning`] as computed, rates as fractions of 1, `null` where there is nothing to divide
//! by) and HTML (`--format html`, and the weekly review's tuning section: maud, as the page).

use std::fmt::Write as _;

use maud::{Markup, html};

use super::{Judged, MIN_SAMPLE, Outcomes, RouteRow, SegmentRow, Tuning};
use crate::report::human_ms;

/// `75.0% (53.1–88.8%, 15 of 20)`, or why there is no rate.
pub fn judged(j: &Judged) -> String {
    match j {
        Judged::Rate {
            rate,
            low,
            high,
            successes,
            n,
        } => format!(
            "{:.1}% ({:.1}\u{2013}{:.1}%, {successes} of {n})",
            rate * 100.0,
            low * 100.0,
            high * 100.0
        ),
        Judged::TooFew { n } => {
            format!("too few to judge ({n} with a disposition, < {MIN_SAMPLE})")
        }
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{:.1}%", v * 100.0))
}

fn money(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.0}"))
}

fn lift(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.2}\u{d7}"))
}

fn outcome_cells(o: &Outcomes) -> [String; 5] {
    [
        o.leads.to_string(),
        judged(&o.acceptance()),
        pct(o.disqualification()),
        money(o.pipeline_per_accepted()),
        o.handed_off.to_string(),
    ]
}

/// The report as aligned text.
pub fn table(t: &Tuning, period: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Tuning report, last {period}: {} leads with decision facts{}",
        t.leads,
        if t.not_recorded > 0 {
            format!(
                " ({} more decided before facts were recorded: left out)",
                t.not_recorded
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "Acceptance = accepted / handed-off leads with a disposition; 95% Wilson interval; \
         judged from {MIN_SAMPLE} leads with a disposition.\n"
    );
    let _ = writeln!(out, "Scoring rules (matched vs not matched)");
    for r in &t.rules {
        let [n, acc, dq, pipe, _] = outcome_cells(&r.matched);
        let _ = writeln!(
            out,
            "  {:<24} matched {n:>5}  acceptance {acc}  disqualified {dq}  pipeline/accepted {pipe}",
            r.rule
        );
        let _ = writeln!(
            out,
            "  {:<24} not     {:>5}  acceptance {}  lift {}",
            "",
            r.unmatched.leads,
            judged(&r.unmatched.acceptance()),
            lift(r.lift)
        );
    }
    for (title, rows) in [
        ("Sources", &t.sources),
        ("Tiers", &t.tiers),
        ("Buying roles", &t.buying_roles),
    ] {
        segment_text(&mut out, title, rows);
    }
    let _ = writeln!(
        out,
        "\nThreshold sweep (playbook: {}; leads scoring at least it, not disqualified; acceptance \
         only among leads that were handed off)",
        t.threshold
    );
    for s in &t.sweep {
        let _ = writeln!(
            out,
            "  {}{:>4}  would hand off {:>5}  handed off {:>5}  acceptance {}  pipeline {}",
            if s.current { "*" } else { " " },
            s.threshold,
            s.would_hand_off,
            s.outcomes.handed_off,
            judged(&s.outcomes.acceptance()),
            money(Some(s.outcomes.pipeline))
        );
    }
    route_text(&mut out, "Pools", &t.pools);
    route_text(&mut out, "Owners", &t.owners);
    out
}

fn segment_text(out: &mut String, title: &str, rows: &[SegmentRow]) {
    let _ = writeln!(out, "\n{title}");
    if rows.is_empty() {
        let _ = writeln!(out, "  no leads");
    }
    for s in rows {
        let [n, acc, dq, pipe, _] = outcome_cells(&s.outcomes);
        let _ = writeln!(
            out,
            "  {:<24} leads {n:>5}  acceptance {acc}  disqualified {dq}  pipeline/accepted {pipe}",
            s.value
        );
    }
}

fn route_text(out: &mut String, title: &str, rows: &[RouteRow]) {
    let _ = writeln!(out, "\n{title}");
    if rows.is_empty() {
        let _ = writeln!(out, "  no handed-off leads");
    }
    for r in rows {
        let _ = writeln!(
            out,
            "  {:<24} handed off {:>5}  acceptance {}  first touch p50 {} ({} touched)",
            r.name,
            r.outcomes.handed_off,
            judged(&r.outcomes.acceptance()),
            r.touch_p50_ms
                .map_or_else(|| "no touches yet".into(), human_ms),
            r.touched
        );
    }
}

/// The report as an HTML section (the review's last section; `--format html` wraps it).
pub fn section(t: &Tuning) -> Markup {
    html! {
        div.tuning data-tuning=(t.leads) {
            p { (t.leads) " leads with decision facts"
                @if t.not_recorded > 0 { "; " (t.not_recorded) " decided before facts were recorded are left out" }
                ". Acceptance: accepted ÷ handed-off leads with a disposition, with a 95% Wilson interval, judged from "
                (MIN_SAMPLE) " leads with a disposition." }
            h3 { "Scoring rules" }
            table data-table="tune-rules" {
                thead { tr { th { "rule" } th { "matched" } th { "acceptance" } th { "disqualified" }
                    th { "pipeline / accepted" } th { "not matched: acceptance" } th { "lift" } } }
                tbody { @for r in &t.rules { tr data-rule=(r.rule) {
                    td { code { (r.rule) } } td.num { (r.matched.leads) }
                    td { (judged(&r.matched.acceptance())) } td.num { (pct(r.matched.disqualification())) }
                    td.num { (money(r.matched.pipeline_per_accepted())) }
                    td { (judged(&r.unmatched.acceptance())) } td.num { (lift(r.lift)) }
                } } }
            }
            (segments_html("Sources", "tune-sources", &t.sources))
            (segments_html("Tiers", "tune-tiers", &t.tiers))
            (segments_html("Buying roles", "tune-roles", &t.buying_roles))
            h3 { "Threshold sweep" }
            p { "Leads scoring at least each threshold (not disqualified); acceptance only among leads that were handed off — a lower threshold's extra leads have no disposition." }
            table data-table="tune-sweep" {
                thead { tr { th { "threshold" } th { "would hand off" } th { "handed off" } th { "acceptance" } th { "pipeline" } } }
                tbody { @for s in &t.sweep { tr data-threshold=(s.threshold) {
                    td.num { (s.threshold) @if s.current { " (playbook)" } } td.num { (s.would_hand_off) }
                    td.num { (s.outcomes.handed_off) } td { (judged(&s.outcomes.acceptance())) }
                    td.num { (money(Some(s.outcomes.pipeline))) }
                } } }
            }
            (routes_html("Pools", "tune-pools", &t.pools))
            (routes_html("Owners", "tune-owners", &t.owners))
        }
    }
}

fn segments_html(title: &str, id: &str, rows: &[SegmentRow]) -> Markup {
    html! {
        h3 { (title) }
        @if rows.is_empty() { p.empty { "No leads." } } @else {
            table data-table=(id) {
                thead { tr { th { "value" } th { "leads" } th { "acceptance" } th { "disqualified" } th { "pipeline / accepted" } } }
                tbody { @for s in rows { tr { td { (s.value) } td.num { (s.outcomes.leads) }
                    td { (judged(&s.outcomes.acceptance())) } td.num { (pct(s.outcomes.disqualification())) }
                    td.num { (money(s.outcomes.pipeline_per_accepted())) } } } }
            }
        }
    }
}

fn routes_html(title: &str, id: &str, rows: &[RouteRow]) -> Markup {
    html! {
        h3 { (title) }
        @if rows.is_empty() { p.empty { "No handed-off leads." } } @else {
            table data-table=(id) {
                thead { tr { th { "name" } th { "handed off" } th { "acceptance" } th { "first touch p50" } th { "touched" } } }
                tbody { @for r in rows { tr { td { (r.name) } td.num { (r.outcomes.handed_off) }
                    td { (judged(&r.outcomes.acceptance())) }
                    td.num { (r.touch_p50_ms.map_or_else(|| "no touches yet".into(), human_ms)) }
                    td.num { (r.touched) } } } }
            }
        }
    }
}

/// `--format html`: the section as a page of its own.
pub fn page(t: &Tuning, period: &str) -> String {
    html! {
        (maud::DOCTYPE)
        html lang="en" { head { meta charset="utf-8"; title { "Tuning report, last " (period) } }
            body { h1 { "Tuning report, last " (period) } (section(t)) } }
    }
    .into_string()
}
