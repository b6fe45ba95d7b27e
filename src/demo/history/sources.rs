//! Where the simulated portal's leads come from: five sources, what kind of lead each brings
//! (roles, company sizes, engagement), and how their mix changes over the weeks — partner
//! referrals and paid ads grow, a trade show every five weeks.

/// Where leads come from (the source property's value), and what each source brings.
#[derive(Debug, Clone, Copy)]
pub(super) struct Source {
    pub(super) name: &'static str,
    /// The offer its leads converted on (`recent_conversion_event_name`) when not a demo.
    pub(super) offer: &'static str,
    /// Share of its leads asking for a demo, a decision maker, a champion, a student.
    pub(super) demo: f64,
    pub(super) decision_maker: f64,
    pub(super) champion: f64,
    pub(super) student: f64,
    /// Share converting three times or more (`repeat-converter`), using a freemail address,
    /// from an enterprise (1000+) and a mid-market (100+) company.
    pub(super) repeat: f64,
    pub(super) freemail: f64,
    pub(super) enterprise: f64,
    pub(super) mid_market: f64,
}

/// The five sources; their weights per week are `weight`'s.
pub(super) const SOURCES: [Source; 5] = [
    Source {
        name: "webinar",
        offer: "Webinar: lead routing in practice",
        demo: 0.15,
        decision_maker: 0.25,
        champion: 0.30,
        student: 0.03,
        repeat: 0.45,
        freemail: 0.08,
        enterprise: 0.15,
        mid_market: 0.45,
    },
    Source {
        name: "paid-ads",
        offer: "Landing page: free trial",
        demo: 0.40,
        decision_maker: 0.20,
        champion: 0.30,
        student: 0.06,
        repeat: 0.15,
        freemail: 0.25,
        enterprise: 0.08,
        mid_market: 0.30,
    },
    Source {
        name: "partner-referral",
        offer: "Partner referral",
        demo: 0.50,
        decision_maker: 0.50,
        champion: 0.30,
        student: 0.0,
        repeat: 0.10,
        freemail: 0.02,
        enterprise: 0.35,
        mid_market: 0.45,
    },
    Source {
        name: "content-download",
        offer: "Ebook: CRM hygiene",
        demo: 0.08,
        decision_maker: 0.15,
        champion: 0.15,
        student: 0.08,
        repeat: 0.75,
        freemail: 0.15,
        enterprise: 0.12,
        mid_market: 0.35,
    },
    Source {
        name: "trade-show",
        offer: "Trade show: badge scan",
        demo: 0.25,
        decision_maker: 0.45,
        champion: 0.35,
        student: 0.02,
        repeat: 0.10,
        freemail: 0.05,
        enterprise: 0.30,
        mid_market: 0.40,
    },
];

/// The weeks (0 = the oldest) with a trade show: its source spikes then.
pub(super) fn trade_show_week(week: usize) -> bool {
    week % 5 == 3
}

/// How likely each source is in `week` of `weeks`: partner referrals grow, paid ads too.
pub(super) fn weight(source: &Source, week: usize, weeks: usize) -> f64 {
    let t = week as f64 / weeks.saturating_sub(1).max(1) as f64;
    match source.name {
        "webinar" => 0.22,
        "paid-ads" => 0.24 + 0.08 * t,
        "partner-referral" => 0.08 + 0.12 * t,
        "content-download" => 0.22,
        _ if trade_show_week(week) => 0.40,
        _ => 0.03,
    }
}
