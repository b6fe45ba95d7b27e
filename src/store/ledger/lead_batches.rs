//! The tuning report's leads read in batches on SQLite: each statement returns one text, the
//! JSON array of up to [`BATCH`] leads (`json_group_array`), instead of one result row per
//! lead. Over a million leads sqlx's SQLite rows cost more to move out of the engine and
//! decode (per row and per column) than the query costs to run (BENCHMARKS.md "Each lead's
//! last decision kept at write time"); a batch is one value to move and `serde_json` reads it
//! fast. On PostgreSQL rows cost less than building the JSON (`tune.rs` reads rows there). Batches follow
//! `lead_facts_portal_time` (time, then contact) by keyset, so no statement sorts.
//!
//! Values keep their exact types: integers are JSON integers, texts JSON strings, and the deal
//! amount travels as text: `quote()` gives one that reads back to the same `f64`, SQLite's
//! JSON numbers have 15 digits.

use handoff_ids::{ContactId, OwnerId, PortalId};
use serde::Deserialize;

use super::kpis::Kpis;
use super::tune::DecisionFactRow;
use crate::store::StoreError;

/// Leads per statement: a few MB of JSON.
pub(super) const BATCH: i64 = 20_000;

/// One lead as its batch holds it: the columns of a `DecisionFactRow`, in its order, the
/// deal amount as text.
#[derive(Debug, Deserialize)]
struct BatchLead(
    i64,
    i64,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn column_error(
    column: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> StoreError {
    StoreError::Unavailable(sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: Box::new(source),
    })
}

impl BatchLead {
    fn row(self) -> Result<DecisionFactRow, StoreError> {
        let owner = |text: Option<String>, column: &str| {
            text.map(OwnerId::try_from)
                .transpose()
                .map_err(|e| column_error(column, e))
        };
        let deal_amount = self
            .16
            .map(|t| t.parse::<f64>())
            .transpose()
            .map_err(|e| column_error("deal_amount", e))?;
        Ok(DecisionFactRow {
            contact_id: ContactId::try_from(self.0).map_err(|e| column_error("contact_id", e))?,
            decided_at_ms: self.1,
            outcome: self.2,
            owner_id: owner(self.3, "owner_id")?,
            score_total: self.4,
            tier: self.5,
            source: self.6,
            buying_role: self.7,
            route_kind: self.8,
            route_pool: self.9,
            fallback_from: self.10,
            rules: self.11,
            handoff_owner: owner(self.12, "handoff_owner")?,
            handed_off_at_ms: self.13,
            first_touch_at_ms: self.14,
            disposition: self.15,
            deal_amount,
        })
    }
}

/// One batch: the first `$5` leads after key `($2, $3)` (time, contact) decided before `$4`.
/// The key is the only lower bound, so the index seeks to it (with `decided_at_ms >= since`
/// beside it SQLite starts every batch at `since`).
fn batch_sql() -> &'static str {
    concat!(
        "SELECT json_group_array(json_array(l.contact_id, l.decided_at_ms, l.outcome, l.owner_id, \
     l.score_total, l.tier, l.source, l.buying_role, l.route_kind, l.route_pool, \
     l.fallback_from, l.rules, l.handoff_owner, l.handed_off_at_ms, l.first_touch_at_ms, \
     l.disposition, CASE WHEN l.deal_amount IS NULL THEN NULL ELSE quote(l.deal_amount) END)) \
     FROM (SELECT ",
        fact_columns!("f"),
        " FROM lead_facts f LEFT JOIN handoffs h \
     ON h.portal_id = f.portal_id AND h.contact_id = f.contact_id \
     WHERE f.portal_id = $1 AND (f.decided_at_ms, f.contact_id) > ($2, $3) \
     AND f.decided_at_ms < $4 ORDER BY f.decided_at_ms, f.contact_id LIMIT $5) l"
    )
}

impl Kpis<'_> {
    /// The facts of the leads whose last decision was in `[since_ms, until_ms)`, in batches
    /// of `batch` (at least 1).
    pub(super) async fn lead_facts_batched(
        self,
        portal_id: PortalId,
        (since_ms, until_ms): (i64, i64),
        batch: i64,
    ) -> Result<Vec<DecisionFactRow>, StoreError> {
        let batch = batch.max(1);
        let sql = batch_sql();
        let mut out = Vec::new();
        // The key before every lead of `since_ms` or later (contact ids are above i64::MIN).
        let mut after = match since_ms.checked_sub(1) {
            Some(before) => (before, i64::MAX),
            None => (i64::MIN, i64::MIN),
        };
        loop {
            let text: String = on_reader!(self.db, |pool| sqlx::query_scalar(sql)
                .bind(portal_id.get())
                .bind(after.0)
                .bind(after.1)
                .bind(until_ms)
                .bind(batch)
                .fetch_one(pool)
                .await?);
            let leads: Vec<BatchLead> =
                serde_json::from_str(&text).map_err(|e| column_error("lead_facts batch", e))?;
            let full = leads.len() as i64 == batch;
            for lead in leads {
                after = after.max((lead.1, lead.0));
                out.push(lead.row()?);
            }
            if !full {
                return Ok(out);
            }
        }
    }
}
