//! The monitoring files as data: alert rules and dashboard queries, their PromQL parsed (no
//! promtool here) and the metrics and labels each expression reads, and the headings of
//! docs/operations.md the alerts link to.

use promql_parser::label::MatchOp;
use promql_parser::parser::Expr;
use promql_parser::util::{ExprVisitor, walk_expr};

use super::*;

// ---------------------------------------------------------------------------------------------
// Reading the files.

/// Every rule of `prometheus/alerts.yaml`, with its group's name.
pub(super) fn alert_rules() -> Vec<(String, Value)> {
    let doc = yaml("prometheus/alerts.yaml");
    let groups = seq(&doc["groups"]);
    assert!(!groups.is_empty(), "alerts.yaml has no groups");
    groups
        .iter()
        .flat_map(|g| {
            let name = str_of(&g["name"], "group name").to_owned();
            let rules = seq(&g["rules"]);
            assert!(!rules.is_empty(), "group {name} has no rules");
            rules.iter().map(move |r| (name.clone(), r.clone()))
        })
        .collect()
}

pub(super) fn dashboard() -> serde_json::Value {
    serde_json::from_str(&read(&deploy().join("grafana/dashboard.json")))
        .unwrap_or_else(|e| panic!("dashboard.json is not JSON: {e}"))
}

/// Every panel, rows' collapsed children included.
pub(super) fn panels(dashboard: &serde_json::Value) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        out.push(panel.clone());
        if let Some(children) = panel["panels"].as_array() {
            out.extend(children.iter().cloned());
        }
    }
    out
}

/// `(panel title, expr)` of every query of the dashboard.
pub(super) fn dashboard_queries() -> Vec<(String, String)> {
    panels(&dashboard())
        .iter()
        .flat_map(|p| {
            let title = p["title"].as_str().unwrap_or_default().to_owned();
            p["targets"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |t| {
                    let expr = t["expr"]
                        .as_str()
                        .expect("a target without expr")
                        .to_owned();
                    (title.clone(), expr)
                })
        })
        .collect()
}

/// `(alert, expr)` of every rule.
pub(super) fn alert_queries() -> Vec<(String, String)> {
    alert_rules()
        .into_iter()
        .map(|(_, r)| {
            (
                str_of(&r["alert"], "alert").to_owned(),
                str_of(&r["expr"], "expr").to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// PromQL.

/// Grafana's variables as Prometheus would see them after Grafana substituted them.
fn grafana_substituted(expr: &str) -> String {
    expr.replace("$__rate_interval", "5m")
        .replace("$__interval", "1m")
        .replace("$__range", "1h")
        .replace("$window", "7d")
}

pub(super) fn parse_promql(what: &str, expr: &str) -> Expr {
    promql_parser::parser::parse(&grafana_substituted(expr))
        .unwrap_or_else(|e| panic!("{what}: not PromQL: {e}\n  {expr}"))
}

/// A metric an expression reads: its name and `(label, op, value)` matchers.
#[derive(Debug)]
pub(super) struct Selector {
    pub(super) name: String,
    pub(super) matchers: Vec<(String, MatchOp, String)>,
}

struct Selectors(Vec<Selector>);

impl ExprVisitor for Selectors {
    type Error = ();

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, ()> {
        let vs = match expr {
            Expr::VectorSelector(vs) => vs,
            Expr::MatrixSelector(ms) => &ms.vs,
            _ => return Ok(true),
        };
        let name = vs.name.clone().expect("selectors name their metric");
        let matchers = vs
            .matchers
            .matchers
            .iter()
            .filter(|m| m.name != "__name__")
            .map(|m| (m.name.clone(), m.op.clone(), m.value.clone()))
            .collect();
        self.0.push(Selector { name, matchers });
        Ok(true)
    }
}

pub(super) fn selectors(what: &str, expr: &str) -> Vec<Selector> {
    let mut found = Selectors(Vec::new());
    let _ = walk_expr(&mut found, &parse_promql(what, expr));
    assert!(!found.0.is_empty(), "{what}: reads no metric: {expr}");
    found.0
}

/// The metric names `queries` read.
pub(super) fn names_read(queries: Vec<(String, String)>) -> BTreeSet<String> {
    queries
        .into_iter()
        .flat_map(|(what, expr)| selectors(&what, &expr))
        .map(|s| s.name)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// docs/operations.md.

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
pub(super) fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

pub(super) fn operations_doc() -> String {
    read(&repo().join("docs/operations.md"))
}

pub(super) fn doc_anchors() -> BTreeSet<String> {
    operations_doc()
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|h| anchor(h.trim_start_matches('#')))
        .collect()
}
