//! Sealed per-portal secrets (refreshed OAuth tokens). The store keeps opaque bytes: sealing and
//! opening happen in the HubSpot client, with a key the database never sees.

use super::{Backend, Store, StoreError};

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

impl Store {
    pub async fn load_sealed_tokens(
        &self,
        portal_id: i64,
    ) -> Result<Option<SealedRecord>, StoreError> {
        let row: Option<(Vec<u8>, Vec<u8>)> = match &*self.backend {
            Backend::Sqlite(s) => {
                sqlx::query_as("SELECT nonce, ciphertext FROM oauth_tokens WHERE portal_id = ?1")
                    .bind(portal_id)
                    .fetch_optional(s.reader())
                    .await?
            }
            Backend::Postgres(s) => {
                sqlx::query_as("SELECT nonce, ciphertext FROM oauth_tokens WHERE portal_id = $1")
                    .bind(portal_id)
                    .fetch_optional(s.pool())
                    .await?
            }
        };
        Ok(row.map(|(nonce, ciphertext)| SealedRecord { nonce, ciphertext }))
    }

    pub async fn save_sealed_tokens(
        &self,
        portal_id: i64,
        record: &SealedRecord,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        // SQLite reads `$N` placeholders too, so one statement serves both engines.
        const UPSERT: &str = "INSERT INTO oauth_tokens (portal_id, nonce, ciphertext, updated_at_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (portal_id) DO UPDATE \
             SET nonce = excluded.nonce, ciphertext = excluded.ciphertext, \
                 updated_at_ms = excluded.updated_at_ms";
        match &*self.backend {
            Backend::Sqlite(s) => {
                sqlx::query(UPSERT)
                    .bind(portal_id)
                    .bind(&record.nonce)
                    .bind(&record.ciphertext)
                    .bind(now_ms)
                    .execute(s.writer())
                    .await?;
            }
            Backend::Postgres(s) => {
                sqlx::query(UPSERT)
                    .bind(portal_id)
                    .bind(&record.nonce)
                    .bind(&record.ciphertext)
                    .bind(now_ms)
                    .execute(s.pool())
                    .await?;
            }
        }
        Ok(())
    }
}
