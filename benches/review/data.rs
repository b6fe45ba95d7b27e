//! The ledger the review benchmark reads, generated deterministically (splitmix64, no RNG
//! crate): per portal, leads spread over the reviewed weeks in time order, each with the
//! decisions the worker records (a real engine explanation varied per decision, and decision
//! facts) and, for most, a handoff that went through the SLA ladder, a touch, a disposition
//! with a reason, a deal, escalations and reassignments. Shapes, not exact production shares.

use serde_json::{Value, json};

/// Reps: the default roster's, then more of each team (a portal with a million handoffs in a
/// quarter has dozens of reps).
const ROSTER: [(&str, &str, &str); 8] = [
    ("101", "dach", "dach-ae"),
    ("102", "dach", "dach-ae"),
    ("103", "dach", "dach-sdr"),
    ("104", "dach", "dach-sdr"),
    ("201", "uk", "uk-sdr"),
    ("202", "uk", "uk-sdr"),
    ("301", "us", "us-sdr"),
    ("302", "us", "us-sdr"),
];
const TEAMS: [(&str, &str); 4] = [
    ("dach", "dach-sdr"),
    ("uk", "uk-sdr"),
    ("us", "us-sdr"),
    ("inbound", "inbound-sdr"),
];
const EXTRA_REPS: u64 = 52;
const SOURCES: [&str; 7] = [
    "webinar", "ads", "organic", "referral", "event", "partner", "content",
];
const ROLES: [Option<&str>; 4] = [Some("decision_maker"), Some("champion"), None, None];
const RULES: [(&str, i64); 9] = [
    ("icp", 25),
    ("decision-maker", 20),
    ("champion", 10),
    ("enterprise-size", 15),
    ("freemail", -30),
    ("demo-request", 40),
    ("pricing-interest", 10),
    ("repeat-converter", 15),
    ("opens-email", 5),
];
const ACCEPTED: [&str; 3] = ["fit", "budget confirmed", "active project"];
const NURTURE: [&str; 5] = [
    "timing",
    "no project yet",
    "researching",
    "too early",
    "no budget this year",
];
const DISQUALIFIED: [&str; 6] = [
    "competitor",
    "student",
    "wrong country",
    "duplicate",
    "spam",
    "too small",
];
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// splitmix64: fast, deterministic, good enough to spread shapes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// 0 ≤ x < n.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as u64) as i64
    }
}

/// One row of `decisions`.
pub struct Decision {
    pub portal_id: i64,
    pub contact_id: i64,
    pub decided_at_ms: i64,
    pub trigger: &'static str,
    pub outcome: &'static str,
    pub owner_id: Option<String>,
    pub explanation: String,
    pub score_total: i64,
    pub tier: Option<String>,
    pub source: String,
    pub buying_role: Option<String>,
    pub route_kind: Option<String>,
    pub route_pool: Option<String>,
    pub fallback_from: Option<String>,
    pub rules: String,
    pub contact: String,
}

/// One row of `handoffs`.
pub struct Handoff {
    pub portal_id: i64,
    pub contact_id: i64,
    pub status: &'static str,
    pub owner_id: String,
    pub team: String,
    pub score: i64,
    pub tier: String,
    pub sla_tier: String,
    pub source: String,
    pub trace_id: String,
    pub task_id: String,
    pub handed_off_at_ms: i64,
    pub sla_due_at_ms: i64,
    pub close_loop_due_ms: i64,
    pub sla_plan: String,
    pub task_text: String,
    pub first_touch_at_ms: Option<i64>,
    pub sla_met: Option<i64>,
    pub escalations: i64,
    pub reassignments: i64,
    pub missed_by: String,
    pub disposition: Option<&'static str>,
    pub disposition_reason: Option<&'static str>,
    pub disposition_at_ms: Option<i64>,
    pub deal_amount: Option<f64>,
}

/// What one lead adds to the ledger.
#[derive(Default)]
pub struct Lead {
    pub decisions: Vec<Decision>,
    pub handoff: Option<Handoff>,
}

/// The leads of one portal: `handoffs` handed-off leads plus a quarter as many that never were
/// (not ready, disqualified, ready without a handoff), evenly over `[since_ms, now_ms)`.
pub struct Portal {
    pub portal_id: i64,
    pub handoffs: u64,
    pub since_ms: i64,
    pub now_ms: i64,
}

impl Portal {
    /// Leads in all, in time order.
    pub fn leads(&self) -> u64 {
        self.handoffs + self.handoffs / 4
    }
}

/// Varies the engine's explanation per decision; one `Value` reused, so only the changed
/// fields are rebuilt.
pub struct Generator {
    template: Value,
    rng: Rng,
}

struct Route {
    owner: String,
    team: &'static str,
    kind: &'static str,
    pool: Option<&'static str>,
    fallback_from: Option<&'static str>,
}

impl Generator {
    pub fn new(explanation: &str, seed: u64) -> Self {
        Self {
            template: serde_json::from_str(explanation).expect("engine explanation is JSON"),
            rng: Rng::new(seed),
        }
    }

    fn route(&mut self) -> Route {
        let r = &mut self.rng;
        let (owner, team, pool) = if r.chance(0.3) {
            let &(o, t, p) = r.pick(&ROSTER);
            (o.to_owned(), t, p)
        } else {
            let n = r.below(EXTRA_REPS);
            let &(t, p) = &TEAMS[(n % 4) as usize];
            (format!("{}", 9001 + n), t, p)
        };
        let (kind, pool, fallback_from) = match r.below(100) {
            0..=69 => ("pool", Some(pool), None),
            70..=79 => ("sticky", None, None),
            80..=87 => ("account_match", None, None),
            88..=94 => ("rule_owner", None, None),
            95..=98 => ("pool", Some("inbound-sdr"), Some(pool)),
            _ => ("global_fallback", None, Some(pool)),
        };
        Route {
            owner,
            team,
            kind,
            pool,
            fallback_from,
        }
    }

    fn rules(&mut self) -> Vec<(&'static str, i64)> {
        RULES
            .iter()
            .copied()
            .filter(|_| self.rng.chance(0.35))
            .collect()
    }

    /// The explanation of one decision: the engine's, with this decision's facts.
    fn explain(&mut self, d: &Decision, route: Option<&Route>, matched: &[(&str, i64)]) -> String {
        let t = &mut self.template;
        t["contact_id"] = json!(d.contact_id.to_string());
        t["decided_at"] = json!(d.decided_at_ms);
        t["outcome"] = json!(match d.outcome {
            "handed_off" => "hand_off",
            other => other,
        });
        t["buying_role"] = json!(d.buying_role);
        let fit: Vec<Value> = matched
            .iter()
            .map(|(id, p)| json!({"id": id, "points": p, "base_points": p}))
            .collect();
        t["score"]["fit"]["matched"] = Value::Array(fit);
        t["score"]["engagement"]["matched"] = json!([]);
        t["score"]["total"] = json!(d.score_total);
        t["score"]["tier"] = json!(d.tier);
        t["readiness"]["ready"] = json!(d.outcome == "handed_off");
        t["routing"]["assignment"] = match route {
            Some(r) => json!({"owner_id": r.owner, "owner_name": format!("Rep {}", r.owner),
                "team": r.team, "via": {"kind": r.kind, "pool": r.pool}}),
            None => Value::Null,
        };
        t.to_string()
    }

    /// Lead `i` of `portal` (contact ids count up from 1).
    pub fn lead(&mut self, portal: &Portal, i: u64) -> Lead {
        let span = portal.now_ms - 10 * MINUTE - portal.since_ms;
        let at = portal.since_ms + (i as i128 * span as i128 / portal.leads() as i128) as i64;
        let contact_id = i as i64 + 1;
        // Every fifth lead is one that was never handed off.
        let handed = i % 5 != 4 || portal.leads() - portal.handoffs <= i / 5;
        let mut lead = Lead::default();
        if !handed {
            let outcome = match self.rng.below(100) {
                0..=59 => "not_ready",
                60..=87 => "disqualified",
                _ => "handed_off",
            };
            lead.decisions
                .push(self.decision(portal.portal_id, contact_id, at, outcome, None));
            return lead;
        }
        if self.rng.chance(0.2) {
            let earlier = at - self.rng.between(HOUR, 3 * DAY);
            let d = self.decision(portal.portal_id, contact_id, earlier, "not_ready", None);
            lead.decisions.push(d);
        }
        let route = self.route();
        let d = self.decision(portal.portal_id, contact_id, at, "handed_off", Some(&route));
        let h = self.handoff(portal, &d, route, &mut lead);
        lead.decisions.insert(lead.decisions.len(), d);
        lead.decisions.sort_by_key(|d| d.decided_at_ms);
        lead.handoff = Some(h);
        lead
    }

    fn decision(
        &mut self,
        portal_id: i64,
        contact_id: i64,
        at: i64,
        outcome: &'static str,
        route: Option<&Route>,
    ) -> Decision {
        let matched = self.rules();
        let score_total = matched.iter().map(|(_, p)| p).sum::<i64>() + self.rng.between(0, 30);
        let tier = match score_total {
            80.. => Some("A"),
            60..=79 => Some("B"),
            40..=59 => Some("C"),
            _ => None,
        };
        let source = self.rng.pick(&SOURCES).to_string();
        let mut d = Decision {
            portal_id,
            contact_id,
            decided_at_ms: at,
            trigger: "contact.creation",
            outcome,
            owner_id: route.map(|r| r.owner.clone()),
            explanation: String::new(),
            score_total,
            tier: tier.map(str::to_owned),
            buying_role: self.rng.pick(&ROLES).map(str::to_owned),
            route_kind: route.map(|r| r.kind.to_owned()),
            route_pool: route.and_then(|r| r.pool.map(str::to_owned)),
            fallback_from: route.and_then(|r| r.fallback_from.map(str::to_owned)),
            rules: serde_json::to_string(&matched.iter().map(|(id, _)| id).collect::<Vec<_>>())
                .unwrap_or_default(),
            contact: json!({"id": contact_id.to_string(), "properties": {
                "email": format!("lead{contact_id}@example{}.com", contact_id % 97),
                "firstname": "Alex", "lastname": format!("Lead{contact_id}"),
                "jobtitle": "Head of Operations", "country": "DE",
                "hs_analytics_source": source, "recent_conversion_event_name": "demo"},
                "company": {"name": format!("Company {}", contact_id % 5000), "numberofemployees": "250"}})
            .to_string(),
            source,
        };
        d.explanation = self.explain(&d, route, &matched);
        d
    }

    /// The handoff of decision `d`: touched, escalated, reassigned and disposed as a lead of
    /// its age would be by `portal.now_ms`. A reassignment adds its decision to `lead`.
    fn handoff(&mut self, portal: &Portal, d: &Decision, route: Route, lead: &mut Lead) -> Handoff {
        let r = &mut self.rng;
        let at = d.decided_at_ms;
        let age = portal.now_ms - at;
        let sla = *r.pick(&[10 * MINUTE, HOUR, 4 * HOUR, DAY]);
        let due = at + sla;
        let touch = at + r.between(2 * MINUTE, sla + sla / 2);
        let first_touch = (r.chance(0.9) && touch < portal.now_ms).then_some(touch);
        let late = first_touch.map_or(due < portal.now_ms, |t| t > due);
        let escalations = if late { r.between(1, 3) } else { 0 };
        let mut owner = route.owner.clone();
        let mut missed_by = "[]".to_owned();
        let reassigned = late && r.chance(0.15);
        if reassigned {
            missed_by = format!("[\"{owner}\"]");
            let next = self.route();
            owner = next.owner.clone();
            let mut again = self.decision(
                d.portal_id,
                d.contact_id,
                due + MINUTE,
                "handed_off",
                Some(&next),
            );
            again.trigger = "sla.reassign";
            lead.decisions.push(again);
        }
        let r = &mut self.rng;
        let decided = (age as f64 / (3 * DAY) as f64).min(1.0) * 0.85;
        let (status, disposition) = if r.chance(0.02) {
            ("merged", None)
        } else if r.chance(decided) {
            let d = match r.below(100) {
                0..=34 => "accepted",
                35..=64 => "nurture",
                _ => "disqualified",
            };
            ("closed", Some(d))
        } else {
            ("open", None)
        };
        let reasons: &[&'static str] = match disposition {
            Some("accepted") => &ACCEPTED,
            Some("nurture") => &NURTURE,
            _ => &DISQUALIFIED,
        };
        let reason = disposition
            .map(|_| *r.pick(reasons))
            .filter(|_| r.chance(0.9));
        let disposition_at =
            disposition.map(|_| (at + r.between(HOUR, 3 * DAY)).min(portal.now_ms));
        let deal = (disposition == Some("accepted") && r.chance(0.6))
            .then(|| r.between(5_000, 120_000) as f64);
        Handoff {
            portal_id: d.portal_id,
            contact_id: d.contact_id,
            status,
            owner_id: owner,
            team: route.team.to_owned(),
            score: d.score_total,
            tier: d.tier.clone().unwrap_or_else(|| "C".into()),
            sla_tier: d.tier.clone().unwrap_or_else(|| "C".into()),
            source: d.source.clone(),
            trace_id: format!("{:016x}{:016x}", r.next(), r.next()),
            task_id: format!("{}", 10_000_000 + d.contact_id),
            handed_off_at_ms: at,
            sla_due_at_ms: due,
            close_loop_due_ms: at + 3 * DAY,
            sla_plan: json!([{"action": "remind", "at_ms": due - sla / 2, "target": route.owner},
                {"action": "escalate", "at_ms": due, "target": "100"},
                {"action": "reassign", "at_ms": due + sla, "target": "pool"}])
            .to_string(),
            task_text: json!({"subject": format!("Call lead {} (tier {})", d.contact_id, d.tier.as_deref().unwrap_or("C")),
                "body": format!("Lead {} came in via {}. Matched: {}.", d.contact_id, d.source, d.rules),
                "priority": "HIGH", "type": "CALL"})
            .to_string(),
            first_touch_at_ms: first_touch,
            sla_met: first_touch.map(|t| i64::from(t <= due)),
            escalations,
            reassignments: i64::from(reassigned),
            missed_by,
            disposition,
            disposition_reason: reason,
            disposition_at_ms: disposition_at,
            deal_amount: deal,
        }
    }
}
