//! Writing the generated ledger: the schema by the store's own migrations (`Store::migrate`),
//! the rows by multi-row `INSERT`s (500 rows a statement, one transaction per 50,000 leads) on
//! one connection of the same engine. Row for row what the worker writes, only batched: the
//! Store API records one portal's decisions per transaction, which would take hours here.

use sqlx::{Database, Encode, QueryBuilder, Type};

use super::data::{Decision, Generator, Handoff, Portal};

/// Rows per `INSERT` (decisions bind 16 values: 8,000 of SQLite's 32,766 and PostgreSQL's
/// 65,535 parameters).
const PER_STATEMENT: usize = 500;
/// Leads per transaction.
const PER_TX: u64 = 50_000;

/// A value both engines bind (as the store's `dispatch::Param`).
trait Bind<DB: Database>: for<'q> Encode<'q, DB> + Type<DB> + Send + 'static {}
impl<DB: Database, T: for<'q> Encode<'q, DB> + Type<DB> + Send + 'static> Bind<DB> for T {}

fn decisions<DB: Database>(rows: Vec<Decision>) -> QueryBuilder<DB>
where
    i64: Bind<DB>,
    String: Bind<DB>,
    Option<String>: Bind<DB>,
{
    let mut q = QueryBuilder::new(
        "INSERT INTO decisions (portal_id, contact_id, decided_at_ms, trigger, outcome, owner_id, \
         explanation, score_total, tier, source, buying_role, route_kind, route_pool, \
         fallback_from, rules, contact) ",
    );
    q.push_values(rows, |mut b, d| {
        b.push_bind(d.portal_id)
            .push_bind(d.contact_id)
            .push_bind(d.decided_at_ms)
            .push_bind(d.trigger.to_owned())
            .push_bind(d.outcome.to_owned())
            .push_bind(d.owner_id)
            .push_bind(d.explanation)
            .push_bind(d.score_total)
            .push_bind(d.tier)
            .push_bind(d.source)
            .push_bind(d.buying_role)
            .push_bind(d.route_kind)
            .push_bind(d.route_pool)
            .push_bind(d.fallback_from)
            .push_bind(d.rules)
            .push_bind(d.contact);
    });
    q
}

fn handoffs<DB: Database>(rows: Vec<Handoff>) -> QueryBuilder<DB>
where
    i64: Bind<DB>,
    Option<i64>: Bind<DB>,
    String: Bind<DB>,
    Option<String>: Bind<DB>,
    Option<f64>: Bind<DB>,
{
    let mut q = QueryBuilder::new(
        "INSERT INTO handoffs (portal_id, contact_id, status, step, owner_id, team, score, tier, \
         sla_tier, source, trace_id, task_id, handed_off_at_ms, sla_due_at_ms, close_loop_due_ms, \
         sla_plan, task_text, first_touch_at_ms, sla_met, escalations, reassignments, missed_by, \
         disposition, disposition_reason, disposition_at_ms, deal_amount, updated_at_ms) ",
    );
    q.push_values(rows, |mut b, h| {
        let updated = h.disposition_at_ms.unwrap_or(h.handed_off_at_ms);
        b.push_bind(h.portal_id)
            .push_bind(h.contact_id)
            .push_bind(h.status.to_owned())
            .push_bind("sla_scheduled".to_owned())
            .push_bind(h.owner_id)
            .push_bind(h.team)
            .push_bind(h.score)
            .push_bind(h.tier)
            .push_bind(h.sla_tier)
            .push_bind(h.source)
            .push_bind(h.trace_id)
            .push_bind(h.task_id)
            .push_bind(h.handed_off_at_ms)
            .push_bind(h.sla_due_at_ms)
            .push_bind(h.close_loop_due_ms)
            .push_bind(h.sla_plan)
            .push_bind(h.task_text)
            .push_bind(h.first_touch_at_ms)
            .push_bind(h.sla_met)
            .push_bind(h.escalations)
            .push_bind(h.reassignments)
            .push_bind(h.missed_by)
            .push_bind(h.disposition.map(str::to_owned))
            .push_bind(h.disposition_reason.map(str::to_owned))
            .push_bind(h.disposition_at_ms)
            .push_bind(h.deal_amount)
            .push_bind(updated);
    });
    q
}

/// One open connection of either engine.
pub enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

macro_rules! run {
    ($conn:expr, $build:expr) => {
        match $conn {
            Conn::Sqlite(c) => {
                $build.build().execute(&mut *c).await.unwrap();
            }
            Conn::Postgres(c) => {
                $build.build().execute(&mut *c).await.unwrap();
            }
        }
    };
}

impl Conn {
    async fn exec(&mut self, sql: &'static str) {
        match self {
            Conn::Sqlite(c) => {
                sqlx::raw_sql(sql).execute(&mut *c).await.unwrap();
            }
            Conn::Postgres(c) => {
                sqlx::raw_sql(sql).execute(&mut *c).await.unwrap();
            }
        }
    }

    async fn decisions(&mut self, rows: Vec<Decision>) {
        run!(self, decisions(rows));
    }

    async fn handoffs(&mut self, rows: Vec<Handoff>) {
        run!(self, handoffs(rows));
    }
}

/// Writes every lead of `portals` through `conn`; returns (decisions, handoffs) written.
pub async fn seed(conn: &mut Conn, explanation: &str, portals: &[Portal]) -> (u64, u64) {
    let (mut n_decisions, mut n_handoffs) = (0, 0);
    for (k, portal) in portals.iter().enumerate() {
        let mut generator = Generator::new(explanation, 0x5EED + k as u64);
        let mut next = 0;
        while next < portal.leads() {
            let end = (next + PER_TX).min(portal.leads());
            let (mut ds, mut hs) = (Vec::new(), Vec::new());
            for i in next..end {
                let lead = generator.lead(portal, i);
                ds.extend(lead.decisions);
                hs.extend(lead.handoff);
            }
            n_decisions += ds.len() as u64;
            n_handoffs += hs.len() as u64;
            conn.exec("BEGIN").await;
            while !ds.is_empty() {
                let rest = ds.split_off(ds.len().min(PER_STATEMENT));
                conn.decisions(std::mem::replace(&mut ds, rest)).await;
            }
            while !hs.is_empty() {
                let rest = hs.split_off(hs.len().min(PER_STATEMENT));
                conn.handoffs(std::mem::replace(&mut hs, rest)).await;
            }
            conn.exec("COMMIT").await;
            next = end;
        }
        eprintln!(
            "  portal {}: {} leads, {n_handoffs} handoffs so far",
            portal.portal_id,
            portal.leads()
        );
    }
    (n_decisions, n_handoffs)
}
