//! Playbook compilation (crates/handoff-engine: CEL parse, static name check, lowering to the
//! native evaluator) with arbitrary text as one rule's `when`: it compiles or reports a problem,
//! never panics; a condition that compiles is evaluated for a few contacts without panicking,
//! and the native evaluator gives the cel interpreter's answer. It runs on a thread with tokio's
//! worker stack (2 MiB): a rules reload (SIGHUP, `POST /admin/rules/reload`) compiles there.
//!
//! handoff calls the cel crate under `catch_unwind`; a panic raised inside that crate is
//! printed and tolerated here (it becomes a "could not compile" problem), any other panic is
//! a crash.
#![no_main]

use std::sync::OnceLock;

use handoff::engine::agreement;
use handoff::engine::{Contact, DecideInput, Playbook, Roster, RoutingState, decide};
use libfuzzer_sys::fuzz_target;

/// The playbook around the condition: typed properties of every kind, a list, a flag.
const PLAYBOOK: &str = "name = 'fuzz'
[properties.contact]
n = 'number'
f = 'number'
s = 'string'
b = 'bool'
d = 'datetime'
email = 'string'
[properties.company]
size = 'number'
[definitions.lists]
l = ['a.com', 'b.com', '1']
[[definitions.flags]]
id = 'f1'
when = 'has(contact.n)'
[scoring]
handoff_threshold = 1
tiers = [{ id = 'A', min_score = 1 }]
[routing]
fallback_owner = 'q'
[calendars.c]
time_zone = 'UTC'
hours = { mon = ['09:00-17:00'] }
[sla]
default_calendar = 'c'
tiers = [{ id = 'A', first_touch = '1h' }]
";

fn contacts() -> &'static [Contact] {
    static CONTACTS: OnceLock<Vec<Contact>> = OnceLock::new();
    CONTACTS.get_or_init(|| {
        [
            r#"{"id": "1", "properties": {"n": "7", "f": "2.5", "s": "ab", "b": "true",
                "d": "1700000000000", "email": "u@a.com"}, "company": {"properties": {"size": "1200"}}}"#,
            r#"{"id": "2", "properties": {"n": "-3", "f": "x", "s": "", "b": "no",
                "d": "2026-11-24", "email": "none"}}"#,
            r#"{"id": "3", "properties": {"n": "9223372036854775807", "f": "1e308", "s": "Ünï",
                "b": "maybe", "d": null, "email": "u@B.com"}}"#,
            r#"{"id": "4"}"#,
        ]
        .iter()
        .map(|text| Contact::from_json(text).expect("a fixture contact"))
        .collect()
    })
}

/// Tokio's default worker-thread stack.
const WORKER_STACK: usize = 2 * 1024 * 1024;

fn tolerate_cel_panics() {
    let abort = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.location().is_some_and(|l| l.file().contains("/cel-")) {
            eprintln!("cel panicked (caught by handoff): {info}");
        } else {
            abort(info);
        }
    }));
}

fuzz_target!(init: tolerate_cel_panics(), |data: &[u8]| {
    let Ok(when) = std::str::from_utf8(data) else {
        return;
    };
    let when = when.to_owned();
    let worker = std::thread::Builder::new()
        .stack_size(WORKER_STACK)
        .spawn(move || check(&when))
        .expect("a thread");
    if worker.join().is_err() {
        std::process::abort();
    }
});

fn check(when: &str) {
    let rule = format!(
        "[[scoring.fit]]\nid = 'r'\nwhen = {}\npoints = 1\n",
        toml::Value::String(when.to_owned())
    );
    let playbook = match Playbook::from_toml_str(&format!("{PLAYBOOK}{rule}")) {
        Ok(playbook) => playbook,
        Err(problems) => {
            assert!(!problems.is_empty(), "a refusal without a reason");
            return;
        }
    };
    let now = "2026-11-24T09:00:00Z".parse().expect("a timestamp");
    let roster = Roster::default();
    for contact in contacts() {
        if let Err(disagreement) = agreement::check(&playbook, contact, now) {
            panic!("contact {}: {disagreement}", contact.id);
        }
        let input = DecideInput {
            contact,
            roster: &roster,
            missed_sla_by: &[],
        };
        let _ = decide(&input, &playbook, now, &RoutingState::default());
    }
}
