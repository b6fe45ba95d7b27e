//! Structural validation of `[routing]`: ids, references between rules, pools, territories and
//! segments, fallback-chain cycles, weights. Owner and team ids are checked against the roster
//! in `check.rs`.

use std::collections::BTreeSet;

use crate::playbook::PlaybookDoc;

pub(crate) fn routing(
    push: &mut dyn FnMut(String, String),
    doc: &PlaybookDoc,
    tiers: &BTreeSet<&str>,
) {
    let r = &doc.routing;
    let p = "playbook.routing";
    let pools: BTreeSet<&str> = r.pools.keys().map(String::as_str).collect();
    let territories: BTreeSet<&str> = r.territories.keys().map(String::as_str).collect();
    let segments: BTreeSet<&str> = r.segments.iter().map(|s| s.id.as_str()).collect();
    let known = |push: &mut dyn FnMut(String, String),
                 path: String,
                 what: &str,
                 name: &str,
                 set: &BTreeSet<&str>| {
        if !set.contains(name) {
            let list: Vec<&str> = set.iter().copied().collect();
            push(
                path,
                format!("unknown {what} `{name}` (known: {})", list.join(", ")),
            );
        }
    };
    let mut seen = BTreeSet::new();
    for (i, rule) in r.rules.iter().enumerate() {
        let at = format!("{p}.rules[{i}]");
        if !seen.insert(rule.id.as_str()) || rule.id.trim().is_empty() {
            push(
                format!("{at}.id"),
                format!("empty or duplicate id `{}`", rule.id),
            );
        }
        if let Some(t) = &rule.territory {
            known(
                push,
                format!("{at}.territory"),
                "territory",
                t,
                &territories,
            );
        }
        if let Some(s) = &rule.segment {
            known(push, format!("{at}.segment"), "segment", s, &segments);
        }
        for (j, t) in rule.score_tiers.iter().enumerate() {
            known(push, format!("{at}.score_tiers[{j}]"), "tier", t, tiers);
        }
        match (&rule.pool, &rule.owner) {
            (Some(pool), None) => known(push, format!("{at}.pool"), "pool", pool, &pools),
            (None, Some(_)) => {}
            _ => push(at, "give exactly one target: `pool` or `owner`".into()),
        }
    }
    if let Some(dp) = &r.default_pool {
        known(push, format!("{p}.default_pool"), "pool", dp, &pools);
    }
    if r.fallback_owner.trim().is_empty() {
        push(
            format!("{p}.fallback_owner"),
            "a global fallback owner is required".into(),
        );
    }
    for (id, t) in &r.territories {
        if t.countries.is_empty() && t.states.is_empty() && t.postal_prefixes.is_empty() {
            push(
                format!("{p}.territories.{id}"),
                "territory matches nothing: list countries, states or postal_prefixes".into(),
            );
        }
    }
    let mut seen = BTreeSet::new();
    for (i, s) in r.segments.iter().enumerate() {
        if !seen.insert(s.id.as_str()) || s.id.trim().is_empty() {
            push(
                format!("{p}.segments[{i}].id"),
                format!("empty or duplicate id `{}`", s.id),
            );
        }
        if let (Some(a), Some(b)) = (s.min_employees, s.max_employees)
            && a >= b
        {
            push(
                format!("{p}.segments[{i}]"),
                "min_employees must be below max_employees".into(),
            );
        }
        if let (Some(a), Some(b)) = (s.min_revenue, s.max_revenue)
            && a >= b
        {
            push(
                format!("{p}.segments[{i}]"),
                "min_revenue must be below max_revenue".into(),
            );
        }
    }
    for (id, pool) in &r.pools {
        let at = format!("{p}.pools.{id}");
        if pool.members.is_empty() {
            push(
                format!("{at}.members"),
                "a pool needs at least one member".into(),
            );
        }
        let mut members = BTreeSet::new();
        for (j, m) in pool.members.iter().enumerate() {
            if m.weight == 0 || m.weight > 1000 {
                push(
                    format!("{at}.members[{j}].weight"),
                    "weight must be 1..=1000".into(),
                );
            }
            if !members.insert(m.owner.as_str()) {
                push(
                    format!("{at}.members[{j}].owner"),
                    format!("owner `{}` listed twice", m.owner),
                );
            }
        }
        if let Some(next) = &pool.fallback_pool {
            known(push, format!("{at}.fallback_pool"), "pool", next, &pools);
        }
        // Follow the chain; coming back to this pool is a cycle.
        let mut cursor = pool.fallback_pool.as_deref();
        let mut steps = 0;
        while let Some(next) = cursor {
            if next == id {
                push(
                    format!("{at}.fallback_pool"),
                    "fallback chain loops back to this pool".into(),
                );
                break;
            }
            steps += 1;
            if steps > r.pools.len() {
                break;
            }
            cursor = r.pools.get(next).and_then(|p| p.fallback_pool.as_deref());
        }
    }
}
