//! First touch: which sales sequence a handed-off lead is enrolled in. `[[playbook.sequences]]`
//! rules map the lead's source, offer and tier to a HubSpot sequence id; the first rule that
//! matches wins, no match means no enrollment. Pure: the worker enrolls (`worker::pipeline::sequence`).

use serde::{Deserialize, Serialize};

/// One mapping rule. Empty lists match anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceRuleDoc {
    /// Matches when the lead's source contains any of these, case-insensitively.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Matches when the lead's offer (e.g. `recent_conversion_event_name`) contains any of
    /// these, case-insensitively.
    #[serde(default)]
    pub offers: Vec<String>,
    /// Matches when the lead's score tier is one of these (ids of `[[playbook.scoring.tiers]]`).
    #[serde(default)]
    pub tiers: Vec<String>,
    /// The HubSpot sequence id (digits), as shown in the sequence's URL.
    pub sequence_id: String,
}

/// What a rule is matched against.
#[derive(Clone, Copy, Debug, Default)]
pub struct SequenceContext<'a> {
    pub source: Option<&'a str>,
    pub offer: Option<&'a str>,
    pub tier: Option<&'a str>,
}

fn contains_any(list: &[String], value: Option<&str>) -> bool {
    if list.is_empty() {
        return true;
    }
    let Some(v) = value.map(str::to_lowercase) else {
        return false;
    };
    list.iter().any(|s| v.contains(&s.to_lowercase()))
}

/// The sequence id of the first rule matching `ctx`.
pub fn pick<'a>(rules: &'a [SequenceRuleDoc], ctx: &SequenceContext<'_>) -> Option<&'a str> {
    rules
        .iter()
        .find(|r| {
            contains_any(&r.sources, ctx.source)
                && contains_any(&r.offers, ctx.offer)
                && (r.tiers.is_empty() || ctx.tier.is_some_and(|t| r.tiers.iter().any(|x| x == t)))
        })
        .map(|r| r.sequence_id.as_str())
}

/// Structural problems, with key paths: a sequence id must be digits, a tier must exist.
pub fn validate(
    rules: &[SequenceRuleDoc],
    tiers: &std::collections::BTreeSet<&str>,
    push: &mut dyn FnMut(String, String),
) {
    for (i, r) in rules.iter().enumerate() {
        let at = format!("playbook.sequences[{i}]");
        let id = r.sequence_id.trim();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            push(
                format!("{at}.sequence_id"),
                format!(
                    "`{}` is not a HubSpot sequence id (digits only)",
                    r.sequence_id
                ),
            );
        }
        for (j, t) in r.tiers.iter().enumerate() {
            if !tiers.contains(t.as_str()) {
                push(format!("{at}.tiers[{j}]"), format!("unknown tier `{t}`"));
            }
        }
        for (field, list) in [("sources", &r.sources), ("offers", &r.offers)] {
            for (j, s) in list.iter().enumerate() {
                if s.trim().is_empty() {
                    push(format!("{at}.{field}[{j}]"), "must not be empty".into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(sources: &[&str], offers: &[&str], tiers: &[&str], id: &str) -> SequenceRuleDoc {
        let v = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
        SequenceRuleDoc {
            sources: v(sources),
            offers: v(offers),
            tiers: v(tiers),
            sequence_id: id.into(),
        }
    }

    fn ctx<'a>(source: &'a str, offer: &'a str, tier: &'a str) -> SequenceContext<'a> {
        SequenceContext {
            source: Some(source),
            offer: Some(offer),
            tier: Some(tier),
        }
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let rules = [
            rule(&[], &["demo"], &["A"], "111"),
            rule(&[], &["demo"], &[], "222"),
            rule(&[], &[], &[], "333"),
        ];
        assert_eq!(
            pick(&rules, &ctx("ORGANIC", "Pricing demo", "A")),
            Some("111")
        );
        assert_eq!(
            pick(&rules, &ctx("ORGANIC", "Pricing DEMO", "B")),
            Some("222")
        );
        assert_eq!(pick(&rules, &ctx("ORGANIC", "Ebook", "A")), Some("333"));
    }

    #[test]
    fn no_rule_matching_means_no_enrollment() {
        let rules = [rule(&["paid"], &[], &["A"], "111")];
        assert_eq!(pick(&rules, &ctx("ORGANIC_SEARCH", "demo", "A")), None);
        assert_eq!(pick(&rules, &ctx("PAID_SEARCH", "demo", "B")), None);
        assert_eq!(pick(&rules, &SequenceContext::default()), None);
        assert_eq!(pick(&rules, &ctx("PAID_SEARCH", "demo", "A")), Some("111"));
        assert_eq!(pick(&[], &ctx("PAID_SEARCH", "demo", "A")), None);
    }

    #[test]
    fn a_rule_with_a_condition_does_not_match_a_lead_missing_that_value() {
        let rules = [rule(&[], &["demo"], &[], "111")];
        let no_offer = SequenceContext {
            source: Some("demo"),
            offer: None,
            tier: Some("A"),
        };
        assert_eq!(pick(&rules, &no_offer), None);
    }

    #[test]
    fn validation_names_the_key_of_each_problem() {
        let rules = [
            rule(&[""], &[], &["Z"], "12ab"),
            rule(&[], &[], &["A"], "4242"),
        ];
        let tiers = ["A", "B"].into_iter().collect();
        let mut problems = Vec::new();
        validate(&rules, &tiers, &mut |p, m| problems.push((p, m)));
        let paths: Vec<&str> = problems.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "playbook.sequences[0].sequence_id",
                "playbook.sequences[0].tiers[0]",
                "playbook.sequences[0].sources[0]",
            ]
        );
        assert!(problems[1].1.contains("unknown tier `Z`"));
    }
}
