//! What the ledger never sees, only its consequences: how likely sales is to accept a lead,
//! how fast each rep touches a lead, and what an accepted lead's deal is worth. These are the
//! signals the weekly review and the tuning report should find in the outcomes:
//!
//! - sources differ, and drift: partner referrals get better week by week, paid ads worse;
//! - `repeat-converter` (+15 points in the shipped playbook) marks leads that convert *worse*
//!   (people collecting content, not buying): [`REPEAT_CONVERTER`];
//! - `champion` (+10 only) marks leads that convert *better* than the rest: [`CHAMPION`];
//! - reps differ: most touch well within the SLA, Max Richter (103) often misses it early on
//!   and improves, Marcus Reed (301) is slow, the fallback queue slowest.

use fastrand::Rng;

use super::leads::{Lead, Role};

/// How much `repeat-converter` leads' acceptance is multiplied by.
pub const REPEAT_CONVERTER: f64 = 0.4;
/// How much `champion` leads' acceptance is multiplied by.
pub const CHAMPION: f64 = 2.2;

/// The chance that sales accepts `lead` (week `lead.week` of `weeks`) once it works it.
pub(super) fn acceptance(lead: &Lead, weeks: usize) -> f64 {
    let t = lead.week as f64 / weeks.saturating_sub(1).max(1) as f64;
    let base = match lead.source.name {
        "partner-referral" => 0.40 + 0.40 * t,
        "paid-ads" => 0.45 - 0.33 * t,
        "webinar" => 0.40,
        "content-download" => 0.38,
        _ => 0.45,
    };
    let role = match lead.role {
        Role::Champion => CHAMPION,
        Role::DecisionMaker => 1.0,
        Role::Other | Role::Student => 0.6,
    };
    let repeat = if lead.repeat { REPEAT_CONVERTER } else { 1.0 };
    let freemail = if lead.freemail { 0.5 } else { 1.0 };
    let icp = if lead.target_industry && lead.employees >= 50 {
        1.2
    } else {
        0.8
    };
    (base * role * repeat * freemail * icp).clamp(0.03, 0.92)
}

/// The median share of the SLA (handoff to due) owner `owner_id` takes to touch a lead in week
/// `week` of `weeks`.
fn median_share(owner_id: &str, week: usize, weeks: usize) -> f64 {
    let t = week as f64 / weeks.saturating_sub(1).max(1) as f64;
    match owner_id {
        "101" | "302" => 0.4,
        "104" => 0.5,
        "102" => 0.6,
        "201" | "202" => 0.7,
        "103" => 1.6 - 0.9 * t,
        "301" => 1.1,
        "900" => 2.5,
        _ => 0.8,
    }
}

/// When owner `owner_id` touches a lead handed off at `handed_ms` and due at `due_ms` (an
/// hour after handoff when it has no SLA): a log-normal share of the time to due around the
/// owner's median.
pub(super) fn touch_at(
    rng: &mut Rng,
    owner_id: &str,
    (handed_ms, due_ms): (i64, Option<i64>),
    (week, weeks): (usize, usize),
) -> i64 {
    let span = due_ms.map_or(3_600_000, |due| (due - handed_ms).max(60_000));
    // Box–Muller: a standard normal from two uniforms.
    let (u1, u2) = (rng.f64().max(1e-9), rng.f64());
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    let share = median_share(owner_id, week, weeks) * (0.8 * z).exp();
    handed_ms + (span as f64 * share) as i64
}

/// Days from the first touch to the disposition, or none when the rep never sets one (one lead
/// in twelve: the close-the-loop check escalates it).
pub(super) fn days_to_disposition(rng: &mut Rng) -> Option<f64> {
    (rng.f64() >= 1.0 / 12.0).then(|| 0.2 + 4.0 * rng.f64() * rng.f64())
}

/// The properties a rep sets when closing the loop on `lead`: a lead status or lifecycle stage
/// the shipped playbook's disposition map reads, a disqualification reason, a deal amount.
pub(super) fn disposition(rng: &mut Rng, lead: &Lead, weeks: usize) -> Vec<(&'static str, String)> {
    if rng.f64() < acceptance(lead, weeks) {
        let mut set = if rng.f64() < 0.75 {
            let status = ["CONNECTED", "IN_PROGRESS", "OPEN_DEAL"][rng.usize(..3)];
            vec![("hs_lead_status", status.to_owned())]
        } else {
            vec![("lifecyclestage", "salesqualifiedlead".to_owned())]
        };
        if rng.f64() < 0.8 {
            set.push(("recent_deal_amount", deal_amount(rng, lead).to_string()));
        }
        return set;
    }
    if rng.f64() < 0.35 {
        let status = ["ATTEMPTED_TO_CONTACT", "NURTURE"][rng.usize(..2)];
        return vec![("hs_lead_status", status.to_owned())];
    }
    let reasons = [
        "no budget this year",
        "not the decision maker",
        "happy with current tool",
        "no response after 5 attempts",
        "too small for our product",
    ];
    vec![
        ("hs_lead_status", "UNQUALIFIED".to_owned()),
        (
            "hs_lead_disqualification_reason",
            reasons[rng.usize(..reasons.len())].to_owned(),
        ),
    ]
}

/// An accepted lead's deal, by company size (partner deals a quarter larger), in whole 500s.
fn deal_amount(rng: &mut Rng, lead: &Lead) -> i64 {
    let (low, high) = match lead.employees {
        1000.. => (45_000, 150_000),
        100.. => (15_000, 45_000),
        _ => (4_000, 15_000),
    };
    let amount = rng.i64(low..high) as f64;
    let partner = if lead.source.name == "partner-referral" {
        1.25
    } else {
        1.0
    };
    ((amount * partner / 500.0).round() as i64) * 500
}
