//! Where refreshed OAuth tokens are persisted. The client encrypts them (ChaCha20-Poly1305, key
//! from an env var) before a [`TokenStore`] sees them, so a store implementation — in memory for
//! tests, or one backed by the service's store, which the service passes in — only ever holds
//! ciphertext. The client knows only the trait, never the store.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use jiff::Timestamp;
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::config::{ConfigError, SecretRef};
use super::types::PortalId;

/// Sealed tokens as stored: a random 96-bit nonce and the ciphertext (with its tag).
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedTokens {
    /// Nonce used for this ciphertext.
    pub nonce: [u8; 12],
    /// ChaCha20-Poly1305 output.
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for EncryptedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptedTokens({} bytes)", self.ciphertext.len())
    }
}

/// A token store failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenStoreError {
    /// The backing store failed.
    #[error("token store unavailable: {0}")]
    Unavailable(String),
    /// Wrong key, or the record was tampered with or moved between portals.
    #[error("stored tokens could not be decrypted")]
    Decrypt,
    /// Encryption failed.
    #[error("tokens could not be encrypted")]
    Encrypt,
}

/// A boxed future, so the trait stays object-safe.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TokenStoreError>> + Send + 'a>>;

/// Persistence for encrypted OAuth tokens, one record per portal.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The last saved record, if any.
    fn load(&self, portal: PortalId) -> StoreFuture<'_, Option<EncryptedTokens>>;
    /// Replaces the record.
    fn save(&self, portal: PortalId, tokens: EncryptedTokens) -> StoreFuture<'_, ()>;
}

/// Keeps tokens in memory only: for tests, and for a process that must not persist them.
#[derive(Debug, Default)]
pub struct InMemoryTokenStore {
    records: Mutex<HashMap<PortalId, EncryptedTokens>>,
}

impl TokenStore for InMemoryTokenStore {
    fn load(&self, portal: PortalId) -> StoreFuture<'_, Option<EncryptedTokens>> {
        let found = self
            .records
            .lock()
            .map(|m| m.get(&portal).cloned())
            .map_err(|_| TokenStoreError::Unavailable("poisoned".into()));
        Box::pin(async move { found })
    }

    fn save(&self, portal: PortalId, tokens: EncryptedTokens) -> StoreFuture<'_, ()> {
        let done = self
            .records
            .lock()
            .map(|mut m| {
                m.insert(portal, tokens);
            })
            .map_err(|_| TokenStoreError::Unavailable("poisoned".into()));
        Box::pin(async move { done })
    }
}

/// Plain tokens of one portal, only ever held in memory.
#[derive(Debug, Clone)]
pub(crate) struct PlainTokens {
    pub(crate) access_token: SecretString,
    pub(crate) expires_at: Timestamp,
    pub(crate) refresh_token: SecretString,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    a: String,
    e: i64,
    r: String,
}

/// Encrypts and decrypts token records. The portal id is bound in as associated data, so a record
/// copied to another portal fails to open.
pub struct TokenCipher {
    aead: ChaCha20Poly1305,
}

impl fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCipher([REDACTED])")
    }
}

impl TokenCipher {
    /// Key from an env var or file holding 64 hex digits (32 bytes).
    pub fn from_ref(source: &SecretRef) -> Result<Self, ConfigError> {
        let name = match source {
            SecretRef::Env(v) => format!("env {v}"),
            SecretRef::File(p) => format!("file {}", p.display()),
        };
        Self::from_hex_key(&source.load()?, &name)
    }

    /// Key from 64 hex digits; `name` says where it came from in errors.
    pub(crate) fn from_hex_key(hex: &SecretString, name: &str) -> Result<Self, ConfigError> {
        let bad = || ConfigError::SecretUnavailable {
            source_name: format!("{name} (need 64 hex digits)"),
        };
        let digits = hex.expose_secret().as_bytes();
        if digits.len() != 64 {
            return Err(bad());
        }
        let mut key = [0u8; 32];
        for (i, pair) in digits.chunks_exact(2).enumerate() {
            let hi = hex_val(pair[0]).ok_or_else(bad)?;
            let lo = hex_val(pair[1]).ok_or_else(bad)?;
            key[i] = hi << 4 | lo;
        }
        let aead = ChaCha20Poly1305::new(&Key::from(key));
        key.zeroize();
        Ok(Self { aead })
    }

    fn aad(portal: PortalId) -> Vec<u8> {
        format!("handoff.hubspot.tokens.v1:{portal}").into_bytes()
    }

    pub(crate) fn seal(
        &self,
        portal: PortalId,
        t: &PlainTokens,
    ) -> Result<EncryptedTokens, TokenStoreError> {
        let wire = Wire {
            a: t.access_token.expose_secret().to_owned(),
            e: t.expires_at.as_millisecond(),
            r: t.refresh_token.expose_secret().to_owned(),
        };
        let encoded = serde_json::to_vec(&wire);
        let Wire { mut a, mut r, .. } = wire;
        a.zeroize();
        r.zeroize();
        let mut msg = encoded.map_err(|_| TokenStoreError::Encrypt)?;
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = Self::aad(portal);
        let sealed = self.aead.encrypt(
            &nonce,
            Payload {
                msg: &msg,
                aad: &aad,
            },
        );
        msg.zeroize();
        let mut n = [0u8; 12];
        n.copy_from_slice(&nonce);
        Ok(EncryptedTokens {
            nonce: n,
            ciphertext: sealed.map_err(|_| TokenStoreError::Encrypt)?,
        })
    }

    pub(crate) fn open(
        &self,
        portal: PortalId,
        enc: &EncryptedTokens,
    ) -> Result<PlainTokens, TokenStoreError> {
        let aad = Self::aad(portal);
        let mut plain = self
            .aead
            .decrypt(
                &Nonce::from(enc.nonce),
                Payload {
                    msg: &enc.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| TokenStoreError::Decrypt)?;
        let wire: Result<Wire, _> = serde_json::from_slice(&plain);
        plain.zeroize();
        let wire = wire.map_err(|_| TokenStoreError::Decrypt)?;
        let expires_at =
            Timestamp::from_millisecond(wire.e).map_err(|_| TokenStoreError::Decrypt)?;
        Ok(PlainTokens {
            access_token: SecretString::from(wire.a),
            expires_at,
            refresh_token: SecretString::from(wire.r),
        })
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn tokens() -> PlainTokens {
        PlainTokens {
            access_token: SecretString::from("access-SECRET"),
            expires_at: Timestamp::from_second(1_800_000_000).unwrap(),
            refresh_token: SecretString::from("refresh-SECRET"),
        }
    }

    #[tokio::test]
    async fn sealed_tokens_round_trip_through_the_store_without_plaintext() {
        let cipher = TokenCipher::from_hex_key(&SecretString::from(KEY), "test").unwrap();
        let store = InMemoryTokenStore::default();
        let sealed = cipher.seal(PortalId::new(7).unwrap(), &tokens()).unwrap();
        let needle = b"SECRET";
        assert!(!sealed.ciphertext.windows(needle.len()).any(|w| w == needle));
        store.save(PortalId::new(7).unwrap(), sealed).await.unwrap();
        let loaded = store
            .load(PortalId::new(7).unwrap())
            .await
            .unwrap()
            .unwrap();
        let opened = cipher.open(PortalId::new(7).unwrap(), &loaded).unwrap();
        assert_eq!(opened.access_token.expose_secret(), "access-SECRET");
        assert_eq!(opened.refresh_token.expose_secret(), "refresh-SECRET");
        assert_eq!(opened.expires_at, tokens().expires_at);
        assert!(matches!(
            cipher.open(PortalId::new(8).unwrap(), &loaded),
            Err(TokenStoreError::Decrypt)
        ));
    }

    #[test]
    fn bad_keys_are_rejected_without_echoing_them() {
        let err = TokenCipher::from_hex_key(&SecretString::from("zz".repeat(32)), "HANDOFF_KEY")
            .unwrap_err()
            .to_string();
        assert!(err.contains("HANDOFF_KEY") && !err.contains("zz"));
        assert!(TokenCipher::from_hex_key(&SecretString::from("00"), "k").is_err());
    }

    #[test]
    fn debug_output_hides_key_and_ciphertext() {
        let cipher = TokenCipher::from_hex_key(&SecretString::from(KEY), "test").unwrap();
        assert_eq!(format!("{cipher:?}"), "TokenCipher([REDACTED])");
        let sealed = cipher.seal(PortalId::new(7).unwrap(), &tokens()).unwrap();
        assert!(format!("{sealed:?}").starts_with("EncryptedTokens("));
        assert!(!format!("{:?}", tokens()).contains("SECRET"));
    }
}
