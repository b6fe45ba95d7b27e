//! The page's scoreboard: one tile per KPI for the reviewed week with its change from the week
//! before, each KPI's 12-week trend as a chart with its numbers beside it, the disposition mix,
//! the disqualification and nurture reasons (Pareto) and the pipeline by source.

use maud::{Markup, html};

use super::chart::{self, Bar, PALETTE, Series};
use super::metric::{self, Metric, Unit};
use super::model::{Review, WeekFigures};

/// The KPI tiles of the reviewed week.
pub fn tiles(review: &Review) -> Markup {
    let Some(week) = review.current() else {
        return html! {};
    };
    let before = review.previous();
    html! {
        div.tiles {
            @for m in Metric::ALL {
                (tile(m, week, before))
            }
        }
        p.leads data-leads=(week.leads.total) { (leads_line(week)) }
    }
}

fn tile(m: Metric, week: &WeekFigures, before: Option<&WeekFigures>) -> Markup {
    let now = m.value(week);
    let was = before.and_then(|b| m.value(b));
    let change = metric::change(m.unit(), now, was);
    let tone = match (change.as_ref().map(|c| c.0), m.higher_is_better()) {
        (Some(d), Some(up)) if d != 0.0 => {
            if (d > 0.0) == up {
                "good"
            } else {
                "bad"
            }
        }
        _ => "flat",
    };
    let arrow = match change.as_ref().map(|c| c.0) {
        Some(d) if d > 0.0 => "\u{25b2} ",
        Some(d) if d < 0.0 => "\u{25bc} ",
        _ => "",
    };
    html! {
        div.tile data-metric=(m.id()) {
            div.label { (m.label()) }
            div.value { (metric::format(m.unit(), now)) }
            @match (&change, before) {
                (Some((_, text)), Some(b)) => {
                    div.change.(tone) { (arrow) (text) " vs " (b.week.label) }
                }
                (None, Some(b)) => { div.change.flat { "vs " (b.week.label) ": n/a" } }
                (_, None) => { div.change.flat { "no earlier week" } }
            }
            div.detail { (m.detail(week)) }
        }
    }
}

fn leads_line(w: &WeekFigures) -> String {
    if w.leads.total == 0 {
        return format!("No lead was decided in {}.", w.week.label);
    }
    let parts: Vec<String> = w
        .leads
        .by_outcome
        .iter()
        .map(|(outcome, n)| format!("{} {n}", outcome.replace('_', " ")))
        .collect();
    format!(
        "{} leads decided in {} ({}; {} decisions); {} handoffs ({} open, {} closed; {} merged, not counted).",
        w.leads.total,
        w.week.label,
        parts.join(", "),
        w.leads.decisions,
        w.kpis.handoffs,
        w.kpis.open,
        w.kpis.closed,
        w.kpis.merged
    )
}

/// The weeks' labels, oldest first.
pub fn labels(review: &Review) -> Vec<String> {
    review.weeks.iter().map(|w| w.week.label.clone()).collect()
}

struct Trend {
    id: &'static str,
    title: &'static str,
    metrics: &'static [Metric],
    top: Option<f64>,
}

const TRENDS: [Trend; 8] = [
    Trend {
        id: "trend-acceptance",
        title: "Lead acceptance",
        metrics: &[Metric::Acceptance],
        top: Some(1.0),
    },
    Trend {
        id: "trend-accept",
        title: "Time to accept",
        metrics: &[Metric::AcceptP50, Metric::AcceptP90],
        top: None,
    },
    Trend {
        id: "trend-coverage",
        title: "Assignment coverage",
        metrics: &[Metric::Coverage],
        top: Some(1.0),
    },
    Trend {
        id: "trend-sla",
        title: "SLA compliance",
        metrics: &[Metric::SlaCompliance],
        top: Some(1.0),
    },
    Trend {
        id: "trend-touch",
        title: "Time to first touch",
        metrics: &[Metric::TouchP50, Metric::TouchP90],
        top: None,
    },
    Trend {
        id: "trend-volume",
        title: "Handoffs, escalations and reassignments",
        metrics: &[Metric::Handoffs, Metric::Escalations, Metric::Reassignments],
        top: None,
    },
    Trend {
        id: "trend-pipeline-per-accepted",
        title: "Pipeline per accepted lead",
        metrics: &[Metric::PipelinePerAccepted],
        top: None,
    },
    Trend {
        id: "trend-marketing-pipeline",
        title: "Marketing-sourced pipeline",
        metrics: &[Metric::MarketingPipeline],
        top: None,
    },
];

const DASHES: [&str; 3] = ["", "6 3", "2 3"];

/// Every KPI's trend over the review's weeks.
pub fn trends(review: &Review) -> Markup {
    let labels = labels(review);
    html! {
        div.figures {
            @for t in &TRENDS {
                (trend(review, &labels, t))
            }
        }
    }
}

fn trend(review: &Review, labels: &[String], t: &Trend) -> Markup {
    let unit = t.metrics[0].unit();
    let series: Vec<Series<'_>> = t
        .metrics
        .iter()
        .enumerate()
        .map(|(k, m)| Series {
            name: m.label(),
            color: PALETTE[k % PALETTE.len()],
            dash: DASHES[k % DASHES.len()],
            values: review.weeks.iter().map(|w| m.value(w)).collect(),
        })
        .collect();
    let fmt = move |v: f64| metric::format(unit, Some(v));
    // Counts are never missing, only zero: a flat line at zero over weeks with no handoff at
    // all would draw an empty trend as if it were data.
    let drawable = chart::has_points(&series)
        && (unit != Unit::Count
            || series
                .iter()
                .flat_map(|s| s.values.iter().flatten())
                .any(|v| *v > 0.0));
    let top = axis_top(unit, &series, t.top);
    let caption = format!(
        "{} by week, {} weeks to {}",
        t.title,
        labels.len(),
        labels.last().map_or("", String::as_str)
    );
    html! {
        figure.block data-figure=(t.id) {
            figcaption { (caption) }
            div.pair {
                div.plot {
                    @if drawable {
                        (chart::lines(t.id, &caption, labels, &series, top, &fmt))
                        @if series.len() > 1 { (legend(&series)) }
                    } @else {
                        p.empty { "No " (t.title.to_lowercase()) " in these " (labels.len()) " weeks: nothing to draw." }
                    }
                }
                (trend_table(review, t.metrics))
            }
        }
    }
}

/// The axis top of a trend: shares end at 100%, waits at a round wait, counts fit the data.
fn axis_top(unit: Unit, series: &[Series<'_>], fixed: Option<f64>) -> Option<f64> {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0, |a: f64, b| a.max(*b));
    match unit {
        Unit::Duration => Some(chart::nice_duration_max(max)),
        _ => fixed,
    }
}

/// The numbers of a trend, newest week first.
fn trend_table(review: &Review, metrics: &[Metric]) -> Markup {
    html! {
        table.data {
            thead { tr { th { "Week" } @for m in metrics { th.num { (m.label()) } } } }
            tbody {
                @for w in review.weeks.iter().rev() {
                    tr {
                        td { (w.week.label) }
                        @for m in metrics {
                            td.num title=(m.detail(w)) { (metric::format(m.unit(), m.value(w))) }
                        }
                    }
                }
            }
        }
    }
}

fn legend(series: &[Series<'_>]) -> Markup {
    html! {
        ul.legend {
            @for s in series {
                li { span.swatch style=(format!("background:{}", s.color)) {} (s.name) }
            }
        }
    }
}

/// Disposition outcomes in funnel order, with their colours.
const OUTCOMES: [(&str, &str); 4] = [
    ("accepted", PALETTE[2]),
    ("nurture", PALETTE[3]),
    ("disqualified", PALETTE[1]),
    ("other", PALETTE[4]),
];

fn mix(w: &WeekFigures) -> Vec<u64> {
    let mut counts = vec![0; OUTCOMES.len()];
    for d in &w.kpis.dispositions {
        let k = OUTCOMES
            .iter()
            .position(|(o, _)| *o == d.disposition)
            .unwrap_or(OUTCOMES.len() - 1);
        counts[k] += d.count;
    }
    counts
}

/// The disposition mix of every week, stacked.
pub fn dispositions(review: &Review) -> Markup {
    let labels = labels(review);
    let counts: Vec<Vec<u64>> = review.weeks.iter().map(mix).collect();
    let any = counts.iter().flatten().any(|c| *c > 0);
    let reviewed = counts.last().map(|c| c.iter().sum::<u64>()).unwrap_or(0);
    let caption = "Disposition mix by week (handoffs made that week, by what sales said)";
    html! {
        figure.block data-figure="dispositions" {
            figcaption { (caption) }
            @if reviewed == 0 {
                p.note { "No handoff made in " (labels.last().map_or("the reviewed week", String::as_str)) " has a disposition yet." }
            }
            div.pair {
                div.plot {
                    @if any {
                        (chart::stacked("dispositions", caption, &labels, &OUTCOMES, &counts))
                        ul.legend { @for (name, color) in OUTCOMES { li { span.swatch style=(format!("background:{color}")) {} (name) } } }
                    } @else {
                        p.empty { "No disposition recorded in these weeks: there is no mix to draw." }
                    }
                }
                table.data {
                    thead { tr { th { "Week" } @for (name, _) in OUTCOMES { th.num { (name) } } } }
                    tbody {
                        @for (w, c) in review.weeks.iter().zip(&counts).rev() {
                            tr { td { (w.week.label) } @for n in c { td.num { (n) } } }
                        }
                    }
                }
            }
        }
    }
}

/// The reviewed week's disqualification and nurture reasons, most frequent first.
pub fn reasons(review: &Review) -> Markup {
    let label = review.current().map_or("", |w| w.week.label.as_str());
    let caption = format!("Disqualification and nurture reasons, {label} (Pareto)");
    let rows: Vec<Bar> = review
        .reasons
        .iter()
        .map(|r| Bar {
            label: format!("{} ({})", r.reason, r.outcome),
            value: r.count as f64,
            text: format!("{} \u{b7} {:.0}%", r.count, r.cumulative * 100.0),
            mark: None,
        })
        .collect();
    html! {
        figure.block data-figure="reasons" {
            figcaption { (caption) }
            @if rows.is_empty() {
                p.empty { "No disqualification or nurture reason in " (label) ": no handoff of the week was disqualified or nurtured." }
            } @else {
                div.pair {
                    div.plot { (chart::bars("reasons", &caption, &rows, PALETTE[1], None)) }
                    table.data {
                        thead { tr { th { "Reason" } th { "Outcome" } th.num { "Handoffs" } th.num { "Cumulative" } } }
                        tbody {
                            @for r in &review.reasons {
                                tr { td { (r.reason) } td { (r.outcome) } td.num { (r.count) } td.num { (format!("{:.1}%", r.cumulative * 100.0)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The reviewed week's marketing-sourced pipeline by source, with what the term means here.
pub fn pipeline(review: &Review) -> Markup {
    let Some(w) = review.current() else {
        return html! {};
    };
    let caption = format!("Marketing-sourced pipeline by source, {}", w.week.label);
    let rows: Vec<Bar> = w
        .kpis
        .pipeline
        .iter()
        .map(|p| Bar {
            label: p.source.clone(),
            value: p.sum,
            text: metric::format(Unit::Money, Some(p.sum)),
            mark: None,
        })
        .collect();
    html! {
        figure.block data-figure="pipeline" {
            figcaption { (caption) }
            p.note {
                "Marketing-sourced pipeline is the sum of the deal amounts of accepted handoffs: leads "
                "marketing handed to sales through handoff, by the source recorded at handoff "
                "(" code { "pipeline.source_property" } ", HubSpot's original source by default). "
                "Pipeline per accepted lead divides it by the accepted handoffs that have a deal amount."
            }
            @if rows.is_empty() {
                p.empty { "No accepted handoff of " (w.week.label) " has a deal amount yet." }
            } @else {
                div.pair {
                    div.plot { (chart::bars("pipeline", &caption, &rows, PALETTE[0], None)) }
                    table.data {
                        thead { tr { th { "Source" } th.num { "Deals" } th.num { "Pipeline" } th.num { "Per accepted lead" } } }
                        tbody {
                            @for p in &w.kpis.pipeline {
                                tr { td { (p.source) } td.num { (p.deals) } td.num { (metric::format(Unit::Money, Some(p.sum))) } td.num { (metric::format(Unit::Money, Some(p.mean))) } }
                            }
                            tr.total { td { "All sources" } td.num { (w.pipeline.deals) } td.num { (metric::format(Unit::Money, Some(w.pipeline.sum))) } td.num { (metric::format(Unit::Money, w.pipeline.per_accepted)) } }
                        }
                    }
                }
            }
        }
    }
}
