//! A stored decision's explanation (the engine's `Decision` as JSON in the ledger) as text.
//! Read as loose JSON rather than the engine's types, so decisions recorded by older versions
//! still render: a field that is missing is left out, never an error.

use std::fmt::Write as _;

use serde_json::Value;

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    list(v, key)
        .iter()
        .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned))
        .collect()
}

/// `value` as text: strings bare, anything else as JSON.
fn plain(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The explanation, indented by `indent`: score with matched rules, readiness, routing steps,
/// SLA plan, disposition and warnings.
pub fn render(explanation: &Value, indent: &str) -> String {
    let mut out = String::new();
    for d in list(explanation, "disqualified_by") {
        let id = str_of(d, "id").unwrap_or("?");
        let reason = str_of(d, "reason").unwrap_or("");
        let _ = writeln!(out, "disqualified by {id}: {reason}");
    }
    if let Some(playbook) = str_of(explanation, "playbook") {
        let _ = writeln!(out, "playbook {playbook}");
    }
    score(&mut out, explanation);
    readiness(&mut out, explanation);
    if let Some(routing) = explanation.get("routing").filter(|r| !r.is_null()) {
        route(&mut out, routing);
    }
    if let Some(sla) = explanation.get("sla").filter(|s| !s.is_null()) {
        sla_plan(&mut out, sla);
    }
    if let Some(d) = explanation.get("disposition").filter(|d| !d.is_null()) {
        let outcome = str_of(d, "outcome").unwrap_or("?");
        let from = str_of(d, "source").unwrap_or("?");
        let reason = str_of(d, "reason")
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let _ = writeln!(out, "disposition {outcome} from {from}{reason}");
    }
    for w in strings(explanation, "warnings") {
        let _ = writeln!(out, "warning: {w}");
    }
    out.lines()
        .map(|l| format!("{indent}{l}\n"))
        .collect::<String>()
}

fn score(out: &mut String, e: &Value) {
    let Some(s) = e.get("score") else { return };
    let total = s.get("total").map(plain).unwrap_or_else(|| "?".into());
    let threshold = s.get("threshold").map(plain).unwrap_or_else(|| "?".into());
    let tier = str_of(s, "tier").unwrap_or("none");
    let _ = writeln!(out, "score {total} (threshold {threshold}), tier {tier}");
    for name in ["fit", "engagement"] {
        let Some(g) = s.get(name) else { continue };
        let points = g.get("points").map(plain).unwrap_or_else(|| "0".into());
        let raw = g.get("raw").and_then(Value::as_i64);
        let cap = match (raw, g.get("cap").and_then(Value::as_i64)) {
            (Some(raw), Some(cap)) if raw > cap => format!(" (capped from {raw} at {cap})"),
            _ => String::new(),
        };
        let _ = writeln!(out, "  {name}: {points}{cap}");
        for hit in list(g, "matched") {
            let id = str_of(hit, "id").unwrap_or("?");
            let pts = hit.get("points").and_then(Value::as_i64).unwrap_or(0);
            let decay = str_of(hit, "decay")
                .map(|d| format!(" [{d}]"))
                .unwrap_or_default();
            let _ = writeln!(out, "    {pts:+} {id}{decay}");
        }
    }
    let flags = strings(e, "flags");
    if !flags.is_empty() {
        let _ = writeln!(out, "  flags: {}", flags.join(", "));
    }
}

fn readiness(out: &mut String, e: &Value) {
    let Some(r) = e.get("readiness") else { return };
    let missing = strings(r, "missing_fields");
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "readiness: missing {} (required by {})",
            missing.join(", "),
            strings(r, "requirements").join(", ")
        );
        return;
    }
    let ready = r.get("ready").and_then(Value::as_bool).unwrap_or(false);
    let _ = writeln!(
        out,
        "readiness: {}",
        if ready { "ready" } else { "below threshold" }
    );
}

fn route(out: &mut String, routing: &Value) {
    if let Some(a) = routing.get("assignment") {
        let owner = str_of(a, "owner_id").unwrap_or("?");
        let name = str_of(a, "owner_name")
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let team = str_of(a, "team")
            .map(|t| format!(", team {t}"))
            .unwrap_or_default();
        let via = a
            .get("via")
            .map(crate::engine::explain::simulate::describe_via)
            .unwrap_or_default();
        let _ = writeln!(out, "routed to {owner}{name}{team} via {via}");
    }
    for step in list(routing, "steps") {
        let stage = str_of(step, "stage").unwrap_or("?");
        let result = str_of(step, "result").unwrap_or("?");
        let detail = str_of(step, "detail").unwrap_or("");
        let _ = writeln!(out, "  {stage:<24} {result}: {detail}");
        for c in list(step, "candidates") {
            let id = str_of(c, "owner_id").unwrap_or("?");
            let excluded = c
                .get("excluded")
                .map(|x| format!(" excluded: {}", exclusion(x)))
                .unwrap_or_default();
            let _ = writeln!(out, "      {id}{excluded}");
        }
    }
}

/// `{"reason": "at_capacity", "count": 5, "limit": 5, "period": "day"}` → `at capacity
/// (count=5, limit=5, period=day)`; availability names its source (`away in HubSpot`, `out of
/// office until 2026-12-01 per HubSpot`, `paused in config`).
fn exclusion(x: &Value) -> String {
    let per = match str_of(x, "source") {
        Some("hubspot") => "per HubSpot",
        _ => "in config",
    };
    match str_of(x, "reason") {
        Some("away") => return "away in HubSpot".into(),
        Some("paused") => return "paused in config".into(),
        Some("out_of_office") => {
            let until = str_of(x, "until").unwrap_or("?");
            return format!("out of office until {until} {per}");
        }
        Some("outside_working_hours") => return format!("outside working hours {per}"),
        _ => {}
    }
    let reason = str_of(x, "reason").unwrap_or("?").replace('_', " ");
    let details: Vec<String> = x
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.as_str() != "reason")
                .map(|(k, v)| format!("{k}={}", plain(v)))
                .collect()
        })
        .unwrap_or_default();
    if details.is_empty() {
        reason
    } else {
        format!("{reason} ({})", details.join(", "))
    }
}

fn sla_plan(out: &mut String, sla: &Value) {
    let tier = str_of(sla, "tier").unwrap_or("?");
    let calendar = str_of(sla, "calendar").unwrap_or("?");
    let within = sla.get("first_touch").map(plain).unwrap_or_default();
    let due = str_of(sla, "due_at").unwrap_or("?");
    let _ = writeln!(
        out,
        "SLA {tier} on calendar {calendar}: first touch within {within} business time, due {due}"
    );
    for step in list(sla, "ladder") {
        let action = str_of(step, "action").unwrap_or("?");
        let at = str_of(step, "at").unwrap_or("?");
        let to = str_of(step, "target")
            .map(|t| format!(" → {t}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {action} at {at}{to}");
    }
    if let Some(d) = str_of(sla, "close_loop_due") {
        let _ = writeln!(out, "  disposition expected by {d}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_handoff_explanation_reads_score_readiness_route_and_sla() {
        let e = json!({
            "playbook": "acme",
            "score": {"total": 80, "threshold": 50, "tier": "A",
                      "fit": {"points": 45, "matched": [{"id": "icp", "points": 25, "base_points": 25}]},
                      "engagement": {"points": 35, "raw": 60, "cap": 35, "matched": [{"id": "demo", "points": 35, "base_points": 70, "decay": "45 days old: 50% kept"}]}},
            "flags": ["icp"],
            "readiness": {"ready": true, "missing_fields": [], "requirements": []},
            "routing": {"assignment": {"owner_id": "101", "owner_name": "Jonas", "team": "dach",
                                       "via": {"kind": "pool", "pool": "dach-ae", "rule": "dach"}},
                        "steps": [{"stage": "rule dach", "result": "matched", "detail": "country DE",
                                   "candidates": [{"owner_id": "102", "weight": 1,
                                                   "excluded": {"reason": "at_capacity", "period": "day", "count": 5, "limit": 5}}]}]},
            "sla": {"tier": "hot", "calendar": "de", "first_touch": "10m", "due_at": "2026-11-24T09:10:00Z",
                    "ladder": [{"action": "remind", "at": "2026-11-24T09:05:00Z", "target": null}],
                    "close_loop_due": "2026-12-01T09:00:00Z"},
            "warnings": ["phone unparseable"]
        });
        let text = render(&e, "  ");
        for expected in [
            "  score 80 (threshold 50), tier A\n",
            "+25 icp",
            "+35 demo [45 days old: 50% kept]",
            "engagement: 35 (capped from 60 at 35)",
            "flags: icp",
            "readiness: ready",
            "routed to 101 (Jonas), team dach via pool",
            "pool=dach-ae",
            "rule dach",
            "102 excluded: at capacity (count=5, limit=5, period=day)",
            "SLA hot on calendar de: first touch within 10m business time, due 2026-11-24T09:10:00Z",
            "remind at 2026-11-24T09:05:00Z",
            "disposition expected by 2026-12-01T09:00:00Z",
            "warning: phone unparseable",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn availability_exclusions_name_their_source() {
        let e = json!({"routing": {"steps": [{"stage": "pool us", "result": "matched", "detail": "",
            "candidates": [
                {"owner_id": "301", "excluded": {"reason": "away"}},
                {"owner_id": "302", "excluded": {"reason": "out_of_office", "until": "2026-12-01", "source": "hubspot"}},
                {"owner_id": "303", "excluded": {"reason": "paused"}},
                {"owner_id": "304", "excluded": {"reason": "out_of_office", "until": "2026-12-02"}},
                {"owner_id": "305", "excluded": {"reason": "outside_working_hours", "source": "hubspot"}}]}]}});
        let text = render(&e, "");
        for expected in [
            "301 excluded: away in HubSpot",
            "302 excluded: out of office until 2026-12-01 per HubSpot",
            "303 excluded: paused in config",
            "304 excluded: out of office until 2026-12-02 in config",
            "305 excluded: outside working hours per HubSpot",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn missing_fields_and_disqualifications_are_named_and_unknown_shapes_do_not_fail() {
        let e = json!({
            "disqualified_by": [{"id": "freemail", "reason": "free email domain"}],
            "readiness": {"ready": false, "missing_fields": ["phone"], "requirements": ["tier-a-phone"]}
        });
        let text = render(&e, "");
        assert!(text.contains("disqualified by freemail: free email domain"));
        assert!(text.contains("readiness: missing phone (required by tier-a-phone)"));
        assert_eq!(render(&json!("not an object"), ""), "");
        assert_eq!(render(&json!({}), ""), "");
    }
}
