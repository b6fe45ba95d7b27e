//! The simulated clock: a queue of what happens when — a lead arrives, an SLA step falls due,
//! a rep touches or closes a lead — run in time order against the ledger, each write at its
//! simulated time, through the Store API and the worker's own decision recording.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use fastrand::Rng;
use handoff_ids::PortalId;
use jiff::Timestamp;

use super::leads::{self, Lead};
use super::{HistoryOptions, Recorded, Shipped, quality};
use crate::engine::{self, DecideInput, RoutingState};
use crate::jobs::SlaAction;
use crate::store::Store;
use crate::store::ledger::{HandoffRow, Step};
use crate::worker::pipeline::decision::{Recorder, record};
use crate::worker::pipeline::reassign::{Again, Next};
use crate::worker::pipeline::stored::StoredPlan;
use crate::worker::pipeline::touch::{self, ChangeWindow};

/// What happens, to which lead or handoff. A step of a handoff carries the trace id of the
/// assignment it was planned for: after a reassignment the old owner's steps are stale.
#[derive(Debug, Clone)]
enum Event {
    Arrive(usize),
    Step(i64, String, SlaAction),
    Touch(i64, String),
    Dispose(i64),
}

pub(super) struct Sim<'a> {
    store: &'a Store,
    shipped: &'a Shipped,
    portal_id: PortalId,
    until_ms: i64,
    rng: Rng,
    /// Weeks in the history.
    weeks: usize,
    next_id: i64,
    leads: Vec<Lead>,
    /// The lead of each handoff.
    lead_of: HashMap<i64, usize>,
    /// By time, then order of scheduling.
    queue: BTreeMap<(i64, u64), Event>,
    scheduled: u64,
    pub(super) recorded: Recorded,
}

impl<'a> Sim<'a> {
    pub(super) fn new(
        store: &'a Store,
        shipped: &'a Shipped,
        options: &HistoryOptions,
        until_ms: i64,
    ) -> Self {
        Sim {
            store,
            shipped,
            portal_id: options.portal_id,
            until_ms,
            rng: Rng::with_seed(options.seed),
            weeks: options.weeks,
            next_id: super::FIRST_CONTACT_ID,
            leads: Vec::new(),
            lead_of: HashMap::new(),
            queue: BTreeMap::new(),
            scheduled: 0,
            recorded: Recorded::default(),
        }
    }

    fn schedule(&mut self, at_ms: i64, event: Event) {
        if at_ms < self.until_ms {
            self.scheduled += 1;
            self.queue.insert((at_ms, self.scheduled), event);
        }
    }

    /// The leads of `date` (week `week` of `weeks`) arrive.
    pub(super) fn add_day(&mut self, date: jiff::civil::Date, week: (usize, usize)) {
        for lead in leads::day_of_leads(&mut self.rng, date, week, &mut self.next_id) {
            self.schedule(lead.arrived_ms, Event::Arrive(self.leads.len()));
            self.leads.push(lead);
        }
    }

    /// Runs the clock until nothing is left before `until`.
    pub(super) async fn run(&mut self) -> anyhow::Result<()> {
        while let Some(((at_ms, _), event)) = self.queue.pop_first() {
            match event {
                Event::Arrive(i) => self.decide(i, at_ms).await?,
                Event::Step(id, trace, action) => self.step(id, &trace, action, at_ms).await?,
                Event::Touch(id, trace) => self.touch(id, &trace, at_ms).await?,
                Event::Dispose(id) => self.dispose(id, at_ms).await?,
            }
        }
        Ok(())
    }

    fn recorder(&self) -> Recorder<'a> {
        Recorder {
            rules: &self.shipped.rules,
            source_property: &self.shipped.pipeline.source_property,
        }
    }

    /// Lead `i` is decided at its arrival, as the worker decides a new contact.
    async fn decide(&mut self, i: usize, at_ms: i64) -> anyhow::Result<()> {
        let (recorder, contact) = (self.recorder(), &self.leads[i].contact);
        let now = Timestamp::from_millisecond(at_ms)?;
        let rules = &self.shipped.rules;
        let created = self
            .store
            .ledger()
            .record_decisions(self.portal_id, at_ms, |state: &mut RoutingState| {
                let input = DecideInput {
                    contact,
                    roster: &rules.roster,
                    missed_sla_by: &[],
                };
                let d = engine::decide_in_place(&input, &rules.playbook, now, state);
                let window = ChangeWindow {
                    start_ms: Some(at_ms),
                    changed_at_ms: None,
                };
                vec![record(
                    &recorder,
                    contact,
                    &d,
                    "contact.creation".into(),
                    window,
                )]
            })
            .await?;
        self.recorded.leads += 1;
        for (_, id) in created {
            self.recorded.handoffs += 1;
            self.lead_of.insert(id, i);
            self.plan(id, at_ms).await?;
        }
        Ok(())
    }

    /// The handoff's steps are done (owner written, task created, ladder scheduled); its
    /// owner's touch and its SLA ladder are put on the clock.
    async fn plan(&mut self, id: i64, at_ms: i64) -> anyhow::Result<()> {
        let ledger = self.store.ledger();
        ledger.advance(&[id], Step::SlaScheduled, at_ms).await?;
        let Some(row) = ledger.handoff(id).await? else {
            return Ok(());
        };
        let lead = &self.leads[self.lead_of[&id]];
        let weeks = (lead.week, self.weeks);
        let due = (row.handed_off_at_ms, row.sla_due_at_ms);
        let touch_at = quality::touch_at(&mut self.rng, &row.owner_id.to_string(), due, weeks);
        self.schedule(touch_at, Event::Touch(id, row.trace_id.clone()));
        let plan = StoredPlan::of(&row);
        for step in plan.ladder.iter().filter(|s| s.at_ms < touch_at) {
            self.schedule(
                step.at_ms,
                Event::Step(id, row.trace_id.clone(), step.action),
            );
        }
        if let Some(at) = plan.close_loop_due_ms.or(row.close_loop_due_ms) {
            self.schedule(
                at,
                Event::Step(id, row.trace_id.clone(), SlaAction::CloseLoop),
            );
        }
        Ok(())
    }

    /// The handoff as it is now, unless it moved on from the assignment `trace`.
    async fn current(&self, id: i64, trace: &str) -> anyhow::Result<Option<HandoffRow>> {
        let row = self.store.ledger().handoff(id).await?;
        Ok(row.filter(|r| r.trace_id == trace && r.status == "open"))
    }

    /// An SLA step falls due: as the worker's check, it does nothing once the lead is touched
    /// (the close-the-loop check: once it has a disposition).
    async fn step(
        &mut self,
        id: i64,
        trace: &str,
        action: SlaAction,
        at_ms: i64,
    ) -> anyhow::Result<()> {
        let Some(row) = self.current(id, trace).await? else {
            return Ok(());
        };
        let ledger = self.store.ledger();
        match action {
            SlaAction::CloseLoop if row.disposition.is_none() => {
                ledger.note_escalation(id, at_ms).await?
            }
            _ if row.first_touch_at_ms.is_some() => {}
            SlaAction::Escalate => ledger.note_escalation(id, at_ms).await?,
            SlaAction::Reassign => self.reassign(&row, action, at_ms).await?,
            SlaAction::FallbackQueue => self.reassign(&row, action, at_ms).await?,
            SlaAction::Remind | SlaAction::CloseLoop => {}
        }
        Ok(())
    }

    /// Decides the lead again without the owners who missed it, as the worker's SLA check does,
    /// and hands it to the new owner with a new SLA.
    async fn reassign(
        &mut self,
        row: &HandoffRow,
        action: SlaAction,
        at_ms: i64,
    ) -> anyhow::Result<()> {
        let mut missed = row.missed_by();
        if !missed.contains(&row.owner_id) {
            missed.push(row.owner_id);
        }
        let again = Again {
            contact: &self.leads[self.lead_of[&row.id]].contact,
            roster: Arc::clone(&self.shipped.rules.roster),
            missed,
            window: ChangeWindow {
                start_ms: StoredPlan::of(row).window_start_ms,
                changed_at_ms: None,
            },
            trigger: format!("sla.{}", action.as_str()),
            fallback: action == SlaAction::FallbackQueue,
        };
        let (recorder, now) = (self.recorder(), Timestamp::from_millisecond(at_ms)?);
        let mut chosen = Next::NotReady;
        self.store
            .ledger()
            .record_decisions(self.portal_id, at_ms, |state| {
                let (entry, change) = again.decide(&recorder, now, state);
                chosen = change;
                vec![entry]
            })
            .await?;
        if let Next::Reassign(change) = chosen {
            self.store.ledger().reassign(row.id, &change, at_ms).await?;
            self.recorded.reassigned += 1;
            self.plan(row.id, at_ms).await?;
        }
        Ok(())
    }

    /// The contact of handoff `id` with `set` applied, as HubSpot would show it afterwards.
    fn contact_with(&self, id: i64, set: &[(&str, String)]) -> engine::Contact {
        let mut c = self.leads[self.lead_of[&id]].contact.clone();
        for (k, v) in set {
            c.properties.insert((*k).to_owned(), Some(v.clone()));
        }
        c
    }

    /// The owner touches the lead (a sales activity on the contact), read as the pipeline
    /// reads it; the disposition follows some days later, if the rep ever sets one.
    async fn touch(&mut self, id: i64, trace: &str, at_ms: i64) -> anyhow::Result<()> {
        let Some(row) = self.current(id, trace).await? else {
            return Ok(());
        };
        let touch_property = self.shipped.pipeline.touch_properties.first();
        let set: Vec<(&str, String)> = touch_property
            .map(|p| (p.as_str(), at_ms.to_string()))
            .into_iter()
            .collect();
        let seen = self.observe(&row, &set, None, at_ms);
        if let Some(touched) = seen.touched_at_ms {
            let met = row.sla_due_at_ms.is_none_or(|due| touched <= due);
            self.store
                .ledger()
                .record_touch(id, touched, met, at_ms)
                .await?;
        }
        if let Some(days) = quality::days_to_disposition(&mut self.rng) {
            self.schedule(at_ms + (days * 86_400_000.0) as i64, Event::Dispose(id));
        }
        Ok(())
    }

    fn observe(
        &self,
        row: &HandoffRow,
        set: &[(&str, String)],
        changed: Option<i64>,
        at_ms: i64,
    ) -> touch::Observed {
        let settings = touch::Settings::of(&self.shipped.pipeline);
        let c = self.contact_with(row.id, set);
        touch::observe(
            &c,
            row,
            &self.shipped.rules.playbook,
            &settings,
            changed,
            at_ms,
        )
    }

    /// The rep closes the loop: the lead status (and deal amount) set, the disposition read
    /// through the playbook's map.
    async fn dispose(&mut self, id: i64, at_ms: i64) -> anyhow::Result<()> {
        let Some(row) = self.store.ledger().handoff(id).await? else {
            return Ok(());
        };
        let lead = &self.leads[self.lead_of[&id]];
        let set = quality::disposition(&mut self.rng, lead, self.weeks);
        let seen = self.observe(&row, &set, Some(at_ms), at_ms);
        if let Some((outcome, reason)) = &seen.disposition {
            self.store
                .ledger()
                .record_disposition(&row, outcome, reason.as_deref(), seen.deal_amount, at_ms)
                .await?;
            self.recorded.dispositions += 1;
        }
        Ok(())
    }
}
