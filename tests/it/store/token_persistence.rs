//! Refreshed OAuth tokens survive a restart and are shared by replicas: the client's sealed
//! records live in the store, on both engines.

use handoff::hubspot::client::token_store::EncryptedTokens;
use handoff::hubspot::client::{PortalId, TokenStore};
use handoff::startup::PersistentTokenStore;
use handoff::store::{Dialect, Store};

use crate::support::engines::{fresh_url, settings};

fn sealed(byte: u8) -> EncryptedTokens {
    EncryptedTokens {
        nonce: [byte; 12],
        ciphertext: vec![byte; 48],
    }
}

async fn sealed_tokens_survive_a_restart_and_the_latest_save_wins(engine: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_url(engine, dir.path()).await;
    let store = Store::connect(&settings(&url)).await.unwrap();
    store.migrate().await.unwrap();
    let tokens = PersistentTokenStore::new(store.clone());
    assert!(
        tokens
            .load(PortalId::new(62515).unwrap())
            .await
            .unwrap()
            .is_none()
    );
    tokens
        .save(PortalId::new(62515).unwrap(), sealed(1))
        .await
        .unwrap();
    tokens
        .save(PortalId::new(62515).unwrap(), sealed(2))
        .await
        .unwrap();
    tokens
        .save(PortalId::new(7).unwrap(), sealed(3))
        .await
        .unwrap();
    store.close().await;

    // A new process (or another replica) on the same database sees the latest record.
    let reopened = Store::connect(&settings(&url)).await.unwrap();
    reopened.migrate().await.unwrap();
    let tokens = PersistentTokenStore::new(reopened.clone());
    assert_eq!(
        tokens.load(PortalId::new(62515).unwrap()).await.unwrap(),
        Some(sealed(2))
    );
    assert_eq!(
        tokens.load(PortalId::new(7).unwrap()).await.unwrap(),
        Some(sealed(3))
    );
    let raw = reopened
        .secrets()
        .load(handoff_ids::PortalId::try_from(62515_i64).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        raw.ciphertext,
        vec![2; 48],
        "the store keeps the sealed bytes as given"
    );
    reopened.close().await;
}

#[tokio::test]
async fn on_sqlite_sealed_tokens_survive_a_restart_and_the_latest_save_wins() {
    sealed_tokens_survive_a_restart_and_the_latest_save_wins(Dialect::Sqlite).await;
}

#[tokio::test]
async fn on_postgres_sealed_tokens_survive_a_restart_and_the_latest_save_wins() {
    sealed_tokens_survive_a_restart_and_the_latest_save_wins(Dialect::Postgres).await;
}
