//! The contact as a decision read it, kept with the decision so a candidate playbook can be
//! replayed over the recorded leads (`handoff simulate --playbook FILE`): exactly the
//! properties the playbook reads — those it declares for conditions, the dates engagement
//! decay reads, the disposition map's properties, the routing fields (geography,
//! firmographics, owner) and `email` (its domain is a condition input) — of the contact and of its company. Nothing else the worker
//! read (touch properties, deal amount) is kept: the snapshot is personal data and is erased
//! with the contact's decisions.

use std::collections::{BTreeMap, BTreeSet};

use crate::contact::{Company, Contact};
use crate::playbook::compile::Playbook;

/// The names a decision with `pb` can read: (contact properties, company properties).
pub(crate) fn read_properties(pb: &Playbook) -> (BTreeSet<&str>, BTreeSet<&str>) {
    let doc = &pb.doc;
    let f = &doc.routing.fields;
    let routing = [
        &f.country,
        &f.state,
        &f.postal_code,
        &f.employees,
        &f.revenue,
        &f.owner,
    ];
    let mut contact: BTreeSet<&str> = doc.properties.contact.keys().map(String::as_str).collect();
    let mut company: BTreeSet<&str> = doc.properties.company.keys().map(String::as_str).collect();
    for name in routing.into_iter().filter(|n| !n.is_empty()) {
        contact.insert(name);
        company.insert(name);
    }
    let s = &doc.scoring;
    contact.extend(
        s.fit
            .iter()
            .chain(&s.engagement)
            .filter_map(|r| r.at.as_deref()),
    );
    for rule in &doc.dispositions.map {
        contact.insert(rule.property.as_str());
        contact.extend(rule.reason_property.as_deref());
    }
    contact.insert("email");
    (contact, company)
}

/// `c` cut down to what `pb` reads (see the module doc). Deciding the snapshot with `pb`
/// gives the same decision as deciding `c`.
pub fn snapshot(c: &Contact, pb: &Playbook) -> Contact {
    let (contact, company) = read_properties(pb);
    let keep = |props: &BTreeMap<String, Option<String>>, names: &BTreeSet<&str>| {
        props
            .iter()
            .filter(|(k, _)| names.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    Contact {
        id: c.id,
        properties: keep(&c.properties, &contact),
        company: c.company.as_ref().map(|co| Company {
            id: co.id.clone(),
            properties: keep(&co.properties, &company),
        }),
        event: c.event.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{example, ts};
    use crate::{DecideInput, RoutingState, decide};

    #[test]
    fn a_snapshot_keeps_only_what_the_playbook_reads_and_decides_the_same() {
        let (pb, roster, contacts) = example();
        let now = ts("2026-11-24T09:00:00Z");
        for c in &contacts {
            let mut noisy = c.clone();
            noisy
                .properties
                .insert("favourite_colour".into(), Some("teal".into()));
            if let Some(co) = noisy.company.as_mut() {
                co.properties
                    .insert("ceo_home_address".into(), Some("1 Main St".into()));
            }
            let snap = snapshot(&noisy, &pb);
            assert!(!snap.properties.contains_key("favourite_colour"));
            assert!(
                snap.company
                    .as_ref()
                    .is_none_or(|co| !co.properties.contains_key("ceo_home_address"))
            );
            let run = |c: &Contact| {
                let input = DecideInput {
                    contact: c,
                    roster: &roster,
                    missed_sla_by: &[],
                };
                decide(&input, &pb, now, &RoutingState::default()).0
            };
            assert_eq!(run(&snap), run(c), "contact {}", c.id);
        }
    }

    #[test]
    fn routing_fields_and_email_are_kept_even_when_not_declared() {
        let (pb, _, _) = example();
        let mut doc = pb.doc.clone();
        doc.routing.fields.postal_code = "plz".into();
        assert!(!doc.properties.contact.contains_key("plz"));
        let pb = Playbook::from_doc(doc).unwrap_or_else(|p| panic!("{p:#?}"));
        let mut c = Contact::new(handoff_ids::ContactId::new(1).unwrap());
        for (k, v) in [("plz", "10115"), ("email", "a@b.example"), ("x", "y")] {
            c.properties.insert(k.into(), Some(v.into()));
        }
        c.company = Some(Company {
            id: Some("9".into()),
            properties: [("plz".to_owned(), Some("80331".to_owned()))].into(),
        });
        let snap = snapshot(&c, &pb);
        let names: Vec<&str> = snap.properties.keys().map(String::as_str).collect();
        assert_eq!(names, ["email", "plz"]);
        assert_eq!(snap.company_get("plz"), Some("80331"));
    }
}
