//! Charts as inline SVG, drawn on the server so the page reads with JavaScript off, offline and
//! on paper. Hand-written with maud rather than a charting crate: three shapes (lines over
//! weeks, stacked columns, horizontal bars) in about 300 lines, no fonts or files to ship.
//! Colours are the Okabe–Ito palette (distinguishable with every common colour-vision
//! deficiency); every series also differs by marker or dash, never by colour alone. Every
//! point carries `data-value` and a `<title>` tooltip; the caller puts the numbers in a table
//! beside the chart. A chart with nothing to draw is not drawn: the caller says so in words.

use maud::{Markup, html};

/// Okabe–Ito: blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow.
pub const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442",
];

const W: f64 = 520.0;
const H: f64 = 210.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;

/// One line: its name, colour, dash pattern and a value (or a gap) per week.
pub struct Series<'a> {
    pub name: &'a str,
    pub color: &'a str,
    /// SVG `stroke-dasharray`, e.g. `"6 3"`; empty for a solid line.
    pub dash: &'a str,
    pub values: Vec<Option<f64>>,
}

/// How the axis and the tooltips write a value.
pub type Fmt<'a> = &'a dyn Fn(f64) -> String;

/// A top for a count or amount axis whose quarters are whole, round numbers: four times the
/// smallest 1, 2 or 5 times a power of ten (at least 1) that reaches a quarter of `max`.
pub fn nice_quarters(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 4.0;
    }
    let quarter = max / 4.0;
    let power = 10f64.powf(quarter.log10().floor()).max(1.0);
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|step| *step >= quarter)
        .unwrap_or(10.0 * power);
    4.0 * step
}

/// A rounded top for a time axis in milliseconds whose quarters are round too (15m, 1h, 6h).
pub fn nice_duration_max(max_ms: f64) -> f64 {
    const S: f64 = 1_000.0;
    const M: f64 = 60.0 * S;
    const HR: f64 = 60.0 * M;
    const D: f64 = 24.0 * HR;
    let steps = [
        4.0 * S,
        8.0 * S,
        20.0 * S,
        40.0 * S,
        M,
        2.0 * M,
        4.0 * M,
        8.0 * M,
        20.0 * M,
        40.0 * M,
        HR,
        2.0 * HR,
        4.0 * HR,
        8.0 * HR,
        12.0 * HR,
        D,
        2.0 * D,
        4.0 * D,
        8.0 * D,
        20.0 * D,
        40.0 * D,
    ];
    if !(max_ms.is_finite() && max_ms > 0.0) {
        return steps[0];
    }
    steps
        .into_iter()
        .find(|top| *top >= max_ms)
        .unwrap_or_else(|| nice_quarters(max_ms / D) * D)
}

fn n(v: f64) -> String {
    format!("{v:.1}")
}

fn x_of(i: usize, count: usize) -> f64 {
    let span = W - LEFT - RIGHT;
    if count <= 1 {
        LEFT + span / 2.0
    } else {
        LEFT + span * i as f64 / (count - 1) as f64
    }
}

/// Whether any series has a value to draw.
pub fn has_points(series: &[Series<'_>]) -> bool {
    series.iter().any(|s| s.values.iter().any(Option::is_some))
}

/// Lines over weeks (`labels`, oldest first). `top`: the axis maximum (e.g. 1.0 for shares),
/// or `None` to fit the data. Consecutive values are joined; a week without a value breaks
/// the line, and a lone value is a marker only.
pub fn lines(
    id: &str,
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    top: Option<f64>,
    fmt: Fmt<'_>,
) -> Markup {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .fold(0.0, f64::max);
    let top = top.unwrap_or_else(|| nice_quarters(max));
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v / top).clamp(0.0, 1.0));
    let count = labels.len();
    html! {
        svg.chart viewBox=(format!("0 0 {W} {H}")) role="img" aria-labelledby=(format!("{id}-t"))
            data-chart=(id) {
            title id=(format!("{id}-t")) { (title) }
            (grid(top, &y, fmt))
            @for (i, label) in labels.iter().enumerate() {
                @if count <= 13 || i % 2 == (count - 1) % 2 {
                    text.axis x=(n(x_of(i, count))) y=(n(H - 10.0)) text-anchor="middle" {
                        (label.rsplit('-').next().unwrap_or(label))
                    }
                }
            }
            @for (k, s) in series.iter().enumerate() {
                @for run in runs(&s.values) {
                    @if run.len() > 1 {
                        polyline.line points=(run.iter().map(|&(i, v)| format!("{},{}", n(x_of(i, count)), n(y(v)))).collect::<Vec<_>>().join(" "))
                            fill="none" stroke=(s.color) stroke-width="2.2" stroke-dasharray=(s.dash) {}
                    }
                }
                @for (i, v) in s.values.iter().enumerate() {
                    @if let Some(v) = v {
                        (marker(k, x_of(i, count), y(*v), s.color, html! {
                            title { (labels.get(i).map_or("", String::as_str)) " · " (s.name) ": " (fmt(*v)) }
                        }, *v))
                    }
                }
            }
        }
    }
}

/// Stretches of consecutive weeks with a value: `(week index, value)`.
fn runs(values: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) if v.is_finite() => current.push((i, *v)),
            _ if !current.is_empty() => out.push(std::mem::take(&mut current)),
            _ => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Series `k`'s marker: a circle, square, diamond or triangle, so lines differ by shape too.
fn marker(k: usize, x: f64, y: f64, color: &str, tip: Markup, v: f64) -> Markup {
    let value = format!("{v}");
    match k % 4 {
        0 => {
            html! { circle.point cx=(n(x)) cy=(n(y)) r="3.6" fill=(color) data-value=(value) { (tip) } }
        }
        1 => {
            html! { rect.point x=(n(x - 3.4)) y=(n(y - 3.4)) width="6.8" height="6.8" fill=(color) data-value=(value) { (tip) } }
        }
        2 => {
            html! { polygon.point points=(format!("{},{} {},{} {},{} {},{}", n(x), n(y - 4.6), n(x + 4.6), n(y), n(x), n(y + 4.6), n(x - 4.6), n(y))) fill=(color) data-value=(value) { (tip) } }
        }
        _ => {
            html! { polygon.point points=(format!("{},{} {},{} {},{}", n(x), n(y - 4.6), n(x + 4.4), n(y + 3.6), n(x - 4.4), n(y + 3.6))) fill=(color) data-value=(value) { (tip) } }
        }
    }
}

/// Horizontal grid lines at 0, ¼, ½, ¾ and the top, labelled on the left.
fn grid(top: f64, y: &dyn Fn(f64) -> f64, fmt: Fmt<'_>) -> Markup {
    html! {
        @for step in 0..=4 {
            @let v = top * f64::from(step) / 4.0;
            line.grid x1=(n(LEFT)) x2=(n(W - RIGHT)) y1=(n(y(v))) y2=(n(y(v))) {}
            text.axis x=(n(LEFT - 6.0)) y=(n(y(v) + 4.0)) text-anchor="end" { (fmt(v)) }
        }
    }
}

/// One column per week, stacked by part (`parts`: name and colour; `counts[week][part]`).
/// A week without any count has no column.
pub fn stacked(
    id: &str,
    title: &str,
    labels: &[String],
    parts: &[(&str, &str)],
    counts: &[Vec<u64>],
) -> Markup {
    let max = counts
        .iter()
        .map(|c| c.iter().sum::<u64>())
        .max()
        .unwrap_or(0);
    let top = nice_quarters(max as f64);
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v / top).clamp(0.0, 1.0));
    let count = labels.len();
    let slot = (W - LEFT - RIGHT) / count.max(1) as f64;
    let bar = (slot * 0.62).min(34.0);
    let fmt = |v: f64| crate::report::review::metric::thousands(v.round() as i64);
    html! {
        svg.chart viewBox=(format!("0 0 {W} {H}")) role="img" aria-labelledby=(format!("{id}-t"))
            data-chart=(id) {
            title id=(format!("{id}-t")) { (title) }
            (grid(top, &y, &fmt))
            @for (i, label) in labels.iter().enumerate() {
                @let cx = LEFT + slot * (i as f64 + 0.5);
                @if count <= 13 || i % 2 == (count - 1) % 2 {
                    text.axis x=(n(cx)) y=(n(H - 10.0)) text-anchor="middle" {
                        (label.rsplit('-').next().unwrap_or(label))
                    }
                }
                @for (k, below, c) in stack(counts.get(i).map_or(&[][..], Vec::as_slice)) {
                    @let (name, color) = parts.get(k).copied().unwrap_or(("", PALETTE[0]));
                    rect.point x=(n(cx - bar / 2.0)) y=(n(y((below + c) as f64)))
                        width=(n(bar)) height=(n(y(below as f64) - y((below + c) as f64)))
                        fill=(color) data-value=(c) {
                        title { (label) " · " (name) ": " (c) }
                    }
                }
            }
        }
    }
}

/// The parts of one column with a count: `(part, count below it, count)`.
fn stack(counts: &[u64]) -> Vec<(usize, u64, u64)> {
    let mut below = 0;
    let mut out = Vec::new();
    for (k, &c) in counts.iter().enumerate() {
        if c > 0 {
            out.push((k, below, c));
        }
        below += c;
    }
    out
}

/// One horizontal bar of [`bars`].
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Written at the bar's end.
    pub text: String,
    /// A target drawn as a tick across the bar (e.g. the share a weight gives), same scale.
    pub mark: Option<f64>,
}

/// One horizontal bar per row, scaled to `top` (or the largest value).
pub fn bars(id: &str, title: &str, rows: &[Bar], color: &str, top: Option<f64>) -> Markup {
    let max = rows
        .iter()
        .map(|r| r.value.max(r.mark.unwrap_or(0.0)))
        .fold(0.0, f64::max);
    let top = top.unwrap_or(max).max(f64::MIN_POSITIVE);
    let label_w = 176.0;
    let row_h = 24.0;
    let height = TOP + row_h * rows.len() as f64 + 6.0;
    let span = W - label_w - 72.0;
    let x = |v: f64| label_w + span * (v / top).clamp(0.0, 1.0);
    html! {
        svg.chart viewBox=(format!("0 0 {W} {}", n(height))) role="img"
            aria-labelledby=(format!("{id}-t")) data-chart=(id) {
            title id=(format!("{id}-t")) { (title) }
            @for (i, r) in rows.iter().enumerate() {
                @let y = TOP + row_h * i as f64;
                @let w = (x(r.value) - label_w).max(if r.value > 0.0 { 1.5 } else { 0.0 });
                text.axis x=(n(label_w - 8.0)) y=(n(y + 15.0)) text-anchor="end" { (short(&r.label, 27)) }
                rect.point x=(n(label_w)) y=(n(y + 4.0)) width=(n(w)) height="15" fill=(color)
                    data-value=(format!("{}", r.value)) {
                    title { (r.label) ": " (r.text) }
                }
                @if let Some(m) = r.mark {
                    line.mark x1=(n(x(m))) x2=(n(x(m))) y1=(n(y + 1.0)) y2=(n(y + 22.0))
                        stroke="#1d232b" stroke-width="2" data-mark=(format!("{m}")) {}
                }
                @let end = (label_w + w).max(r.mark.map_or(0.0, |m| x(m) + 2.0));
                text.value x=(n(end + 6.0)) y=(n(y + 15.0)) { (r.text) }
            }
        }
    }
}

/// `text` cut to `max` characters with an ellipsis.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{cut}\u{2026}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_axes_have_whole_round_quarters() {
        assert_eq!(nice_quarters(0.0), 4.0);
        assert_eq!(nice_quarters(4.0), 4.0);
        assert_eq!(nice_quarters(5.0), 8.0);
        assert_eq!(nice_quarters(36.0), 40.0);
        assert_eq!(nice_quarters(12_000.0), 20_000.0);
        assert_eq!(nice_quarters(25_000.0), 40_000.0);
    }

    #[test]
    fn time_axes_end_on_a_round_wait() {
        assert_eq!(nice_duration_max(0.0), 4_000.0);
        assert_eq!(nice_duration_max(2_000.0), 4_000.0);
        assert_eq!(nice_duration_max(50.0 * 60_000.0), 3_600_000.0);
        assert_eq!(nice_duration_max(61.0 * 60_000.0), 2.0 * 3_600_000.0);
        assert_eq!(
            nice_duration_max(100.0 * 86_400_000.0),
            200.0 * 86_400_000.0
        );
    }

    #[test]
    fn a_gap_breaks_the_line_and_a_lone_value_is_a_marker_only() {
        let values = [Some(1.0), Some(2.0), None, Some(3.0), None, None];
        let runs = runs(&values);
        assert_eq!(runs, vec![vec![(0, 1.0), (1, 2.0)], vec![(3, 3.0)]]);
        let labels: Vec<String> = (1..=6).map(|w| format!("2026-W{w:02}")).collect();
        let s = [Series {
            name: "x",
            color: PALETTE[0],
            dash: "",
            values: values.to_vec(),
        }];
        let svg = lines("c", "T", &labels, &s, None, &|v| format!("{v}")).into_string();
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert_eq!(svg.matches("class=\"point\"").count(), 3, "{svg}");
        assert!(!svg.contains("NaN"), "{svg}");
    }

    #[test]
    fn an_empty_week_has_no_column_and_nothing_is_nan() {
        let labels = vec!["2026-W01".to_owned(), "2026-W02".to_owned()];
        let svg = stacked(
            "d",
            "T",
            &labels,
            &[("a", PALETTE[0]), ("b", PALETTE[1])],
            &[vec![0, 0], vec![2, 1]],
        )
        .into_string();
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");
        let none = stacked("e", "T", &labels, &[("a", PALETTE[0])], &[vec![0], vec![0]]);
        assert!(!none.into_string().contains("NaN"));
    }
}
