//! Structural validation of `[routing]`: ids, references between rules, pools, territories and
//! segments, fallback-chain cycles, weights. Owner and team ids are checked against the roster
//! in `check.rs`.

use std::collections::BTreeSet;

use crate::playbook::{PlaybookDoc, PoolDoc, RoutingDoc};

type Push<'a> = &'a mut dyn FnMut(String, String);

const AT: &str = "playbook.routing";

pub(crate) fn routing(push: Push<'_>, doc: &PlaybookDoc, tiers: &BTreeSet<&str>) {
    let r = &doc.routing;
    let pools: BTreeSet<&str> = r.pools.keys().map(String::as_str).collect();
    rules(push, r, tiers, &pools);
    if let Some(dp) = &r.default_pool {
        known(push, format!("{AT}.default_pool"), ("pool", dp), &pools);
    }
    if r.fallback_owner.trim().is_empty() {
        push(
            format!("{AT}.fallback_owner"),
            "a global fallback owner is required".into(),
        );
    }
    for (id, t) in &r.territories {
        if t.countries.is_empty() && t.states.is_empty() && t.postal_prefixes.is_empty() {
            push(
                format!("{AT}.territories.{id}"),
                "territory matches nothing: list countries, states or postal_prefixes".into(),
            );
        }
    }
    segments(push, r);
    for (id, pool) in &r.pools {
        pool_members(push, id, pool);
        pool_chain(push, r, id, &pools);
    }
}

/// Reports `name` when it is not in `set`, listing the known ones.
fn known(push: Push<'_>, path: String, (what, name): (&str, &str), set: &BTreeSet<&str>) {
    if !set.contains(name) {
        let list: Vec<&str> = set.iter().copied().collect();
        push(
            path,
            format!("unknown {what} `{name}` (known: {})", list.join(", ")),
        );
    }
}

/// Reports an id that is empty or already in `seen`.
fn unique_id<'a>(push: Push<'_>, seen: &mut BTreeSet<&'a str>, path: String, id: &'a str) {
    if !seen.insert(id) || id.trim().is_empty() {
        push(path, format!("empty or duplicate id `{id}`"));
    }
}

fn rules(push: Push<'_>, r: &RoutingDoc, tiers: &BTreeSet<&str>, pools: &BTreeSet<&str>) {
    let territories: BTreeSet<&str> = r.territories.keys().map(String::as_str).collect();
    let segments: BTreeSet<&str> = r.segments.iter().map(|s| s.id.as_str()).collect();
    let mut seen = BTreeSet::new();
    for (i, rule) in r.rules.iter().enumerate() {
        let at = format!("{AT}.rules[{i}]");
        unique_id(push, &mut seen, format!("{at}.id"), &rule.id);
        if let Some(t) = &rule.territory {
            let path = format!("{at}.territory");
            known(push, path, ("territory", t), &territories);
        }
        if let Some(s) = &rule.segment {
            known(push, format!("{at}.segment"), ("segment", s), &segments);
        }
        for (j, t) in rule.score_tiers.iter().enumerate() {
            known(push, format!("{at}.score_tiers[{j}]"), ("tier", t), tiers);
        }
        match (&rule.pool, &rule.owner) {
            (Some(pool), None) => known(push, format!("{at}.pool"), ("pool", pool), pools),
            (None, Some(_)) => {}
            _ => push(at, "give exactly one target: `pool` or `owner`".into()),
        }
    }
}

fn segments(push: Push<'_>, r: &RoutingDoc) {
    let mut seen = BTreeSet::new();
    for (i, s) in r.segments.iter().enumerate() {
        unique_id(push, &mut seen, format!("{AT}.segments[{i}].id"), &s.id);
        let at = format!("{AT}.segments[{i}]");
        band(push, &at, (s.min_employees, s.max_employees), "employees");
        band(push, &at, (s.min_revenue, s.max_revenue), "revenue");
    }
}

/// A band with both ends set must have its minimum below its maximum.
fn band<T: PartialOrd>(push: Push<'_>, at: &str, (min, max): (Option<T>, Option<T>), what: &str) {
    if let (Some(a), Some(b)) = (min, max)
        && a >= b
    {
        push(
            at.to_string(),
            format!("min_{what} must be below max_{what}"),
        );
    }
}

fn pool_members(push: Push<'_>, id: &str, pool: &PoolDoc) {
    let at = format!("{AT}.pools.{id}");
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
}

/// The pool's fallback must exist, and following the chain must not come back to the pool.
fn pool_chain(push: Push<'_>, r: &RoutingDoc, id: &str, pools: &BTreeSet<&str>) {
    let at = format!("{AT}.pools.{id}.fallback_pool");
    let Some(first) = r.pools.get(id).and_then(|p| p.fallback_pool.as_deref()) else {
        return;
    };
    known(push, at.clone(), ("pool", first), pools);
    let mut cursor = Some(first);
    let mut steps = 0;
    while let Some(next) = cursor {
        if next == id {
            push(at, "fallback chain loops back to this pool".into());
            break;
        }
        steps += 1;
        if steps > r.pools.len() {
            break;
        }
        cursor = r.pools.get(next).and_then(|p| p.fallback_pool.as_deref());
    }
}
