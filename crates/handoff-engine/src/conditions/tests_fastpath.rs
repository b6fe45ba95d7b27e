//! The native evaluator agrees with the cel interpreter: same booleans, same error classes
//! ("no value" vs other failures), on random contacts, for tricky expressions and for every
//! condition of the example playbook.

use proptest::prelude::*;

use crate::conditions::agreement;
use crate::contact::Contact;
use crate::playbook::compile::Playbook;
use crate::tests::{example, ts};

const TRICKY: [&str; 24] = [
    "contact.n > 5 || contact.s == 'x'",
    "contact.s < 'm'",
    "contact.n == 5.0",
    "contact.n + 1 > 3",
    "contact.f * 2.0 > 3.0",
    "contact.s + 'x' == 'ax'",
    "!(contact.b)",
    "contact.b && contact.n > 1",
    "contact.n in [1, 2, 3.0]",
    "contact.s in ['a', 'b']",
    "contact.s.lowerAscii().startsWith('a')",
    "contact.n > contact.f",
    "contact.s > 1",
    "contact.b || contact.s",
    "has(contact.s) && contact.s.contains('b')",
    "now_ms - contact.d < 1000",
    "contact.s.matches('^a')",
    "email_domain in lists.l",
    "contact.n in lists.l",
    "role == ''",
    "flags.f1 && contact.n > 0",
    "contact.n != contact.s",
    "contact.n * 4611686018427387904 > 0",
    "contact.s.endsWith(contact.s) == !has(contact.f)",
];

fn tricky_playbook() -> Playbook {
    let mut text = String::from(
        "name = 't'\n[properties.contact]\nn = 'number'\nf = 'number'\ns = 'string'\nb = 'bool'\nd = 'datetime'\nemail = 'string'\n\
         [definitions.lists]\nl = ['a.com', 'b.com', '1']\n[[definitions.flags]]\nid = 'f1'\nwhen = 'has(contact.n)'\n\
         [scoring]\nhandoff_threshold = 1\ntiers = [{ id = 'A', min_score = 1 }]\n\
         [routing]\nfallback_owner = 'q'\n[calendars.c]\ntime_zone = 'UTC'\nhours = { mon = ['09:00-17:00'] }\n\
         [sla]\ndefault_calendar = 'c'\ntiers = [{ id = 'A', first_touch = '1h' }]\n",
    );
    for (i, w) in TRICKY.iter().enumerate() {
        text.push_str(&format!(
            "[[scoring.fit]]\nid = 'r{i}'\nwhen = \"{w}\"\npoints = 1\n"
        ));
    }
    Playbook::from_toml_str(&text).unwrap_or_else(|p| unreachable!("{p:#?}"))
}

fn compare_all(pb: &Playbook, c: &Contact) -> Result<(), TestCaseError> {
    let now = ts("2026-11-24T09:00:00Z");
    agreement::check(pb, c, now).map_err(TestCaseError::fail)
}

fn value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        (-10i64..10).prop_map(|i| Some(i.to_string())),
        (-10.0f64..10.0).prop_map(|f| Some(format!("{f:.2}"))),
        prop_oneof![
            Just("a"),
            Just("ab"),
            Just("b"),
            Just("x"),
            Just("true"),
            Just("false"),
            Just("1"),
            Just("Abc")
        ]
        .prop_map(|s| Some(s.to_string())),
        Just(Some("1700000000000".to_string())),
    ]
}

fn any_contact() -> impl Strategy<Value = Contact> {
    (
        value(),
        value(),
        value(),
        value(),
        value(),
        prop_oneof![Just("u@a.com"), Just("u@B.com"), Just("none")],
    )
        .prop_map(|(n, f, s, b, d, email)| {
            let mut c = Contact::new(handoff_ids::ContactId::new(1).unwrap());
            for (k, v) in [("n", n), ("f", f), ("s", s), ("b", b), ("d", d)] {
                c.properties.insert(k.into(), v);
            }
            c.properties.insert("email".into(), Some(email.into()));
            c
        })
}

#[test]
fn every_tricky_expression_runs_natively() {
    let pb = tricky_playbook();
    for (path, c) in pb.conditions() {
        assert!(
            c.is_native(),
            "{path} `{}` fell back to the interpreter",
            c.source
        );
    }
}

#[test]
fn the_example_playbook_runs_natively() {
    let (pb, _, _) = example();
    for (path, c) in pb.conditions() {
        assert!(
            c.is_native(),
            "{path} `{}` fell back to the interpreter",
            c.source
        );
    }
}

#[test]
fn native_and_interpreter_agree_on_the_fixtures() {
    let (pb, _, contacts) = example();
    for c in &contacts {
        assert!(compare_all(&pb, c).is_ok(), "{}", c.id);
    }
}

proptest! {
    #[test]
    fn native_and_interpreter_agree_on_random_contacts(c in any_contact()) {
        let pb = tricky_playbook();
        compare_all(&pb, &c)?;
    }
}
