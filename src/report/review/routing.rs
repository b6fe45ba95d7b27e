//! Routing health of the reviewed week, pure: per pool of the playbook, who its round-robin
//! picked against the weights it was given (fairness); ready leads left without an owner;
//! reassignments and who missed; SLA misses per rep; and, as of now, handoffs still without a
//! disposition past `close_loop_after`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::Roster;
use crate::engine::playbook::PoolDoc;
use crate::report::board::Group;
use crate::report::kpi::Kpis;
use crate::store::ledger::{LoopOverdue, PoolPick, Reassigned};

/// Below this many picks a pool's shares say little; the page says so beside them.
pub const FEW_PICKS: u64 = 20;

/// One owner of a pool: the weight the playbook gives it and what the round-robin did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberShare {
    pub owner_id: String,
    /// `None`: picked by the pool in the week but not one of its members now (an edited pool).
    pub weight: Option<u32>,
    /// `weight / sum of weights`, 0–1.
    pub expected: Option<f64>,
    pub picks: u64,
    /// `picks / pool picks`; `None` when the pool picked nobody.
    pub share: Option<f64>,
}

/// One pool of the playbook in the reviewed week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolHealth {
    pub name: String,
    pub team: String,
    pub fallback_pool: Option<String>,
    pub members: Vec<MemberShare>,
    pub picks: u64,
    /// Leads that fell through this pool to the next in the chain; `None` when the ledger
    /// does not record fallbacks (supplied by the tuning report's decision facts).
    pub fallbacks: Option<u64>,
}

/// One rep's SLA misses in the reviewed week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepMisses {
    pub owner_id: String,
    /// Handoffs the rep holds whose SLA counts as missed (the scoreboard's definition).
    pub missed: u64,
    /// Handoffs taken from the rep after it missed their SLA (`missed_by`).
    pub lost: u64,
}

/// Routing health of the reviewed week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Routing {
    pub pools: Vec<PoolHealth>,
    /// Picks by a pool the playbook no longer has: `(pool, picks)`.
    pub retired_pools: Vec<(String, u64)>,
    /// Ready leads of the week, and those without an owner in the ledger.
    pub ready: u64,
    pub unassigned: u64,
    pub reassignments: i64,
    /// Most misses first.
    pub misses: Vec<RepMisses>,
    /// Now, whatever the week: open handoffs past their close-the-loop time, per owner.
    pub overdue: Vec<LoopOverdue>,
    pub close_loop_after: Option<String>,
}

/// What routing health is computed from.
#[derive(Debug, Clone)]
pub struct RoutingInput<'a> {
    pub pools: &'a BTreeMap<String, PoolDoc>,
    pub roster: &'a Roster,
    pub picks: &'a [PoolPick],
    pub fallbacks: Option<&'a BTreeMap<String, u64>>,
    /// The reviewed week's KPIs (`None` without weeks).
    pub week: Option<&'a Kpis>,
    /// The reviewed week's KPIs by owner.
    pub owners: &'a [Group],
    pub reassigned: &'a [Reassigned],
    pub overdue: &'a [LoopOverdue],
    pub close_loop_after: Option<String>,
}

impl Routing {
    pub fn build(input: &RoutingInput<'_>) -> Self {
        let key = |id: &str| {
            input
                .roster
                .owner(id)
                .map_or(id, |o| o.owner.key())
                .to_owned()
        };
        let mut picked: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
        for p in input.picks {
            let n = u64::try_from(p.decisions).unwrap_or(0);
            *picked
                .entry(p.pool.as_str())
                .or_default()
                .entry(key(&p.owner_id.to_string()))
                .or_default() += n;
        }
        let pools = input
            .pools
            .iter()
            .map(|(name, doc)| {
                let by_owner = picked.remove(name.as_str()).unwrap_or_default();
                pool(name, doc, by_owner, &key, input.fallbacks)
            })
            .collect();
        let retired_pools = picked
            .into_iter()
            .map(|(pool, owners)| (pool.to_owned(), owners.values().sum()))
            .collect();
        let (ready, owned) = input
            .week
            .map_or((0, 0), |k| (k.coverage.den, k.coverage.num));
        Self {
            pools,
            retired_pools,
            ready,
            unassigned: ready - owned,
            reassignments: input.week.map_or(0, |k| k.reassignments),
            misses: misses(input.owners, input.reassigned),
            overdue: input.overdue.to_vec(),
            close_loop_after: input.close_loop_after.clone(),
        }
    }
}

fn pool(
    name: &str,
    doc: &PoolDoc,
    mut by_owner: BTreeMap<String, u64>,
    key: &dyn Fn(&str) -> String,
    fallbacks: Option<&BTreeMap<String, u64>>,
) -> PoolHealth {
    let picks: u64 = by_owner.values().sum();
    let weights: u64 = doc.members.iter().map(|m| u64::from(m.weight)).sum();
    let share = |n: u64| (picks > 0).then(|| n as f64 / picks as f64);
    let mut members: Vec<MemberShare> = doc
        .members
        .iter()
        .map(|m| {
            let n = by_owner.remove(&key(&m.owner)).unwrap_or(0);
            MemberShare {
                owner_id: key(&m.owner),
                weight: Some(m.weight),
                expected: (weights > 0).then(|| f64::from(m.weight) / weights as f64),
                picks: n,
                share: share(n),
            }
        })
        .collect();
    members.extend(by_owner.into_iter().map(|(owner_id, n)| MemberShare {
        owner_id,
        weight: None,
        expected: None,
        picks: n,
        share: share(n),
    }));
    PoolHealth {
        name: name.to_owned(),
        team: doc.team.clone(),
        fallback_pool: doc.fallback_pool.clone(),
        members,
        picks,
        fallbacks: fallbacks.map(|f| f.get(name).copied().unwrap_or(0)),
    }
}

/// Per rep: SLAs missed on the handoffs it holds (the owner group's `sla.missed`) and handoffs
/// it lost to a reassignment after missing (each owner in `missed_by`). Reps without a miss
/// are left out.
fn misses(owners: &[Group], reassigned: &[Reassigned]) -> Vec<RepMisses> {
    let mut by: BTreeMap<String, RepMisses> = BTreeMap::new();
    for g in owners.iter().filter(|g| g.kpis.sla.missed > 0) {
        rep(&mut by, &g.key).missed += g.kpis.sla.missed;
    }
    for r in reassigned {
        for owner in r.missed_by() {
            rep(&mut by, &owner.to_string()).lost += 1;
        }
    }
    let mut out: Vec<RepMisses> = by.into_values().collect();
    out.sort_by(|a, b| {
        (b.missed + b.lost)
            .cmp(&(a.missed + a.lost))
            .then_with(|| a.owner_id.cmp(&b.owner_id))
    });
    out
}

fn rep<'m>(by: &'m mut BTreeMap<String, RepMisses>, owner: &str) -> &'m mut RepMisses {
    by.entry(owner.to_owned()).or_insert_with(|| RepMisses {
        owner_id: owner.to_owned(),
        missed: 0,
        lost: 0,
    })
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
