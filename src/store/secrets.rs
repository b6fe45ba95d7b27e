//! Sealed per-portal secrets (refreshed OAuth tokens), kept for the HubSpot client's token
//! store. The store keeps opaque bytes: sealing and opening happen in the client, with a key the
//! database never sees.

use super::StoreError;
use super::dispatch::Db;
use handoff_ids::PortalId;

/// A sealed record: the nonce and the AEAD output.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedRecord {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for SealedRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedRecord")
            .field("bytes", &self.ciphertext.len())
            .finish()
    }
}

/// The secrets part of a [`super::Store`].
#[derive(Debug, Clone, Copy)]
pub struct Secrets<'s> {
    pub(super) db: &'s Db,
}

impl Secrets<'_> {
    /// The portal's sealed tokens, if any were saved.
    pub async fn load(self, portal_id: PortalId) -> Result<Option<SealedRecord>, StoreError> {
        const SQL: &str = "SELECT nonce, ciphertext FROM oauth_tokens WHERE portal_id = $1";
        let row: Option<(Vec<u8>, Vec<u8>)> = on_reader!(self.db, |pool| sqlx::query_as(SQL)
            .bind(portal_id.get())
            .fetch_optional(pool)
            .await?);
        Ok(row.map(|(nonce, ciphertext)| SealedRecord { nonce, ciphertext }))
    }

    /// Saves (or replaces) the portal's sealed tokens.
    pub async fn save(
        self,
        portal_id: PortalId,
        record: &SealedRecord,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        const UPSERT: &str = "INSERT INTO oauth_tokens (portal_id, nonce, ciphertext, updated_at_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (portal_id) DO UPDATE \
             SET nonce = excluded.nonce, ciphertext = excluded.ciphertext, \
                 updated_at_ms = excluded.updated_at_ms";
        on_writer!(self.db, |pool| {
            sqlx::query(UPSERT)
                .bind(portal_id.get())
                .bind(&record.nonce)
                .bind(&record.ciphertext)
                .bind(now_ms)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
