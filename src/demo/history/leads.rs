//! The simulated portal's contacts: who arrives from which source, when (mostly in the
//! business hours of the lead's region), and what their HubSpot record says — the properties
//! the shipped playbook's scoring, readiness, disqualifiers and routing read. What the record
//! does not say (how good the lead really is) is drawn here too and kept beside it, for
//! `quality.rs`.

use fastrand::Rng;
use handoff_ids::ContactId;
use jiff::Timestamp;

use super::sources::{SOURCES, Source, trade_show_week, weight};
use crate::engine::Contact;
use crate::engine::contact::Company;

/// A lead as generated: its contact, when it arrived, and what the record does not show.
#[derive(Debug, Clone)]
pub(super) struct Lead {
    pub(super) contact: Contact,
    pub(super) arrived_ms: i64,
    pub(super) week: usize,
    pub(super) source: &'static Source,
    pub(super) role: Role,
    pub(super) repeat: bool,
    pub(super) freemail: bool,
    pub(super) employees: i64,
    /// In an industry the ideal customer profile targets.
    pub(super) target_industry: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    DecisionMaker,
    Champion,
    Other,
    Student,
}

/// Countries (with a US state), their weight, and the zone their business hours are in.
const REGIONS: [(&str, Option<&str>, f64, &str); 12] = [
    ("DE", None, 0.26, "Europe/Berlin"),
    ("AT", None, 0.05, "Europe/Vienna"),
    ("CH", None, 0.06, "Europe/Zurich"),
    ("GB", None, 0.16, "Europe/London"),
    ("IE", None, 0.03, "Europe/Dublin"),
    ("US", Some("CA"), 0.09, "America/Los_Angeles"),
    ("US", Some("WA"), 0.04, "America/Los_Angeles"),
    ("US", Some("NY"), 0.09, "America/New_York"),
    ("US", Some("TX"), 0.07, "America/Chicago"),
    ("CA", None, 0.04, "America/Toronto"),
    ("FR", None, 0.05, "Europe/Paris"),
    ("IN", None, 0.04, "Asia/Kolkata"),
];

const FIRST: [&str; 16] = [
    "Anna", "Lukas", "Mia", "Felix", "Emma", "Noah", "Olivia", "James", "Sofia", "Liam", "Hannah",
    "Ethan", "Clara", "Mateo", "Zoe", "Ravi",
];
const LAST: [&str; 16] = [
    "Schmidt", "Müller", "Weber", "Brown", "Taylor", "Murphy", "Garcia", "Nguyen", "Fischer",
    "Wagner", "Evans", "Walsh", "Martin", "Patel", "Keller", "Novak",
];
const COMPANY: [&str; 12] = [
    "Nordwerk",
    "Brightledger",
    "Kestrel",
    "Alpenfeld",
    "Harbourline",
    "Bluequill",
    "Ironmoss",
    "Sunvale",
    "Quantra",
    "Lindgrove",
    "Copperleaf",
    "Westbrook",
];
const KIND: [&str; 6] = [
    "Software",
    "Analytics",
    "Logistics",
    "Health",
    "Finance",
    "Media",
];
const TARGET_INDUSTRIES: [&str; 4] = [
    "COMPUTER_SOFTWARE",
    "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "FINANCIAL_SERVICES",
    "MARKETING_AND_ADVERTISING",
];
const OTHER_INDUSTRIES: [&str; 4] = [
    "RETAIL",
    "CONSTRUCTION",
    "HOSPITAL_HEALTH_CARE",
    "EDUCATION_MANAGEMENT",
];
const TITLES_DECISION: [&str; 6] = [
    "CEO",
    "CTO",
    "VP Sales",
    "Head of Marketing",
    "Director of Revenue",
    "Founder",
];
const TITLES_CHAMPION: [&str; 4] = [
    "Sales Manager",
    "Marketing Ops Lead",
    "Revenue Operations Manager",
    "Team Lead, Inbound",
];
const TITLES_OTHER: [&str; 5] = [
    "Account Executive",
    "Marketing Specialist",
    "Business Analyst",
    "Consultant",
    "Sales Representative",
];
const TITLES_STUDENT: [&str; 2] = ["Student", "Marketing Intern"];

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

/// One index of `weights`, drawn in proportion to them.
pub(super) fn weighted(rng: &mut Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.f64() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// The leads arriving on `day` (week `week` of `weeks`): about 11 a weekday, 1 a weekend day,
/// more in a trade show's week, each at a time in its region's business hours (one in six
/// outside them), in arrival order. `next_id` numbers the contacts.
pub(super) fn day_of_leads(
    rng: &mut Rng,
    day: jiff::civil::Date,
    (week, weeks): (usize, usize),
    next_id: &mut i64,
) -> Vec<Lead> {
    let weekend = day.weekday().to_monday_one_offset() > 5;
    let growth = 1.0 + 0.25 * week as f64 / weeks.max(1) as f64;
    let show = if trade_show_week(week) { 1.3 } else { 1.0 };
    let mean = if weekend { 1.0 } else { 11.0 * growth * show };
    let n = (mean * (0.6 + 0.8 * rng.f64())).round() as usize;
    let mut leads: Vec<Lead> = (0..n)
        .filter_map(|_| {
            let lead = one(rng, day, (week, weeks), *next_id)?;
            *next_id += 1;
            Some(lead)
        })
        .collect();
    leads.sort_by_key(|l| l.arrived_ms);
    leads
}

fn one(
    rng: &mut Rng,
    day: jiff::civil::Date,
    (week, weeks): (usize, usize),
    id: i64,
) -> Option<Lead> {
    let weights: Vec<f64> = SOURCES.iter().map(|s| weight(s, week, weeks)).collect();
    let source = &SOURCES[weighted(rng, &weights)];
    let region = REGIONS[weighted(rng, &REGIONS.map(|r| r.2))];
    let arrived = arrival(rng, day, region.3)?;
    let mut lead = Lead {
        contact: Contact::new(ContactId::try_from(id).ok()?),
        arrived_ms: arrived.as_millisecond(),
        week,
        source,
        role: role(rng, source),
        repeat: rng.f64() < source.repeat,
        freemail: rng.f64() < source.freemail,
        employees: employees(rng, source),
        target_industry: rng.f64() < 0.8,
    };
    let mut properties = identity(rng, &lead);
    properties.extend(engagement(rng, &lead, region, arrived));
    lead.contact.properties = properties
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Some(v)))
        .collect();
    lead.contact.company = Some(company(rng, &lead, region.0));
    Some(lead)
}

/// A time on `day` in `zone`: in business hours (08:00–18:00) five times in six.
fn arrival(rng: &mut Rng, day: jiff::civil::Date, zone: &str) -> Option<Timestamp> {
    let minute = if rng.f64() < 0.83 {
        8 * 60 + rng.i64(0..10 * 60)
    } else {
        rng.i64(0..24 * 60)
    };
    let time = jiff::civil::Time::new((minute / 60) as i8, (minute % 60) as i8, rng.i8(0..60), 0);
    let zoned = day.to_datetime(time.ok()?).in_tz(zone).ok()?;
    Some(zoned.timestamp())
}

fn role(rng: &mut Rng, source: &Source) -> Role {
    let (dm, champion, student) = (source.decision_maker, source.champion, source.student);
    match weighted(rng, &[dm, champion, 1.0 - dm - champion - student, student]) {
        0 => Role::DecisionMaker,
        1 => Role::Champion,
        3 => Role::Student,
        _ => Role::Other,
    }
}

/// The company's size: enterprise (1000+), mid-market (100+) or small.
fn employees(rng: &mut Rng, source: &Source) -> i64 {
    let (enterprise, mid) = (source.enterprise, source.mid_market);
    match weighted(rng, &[enterprise, mid, 1.0 - enterprise - mid]) {
        0 => rng.i64(1000..20_000),
        1 => rng.i64(100..1000),
        _ => rng.i64(20..100),
    }
}

/// Who the contact is: name, e-mail (at the company, a freemail, now and then a competitor),
/// job title by role, company name.
fn identity(rng: &mut Rng, lead: &Lead) -> Vec<(&'static str, String)> {
    let (first, last) = (pick(rng, &FIRST), pick(rng, &LAST));
    let company = format!("{} {}", pick(rng, &COMPANY), pick(rng, &KIND));
    let local = format!("{}.{}", ascii(first), ascii(last));
    let email = match () {
        _ if rng.f64() < 0.01 => format!("{local}@rivalcrm.example"),
        _ if lead.freemail => format!("{local}{}@gmail.com", rng.u16(1..99)),
        _ => format!("{local}@{}.example", ascii(&company)),
    };
    let title = match lead.role {
        Role::DecisionMaker => pick(rng, &TITLES_DECISION),
        Role::Champion => pick(rng, &TITLES_CHAMPION),
        Role::Other => pick(rng, &TITLES_OTHER),
        Role::Student => pick(rng, &TITLES_STUDENT),
    };
    let mut p = vec![
        ("email", email),
        ("firstname", first.into()),
        ("lastname", last.into()),
        ("jobtitle", title.into()),
        ("company", company),
    ];
    if rng.f64() < 0.92 {
        p.push(("phone", format!("+1 555 01{:02}", rng.u8(..100))));
    }
    p
}

/// Where the contact is and what it did: country, source, offer, conversions, page views,
/// e-mail opens, and the lead status and lifecycle stage marketing handed it over with.
fn engagement(
    rng: &mut Rng,
    lead: &Lead,
    (country, state, _, _): (&str, Option<&str>, f64, &str),
    arrived: Timestamp,
) -> Vec<(&'static str, String)> {
    let offer = if rng.f64() < lead.source.demo {
        "Demo request"
    } else {
        lead.source.offer
    };
    let conversions = if lead.repeat {
        rng.u8(3..8)
    } else {
        rng.u8(1..3)
    };
    let mut p = vec![
        ("country", country.to_owned()),
        ("hs_analytics_source", lead.source.name.into()),
        ("recent_conversion_event_name", offer.into()),
        ("recent_conversion_date", arrived.to_string()),
        ("num_conversion_events", conversions.to_string()),
        ("hs_analytics_num_page_views", rng.u8(1..25).to_string()),
        ("numberofemployees", lead.employees.to_string()),
        ("hs_lead_status", "NEW".into()),
        ("lifecyclestage", "marketingqualifiedlead".into()),
    ];
    if let Some(state) = state {
        p.push(("state", state.into()));
    }
    if rng.f64() < 0.4 {
        let opened = arrived - jiff::SignedDuration::from_hours(rng.i64(1..240));
        p.push(("hs_email_last_open_date", opened.to_string()));
    }
    p
}

/// The contact's company: its size and industry.
fn company(rng: &mut Rng, lead: &Lead, country: &str) -> Company {
    let name = lead.contact.get("company").unwrap_or_default().to_owned();
    let industry = if lead.target_industry {
        pick(rng, &TARGET_INDUSTRIES)
    } else {
        pick(rng, &OTHER_INDUSTRIES)
    };
    let properties = [
        ("domain", format!("{}.example", ascii(&name))),
        ("name", name),
        ("industry", industry.into()),
        ("numberofemployees", lead.employees.to_string()),
        ("country", country.into()),
    ];
    Company {
        id: Some(format!("7{}", lead.contact.id.get())),
        properties: properties
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Some(v)))
            .collect(),
    }
}

/// `text` in lower-case ASCII letters and digits only (for e-mail addresses and domains).
fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ü' => 'u',
            'ö' => 'o',
            'ä' => 'a',
            c => c.to_ascii_lowercase(),
        })
        .filter(char::is_ascii_alphanumeric)
        .collect()
}
