//! Smooth weighted round-robin over owner ids (nginx's algorithm). With equal weights it is a
//! strict rotation (max − min ≤ 1); with weights, each member's count stays within one pick of
//! its share. Credits are keyed by owner id and bounded by the total weight, so edits to the
//! pool keep everyone's place and a returning rep starts near the average, not with a backlog.

use std::collections::BTreeMap;

/// Picks one of `eligible` (owner id, weight), in pool order; updates `credits`.
/// Members absent from `members` are dropped from `credits` (removed from the pool).
pub(crate) fn pick(
    credits: &mut BTreeMap<String, i64>,
    members: &[&str],
    eligible: &[(&str, u32)],
) -> Option<String> {
    // Prune owners no longer in the pool; the common case (nothing to prune) costs one
    // lookup per member instead of a scan per credit.
    let present = members.iter().filter(|m| credits.contains_key(**m)).count();
    if present != credits.len() {
        let set: std::collections::BTreeSet<&str> = members.iter().copied().collect();
        credits.retain(|id, _| set.contains(id.as_str()));
    }
    let total: i64 = eligible.iter().map(|(_, w)| i64::from(*w)).sum();
    if total == 0 {
        return None;
    }
    let mut best: Option<(&str, i64)> = None;
    for (id, w) in eligible {
        if !credits.contains_key(*id) {
            credits.insert((*id).to_string(), 0);
        }
        let Some(c) = credits.get_mut(*id) else {
            continue;
        };
        // Bound stale credit (weights or membership changed since it was earned).
        *c = (*c).clamp(-total, total) + i64::from(*w);
        if best.is_none_or(|(_, b)| *c > b) {
            best = Some((id, *c));
        }
    }
    let (id, _) = best?;
    if let Some(c) = credits.get_mut(id) {
        *c -= total;
    }
    Some(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(
        credits: &mut BTreeMap<String, i64>,
        members: &[(&str, u32)],
        n: usize,
        counts: &mut BTreeMap<String, u64>,
    ) {
        let ids: Vec<&str> = members.iter().map(|m| m.0).collect();
        for _ in 0..n {
            if let Some(id) = pick(credits, &ids, members) {
                *counts.entry(id).or_default() += 1;
            }
        }
    }

    #[test]
    fn equal_weights_rotate_in_order() {
        let mut credits = BTreeMap::new();
        let members = [("a", 1), ("b", 1), ("c", 1)];
        let ids = ["a", "b", "c"];
        let picks: Vec<String> = (0..6)
            .filter_map(|_| pick(&mut credits, &ids, &members))
            .collect();
        assert_eq!(picks, ["a", "b", "c", "a", "b", "c"]);
    }

    #[test]
    fn weights_interleave_smoothly() {
        let mut credits = BTreeMap::new();
        let members = [("a", 2), ("b", 1)];
        let picks: Vec<String> = (0..6)
            .filter_map(|_| pick(&mut credits, &["a", "b"], &members))
            .collect();
        assert_eq!(picks, ["a", "b", "a", "a", "b", "a"]);
    }

    proptest! {
        #[test]
        fn equal_weights_are_fair_at_every_prefix(n in 1usize..12, picks in 1usize..300) {
            let names: Vec<String> = (0..n).map(|i| format!("o{i}")).collect();
            let members: Vec<(&str, u32)> = names.iter().map(|s| (s.as_str(), 1)).collect();
            let mut credits = BTreeMap::new();
            let mut counts = BTreeMap::new();
            for _ in 0..picks {
                run(&mut credits, &members, 1, &mut counts);
                let max = counts.values().max().copied().unwrap_or(0);
                let min = if counts.len() < n { 0 } else { counts.values().min().copied().unwrap_or(0) };
                prop_assert!(max - min <= 1);
            }
        }

        /// Tolerance: after any number of picks each member is within 1 pick of
        /// `picks × weight / total` (smooth WRR bound).
        #[test]
        fn weights_are_honoured_within_one_pick(weights in proptest::collection::vec(1u32..10, 1..8), picks in 1usize..400) {
            let names: Vec<String> = (0..weights.len()).map(|i| format!("o{i}")).collect();
            let members: Vec<(&str, u32)> = names.iter().map(String::as_str).zip(weights.iter().copied()).collect();
            let total: u32 = weights.iter().sum();
            let mut credits = BTreeMap::new();
            let mut counts = BTreeMap::new();
            run(&mut credits, &members, picks, &mut counts);
            for (name, w) in &members {
                let got = counts.get(*name).copied().unwrap_or(0) as f64;
                let want = picks as f64 * f64::from(*w) / f64::from(total);
                prop_assert!((got - want).abs() <= 1.0 + 1e-9, "{} got {} want {}", name, got, want);
            }
        }

        /// Adding a rep mid-run: the others keep their order (no reset) and the newcomer gets
        /// its share going forward, never a catch-up flood.
        #[test]
        fn adding_a_rep_neither_resets_nor_floods(n in 2usize..8, before in 0usize..100, rounds in 1usize..20) {
            let names: Vec<String> = (0..=n).map(|i| format!("o{i}")).collect();
            let old: Vec<(&str, u32)> = names[..n].iter().map(|s| (s.as_str(), 1)).collect();
            let all: Vec<(&str, u32)> = names.iter().map(|s| (s.as_str(), 1)).collect();
            let mut credits = BTreeMap::new();
            let mut counts = BTreeMap::new();
            run(&mut credits, &old, before, &mut counts);
            let mut after = BTreeMap::new();
            run(&mut credits, &all, rounds * (n + 1), &mut after);
            let newcomer = after.get(names[n].as_str()).copied().unwrap_or(0);
            prop_assert!(newcomer <= rounds as u64 + 1);
            prop_assert!(newcomer + 1 >= rounds as u64);
            // The old members stay fair overall, counting picks before and after the edit.
            for (k, v) in after { *counts.entry(k).or_default() += v; }
            let olds: Vec<u64> = names[..n].iter().map(|s| counts.get(s.as_str()).copied().unwrap_or(0)).collect();
            let (mx, mn) = (olds.iter().max().copied().unwrap_or(0), olds.iter().min().copied().unwrap_or(0));
            prop_assert!(mx - mn <= 2);
        }

        /// A rep away for a long stretch (removed, or unavailable) gets at most its fair share
        /// plus one on return.
        #[test]
        fn a_returning_rep_is_not_flooded(n in 2usize..8, away in 1usize..200, rounds in 1usize..10) {
            let names: Vec<String> = (0..n).map(|i| format!("o{i}")).collect();
            let all: Vec<(&str, u32)> = names.iter().map(|s| (s.as_str(), 1)).collect();
            let ids: Vec<&str> = names.iter().map(String::as_str).collect();
            let mut credits = BTreeMap::new();
            let mut counts = BTreeMap::new();
            run(&mut credits, &all, 7, &mut counts);
            // o0 unavailable: still a member, not eligible.
            for _ in 0..away { let _ = pick(&mut credits, &ids, &all[1..]); }
            let mut after = BTreeMap::new();
            run(&mut credits, &all, rounds * n, &mut after);
            let back = after.get("o0").copied().unwrap_or(0);
            prop_assert!(back <= rounds as u64 + 1);
        }
    }
}
