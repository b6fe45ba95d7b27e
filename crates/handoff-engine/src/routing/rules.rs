//! Routing rule criteria: territory (country, state/region, postal prefix), segment (employee
//! and revenue bands, company first), score tier and an optional CEL condition.

use super::RouteInput;
use crate::contact::Contact;
use crate::playbook::{RouteRuleDoc, RoutingDoc, RoutingFieldsDoc, SegmentDoc, TerritoryDoc};

fn eq_any(list: &[String], value: Option<&str>) -> bool {
    list.is_empty() || value.is_some_and(|v| list.iter().any(|x| x.eq_ignore_ascii_case(v)))
}

/// A contact or company field (contact first for geography: it is where the person is).
fn geo<'a>(c: &'a Contact, name: &str) -> Option<&'a str> {
    c.get(name).or_else(|| c.company_get(name))
}

pub(crate) fn territory_matches(t: &TerritoryDoc, c: &Contact, f: &RoutingFieldsDoc) -> bool {
    let postal = geo(c, &f.postal_code).map(|p| p.replace(' ', "").to_ascii_uppercase());
    let postal_ok = t.postal_prefixes.is_empty()
        || postal.is_some_and(|p| {
            t.postal_prefixes
                .iter()
                .any(|x| p.starts_with(&x.replace(' ', "").to_ascii_uppercase()))
        });
    eq_any(&t.countries, geo(c, &f.country)) && eq_any(&t.states, geo(c, &f.state)) && postal_ok
}

/// Firmographics read the company first (HubSpot's source of truth), then the contact.
fn number(c: &Contact, name: &str) -> Option<f64> {
    c.company_get(name)
        .or_else(|| c.get(name))
        .and_then(|v| v.replace([',', '_'], "").parse::<f64>().ok())
}

fn in_band(v: Option<f64>, min: Option<f64>, max: Option<f64>) -> bool {
    if min.is_none() && max.is_none() {
        return true;
    }
    v.is_some_and(|v| min.is_none_or(|m| v >= m) && max.is_none_or(|m| v < m))
}

/// The first segment whose bands hold, if any.
pub(crate) fn segment_of<'a>(
    segments: &'a [SegmentDoc],
    c: &Contact,
    f: &RoutingFieldsDoc,
) -> Option<&'a str> {
    let employees = number(c, &f.employees);
    let revenue = number(c, &f.revenue);
    segments
        .iter()
        .find(|s| {
            #[allow(clippy::cast_precision_loss)] // employee counts are far below 2^52
            let (lo, hi) = (
                s.min_employees.map(|v| v as f64),
                s.max_employees.map(|v| v as f64),
            );
            in_band(employees, lo, hi) && in_band(revenue, s.min_revenue, s.max_revenue)
        })
        .map(|s| s.id.as_str())
}

/// Why `rule` does not match, by territory, segment or score tier (its condition is evaluated
/// by the caller, and only when these match); `None` when they all do.
pub(crate) fn miss(r: &RoutingDoc, rule: &RouteRuleDoc, input: &RouteInput<'_>) -> Option<String> {
    let territory_ok = rule.territory.as_ref().is_none_or(|t| {
        r.territories
            .get(t)
            .is_some_and(|t| territory_matches(t, input.contact, &r.fields))
    });
    let segment_ok = rule
        .segment
        .as_ref()
        .is_none_or(|s| input.segment == Some(s.as_str()));
    let tier_ok = rule.score_tiers.is_empty()
        || input
            .tier
            .is_some_and(|t| rule.score_tiers.iter().any(|x| x == t));
    if !territory_ok {
        Some(format!(
            "outside territory {}",
            rule.territory.as_deref().unwrap_or_default()
        ))
    } else if !segment_ok {
        let seg = input.segment.unwrap_or("none");
        Some(format!(
            "segment {seg}, not {}",
            rule.segment.as_deref().unwrap_or_default()
        ))
    } else if !tier_ok {
        Some(format!(
            "tier {}, not in [{}]",
            input.tier.unwrap_or("none"),
            rule.score_tiers.join(", ")
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(props: &[(&str, &str)], company: &[(&str, &str)]) -> Contact {
        let mut c = Contact::new(handoff_ids::ContactId::new(1).unwrap());
        for (k, v) in props {
            c.properties.insert((*k).into(), Some((*v).into()));
        }
        let mut co = crate::contact::Company::default();
        for (k, v) in company {
            co.properties.insert((*k).into(), Some((*v).into()));
        }
        c.company = Some(co);
        c
    }

    #[test]
    fn territory_by_country_state_and_postal_prefix() {
        let f = RoutingFieldsDoc::default();
        let dach = TerritoryDoc {
            countries: vec!["DE".into(), "AT".into(), "CH".into()],
            ..Default::default()
        };
        let west = TerritoryDoc {
            countries: vec!["US".into()],
            states: vec!["CA".into(), "WA".into()],
            ..Default::default()
        };
        let london = TerritoryDoc {
            countries: vec!["GB".into()],
            postal_prefixes: vec!["EC".into(), "W1".into()],
            ..Default::default()
        };
        assert!(territory_matches(
            &dach,
            &contact(&[("country", "de")], &[]),
            &f
        ));
        assert!(!territory_matches(&dach, &contact(&[], &[]), &f));
        assert!(territory_matches(
            &west,
            &contact(&[("country", "US"), ("state", "CA")], &[]),
            &f
        ));
        assert!(!territory_matches(
            &west,
            &contact(&[("country", "US"), ("state", "NY")], &[]),
            &f
        ));
        assert!(territory_matches(
            &london,
            &contact(&[("country", "GB"), ("zip", "ec1a 1bb")], &[]),
            &f
        ));
        assert!(territory_matches(
            &london,
            &contact(&[("zip", "W1A")], &[("country", "GB")]),
            &f
        ));
    }

    #[test]
    fn segment_is_first_band_that_holds_company_first() {
        let f = RoutingFieldsDoc::default();
        let segs = vec![
            SegmentDoc {
                id: "enterprise".into(),
                min_employees: Some(1000),
                ..Default::default()
            },
            SegmentDoc {
                id: "mid".into(),
                min_employees: Some(100),
                max_employees: Some(1000),
                ..Default::default()
            },
            SegmentDoc {
                id: "smb".into(),
                max_employees: Some(100),
                ..Default::default()
            },
        ];
        let c = contact(
            &[("numberofemployees", "5")],
            &[("numberofemployees", "2,500")],
        );
        assert_eq!(segment_of(&segs, &c, &f), Some("enterprise"));
        assert_eq!(
            segment_of(&segs, &contact(&[("numberofemployees", "100")], &[]), &f),
            Some("mid")
        );
        assert_eq!(segment_of(&segs, &contact(&[], &[]), &f), None);
    }
}
