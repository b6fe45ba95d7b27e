//! The store-backed [`TokenStore`]: where the service is wired together, the HubSpot client's
//! sealed OAuth tokens are kept in the service's store (table `oauth_tokens`). The client only
//! knows the trait, so it never depends on the store.

use jiff::Timestamp;

use crate::hubspot::client::PortalId;
use crate::hubspot::client::token_store::{
    EncryptedTokens, StoreFuture, TokenStore, TokenStoreError,
};
use crate::store::{SealedRecord, Store};

/// Keeps sealed tokens in the service's store, so a restart or another replica picks up the
/// latest refresh instead of spending the refresh token again.
#[derive(Debug, Clone)]
pub struct PersistentTokenStore {
    store: Store,
}

impl PersistentTokenStore {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

impl TokenStore for PersistentTokenStore {
    fn load(&self, portal: PortalId) -> StoreFuture<'_, Option<EncryptedTokens>> {
        Box::pin(async move {
            let record = self
                .store
                .secrets()
                .load(portal)
                .await
                .map_err(|e| TokenStoreError::Unavailable(e.to_string()))?;
            match record {
                None => Ok(None),
                Some(record) => {
                    let nonce: [u8; 12] = record.nonce.as_slice().try_into().map_err(|_| {
                        TokenStoreError::Unavailable("stored nonce has the wrong length".into())
                    })?;
                    Ok(Some(EncryptedTokens {
                        nonce,
                        ciphertext: record.ciphertext,
                    }))
                }
            }
        })
    }

    fn save(&self, portal: PortalId, tokens: EncryptedTokens) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let record = SealedRecord {
                nonce: tokens.nonce.to_vec(),
                ciphertext: tokens.ciphertext,
            };
            let now_ms = Timestamp::now().as_millisecond();
            self.store
                .secrets()
                .save(portal, &record, now_ms)
                .await
                .map_err(|e| TokenStoreError::Unavailable(e.to_string()))
        })
    }
}
