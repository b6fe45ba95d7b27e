//! Per-portal credentials (docs/hubspot.md "Authentication"): a private-app token, or OAuth access
//! tokens refreshed through `POST /oauth/v3/token` *before* they expire (HubSpot: a 401 "is not a
//! valid indicator that a new access token must be retrieved" — refresh from `expires_in`).
//!
//! * One refresh in flight per portal: the OAuth state sits behind an async mutex held across the
//!   refresh, and waiters re-check the token when they get the lock.
//! * Refreshed tokens are sealed with [`TokenCipher`] and saved in the [`TokenStore`].
//! * A 401 triggers one refresh; a second 401 (or a refused refresh) pauses the portal until an
//!   operator calls `resume_portal`, and that is logged once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::clock::{Clock, add};
use super::error::{AuthFailure, ErrorDetail, HubspotError, TransientReason};
use super::token_store::{PlainTokens, TokenCipher, TokenStore};
use super::types::PortalId;
use crate::client::metrics::HubspotMetrics;

/// A token to send, tagged with the generation it came from (to spot concurrent refreshes).
pub(crate) struct Bearer {
    pub(crate) token: SecretString,
    pub(crate) generation: u64,
}

/// How one portal authenticates, with secrets already loaded.
pub(crate) enum Credentials {
    PrivateApp(SecretString),
    OAuth {
        client_id: String,
        client_secret: SecretString,
        refresh_token: SecretString,
    },
}

struct OAuthState {
    access: Option<(SecretString, Timestamp)>,
    refresh_token: SecretString,
    loaded: bool,
    generation: u64,
}

enum PortalCreds {
    Static(SecretString),
    OAuth {
        client_id: String,
        client_secret: SecretString,
        state: tokio::sync::Mutex<OAuthState>,
    },
}

struct PortalAuth {
    creds: PortalCreds,
    paused: Mutex<Option<AuthFailure>>,
}

/// Shared dependencies of the auth layer.
pub(crate) struct AuthDeps {
    pub(crate) http: reqwest::Client,
    pub(crate) token_url: String,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) store: Arc<dyn TokenStore>,
    pub(crate) cipher: Option<Arc<TokenCipher>>,
    pub(crate) refresh_skew: Duration,
    pub(crate) metrics: HubspotMetrics,
}

pub(crate) struct Auth {
    portals: HashMap<PortalId, PortalAuth>,
    deps: AuthDeps,
    /// Client-credentials (app) tokens per client id, with their expiry (Webhooks Journal).
    app_tokens: tokio::sync::Mutex<HashMap<String, (SecretString, Timestamp)>>,
}

/// `AccessTokenResponse` of `/oauth/v3/token` (docs/hubspot.md "OAuth token refresh and expiry"),
/// only the fields we use.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: SecretString,
    #[serde(default)]
    refresh_token: Option<SecretString>,
    expires_in: u64,
}

impl Auth {
    pub(crate) fn new(creds: Vec<(PortalId, Credentials)>, deps: AuthDeps) -> Self {
        let portals = creds
            .into_iter()
            .map(|(id, c)| {
                let creds = match c {
                    Credentials::PrivateApp(t) => PortalCreds::Static(t),
                    Credentials::OAuth {
                        client_id,
                        client_secret,
                        refresh_token,
                    } => PortalCreds::OAuth {
                        client_id,
                        client_secret,
                        state: tokio::sync::Mutex::new(OAuthState {
                            access: None,
                            refresh_token,
                            loaded: false,
                            generation: 0,
                        }),
                    },
                };
                let auth = PortalAuth {
                    creds,
                    paused: Mutex::new(None),
                };
                (id, auth)
            })
            .collect();
        Self {
            portals,
            deps,
            app_tokens: tokio::sync::Mutex::default(),
        }
    }

    fn portal(&self, portal: PortalId) -> Result<&PortalAuth, HubspotError> {
        let pa = self.portals.get(&portal).ok_or_else(|| {
            HubspotError::local(portal, "unknown_portal", "portal not configured")
        })?;
        if pa.paused.lock().map(|p| p.is_some()).unwrap_or(true) {
            return Err(HubspotError::Auth {
                portal,
                reason: AuthFailure::PortalPaused,
            });
        }
        Ok(pa)
    }

    /// The token for the next request; refreshes OAuth tokens close to expiry.
    pub(crate) async fn bearer(&self, portal: PortalId) -> Result<Bearer, HubspotError> {
        match &self.portal(portal)?.creds {
            PortalCreds::Static(t) => Ok(Bearer {
                token: t.clone(),
                generation: 0,
            }),
            PortalCreds::OAuth {
                client_id,
                client_secret,
                state,
            } => {
                let mut st = state.lock().await;
                if !st.loaded {
                    self.load_stored(portal, &mut st).await?;
                }
                let now = self.deps.clock.now();
                if let Some((token, expires_at)) = &st.access
                    && add(now, self.deps.refresh_skew) < *expires_at
                {
                    return Ok(Bearer {
                        token: token.clone(),
                        generation: st.generation,
                    });
                }
                self.refresh(portal, client_id, client_secret, &mut st)
                    .await
            }
        }
    }

    /// After a 401: refresh once (unless another task already did), else pause the portal.
    pub(crate) async fn after_401(
        &self,
        portal: PortalId,
        rejected_generation: u64,
    ) -> Result<(), HubspotError> {
        match &self.portal(portal)?.creds {
            PortalCreds::Static(_) => Err(self.pause(portal, AuthFailure::TokenRejected)),
            PortalCreds::OAuth {
                client_id,
                client_secret,
                state,
            } => {
                let mut st = state.lock().await;
                if st.generation != rejected_generation {
                    return Ok(());
                }
                self.refresh(portal, client_id, client_secret, &mut st)
                    .await
                    .map(|_| ())
            }
        }
    }

    /// Pauses the portal (logged once) and returns the error to report.
    pub(crate) fn pause(&self, portal: PortalId, reason: AuthFailure) -> HubspotError {
        if let Some(pa) = self.portals.get(&portal)
            && let Ok(mut p) = pa.paused.lock()
            && p.is_none()
        {
            *p = Some(reason);
            self.deps.metrics.paused(reason.as_str());
            tracing::error!(
                portal_id = portal.as_u64(),
                error.code = reason.as_str(),
                "hubspot credentials rejected; portal paused until resumed"
            );
        }
        HubspotError::Auth { portal, reason }
    }

    /// Why the portal is paused after an auth failure, if it is (for `GET /admin/portals`).
    pub(crate) fn paused_reason(&self, portal: PortalId) -> Option<AuthFailure> {
        let pa = self.portals.get(&portal)?;
        pa.paused.lock().ok().and_then(|p| *p)
    }

    /// Lifts a pause after an operator fixed the credentials.
    pub(crate) fn resume(&self, portal: PortalId) {
        if let Some(pa) = self.portals.get(&portal)
            && let Ok(mut p) = pa.paused.lock()
            && p.take().is_some()
        {
            self.deps.metrics.resumed();
        }
    }

    async fn load_stored(&self, portal: PortalId, st: &mut OAuthState) -> Result<(), HubspotError> {
        let Some(cipher) = &self.deps.cipher else {
            st.loaded = true;
            return Ok(());
        };
        match self.deps.store.load(portal).await {
            Ok(Some(sealed)) => {
                let plain = cipher
                    .open(portal, &sealed)
                    .map_err(|_| self.pause(portal, AuthFailure::TokenStore))?;
                st.access = Some((plain.access_token, plain.expires_at));
                st.refresh_token = plain.refresh_token;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(portal_id = portal.as_u64(), error = %e, "hubspot token store unavailable; using configured refresh token");
            }
        }
        st.loaded = true;
        Ok(())
    }

    /// One refresh, counted as `ok` or `failed` (refused, unreachable, or an unreadable answer).
    async fn refresh(
        &self,
        portal: PortalId,
        client_id: &str,
        client_secret: &SecretString,
        st: &mut OAuthState,
    ) -> Result<Bearer, HubspotError> {
        let refreshed = self
            .refresh_once(portal, client_id, client_secret, st)
            .await;
        self.deps.metrics.token_refresh(refreshed.is_ok());
        refreshed
    }

    async fn refresh_once(
        &self,
        portal: PortalId,
        client_id: &str,
        client_secret: &SecretString,
        st: &mut OAuthState,
    ) -> Result<Bearer, HubspotError> {
        // docs/hubspot.md "OAuth token refresh and expiry": v3 takes every parameter in the form
        // body.
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("client_secret", client_secret.expose_secret()),
            ("refresh_token", st.refresh_token.expose_secret()),
        ];
        let (body, now) = self.refreshed_token(portal, &form).await?;
        let expires_at = add(now, Duration::from_secs(body.expires_in));
        if let Some(rt) = body.refresh_token {
            st.refresh_token = rt;
        }
        st.access = Some((body.access_token.clone(), expires_at));
        st.generation += 1;
        tracing::info!(
            portal_id = portal.as_u64(),
            expires_in_s = body.expires_in,
            "hubspot oauth token refreshed"
        );
        self.persist(portal, st, expires_at).await;
        Ok(Bearer {
            token: body.access_token,
            generation: st.generation,
        })
    }

    /// Posts a form to the token endpoint.
    async fn post_token(&self, form: &[(&str, &str)]) -> reqwest::Result<reqwest::Response> {
        self.deps
            .http
            .post(&self.deps.token_url)
            .form(form)
            .send()
            .await
    }

    /// The token endpoint's answer to a refresh, and when it came. No answer, a 429 or a 5xx
    /// is transient (try again in 30 s); any other refusal pauses the portal.
    async fn refreshed_token(
        &self,
        portal: PortalId,
        form: &[(&str, &str)],
    ) -> Result<(TokenResponse, Timestamp), HubspotError> {
        let sent = self.post_token(form).await;
        let now = self.deps.clock.now();
        let transient = |reason, status: Option<u16>| HubspotError::Transient {
            portal,
            reason,
            detail: ErrorDetail {
                status,
                category: Some("handoff.token_refresh".into()),
                message: "oauth token refresh failed".into(),
                correlation_id: None,
                ..ErrorDetail::default()
            },
            retry_at: add(now, Duration::from_secs(30)),
            maybe_applied: false,
        };
        let resp = match sent {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Err(transient(TransientReason::Timeout, None)),
            Err(_) => return Err(transient(TransientReason::Connect, None)),
        };
        let status = resp.status().as_u16();
        if status == 429 || status >= 500 {
            return Err(transient(TransientReason::Server, Some(status)));
        }
        if !resp.status().is_success() {
            return Err(self.pause(portal, AuthFailure::RefreshRejected));
        }
        let body = resp
            .json()
            .await
            .map_err(|_| transient(TransientReason::Other, Some(status)))?;
        Ok((body, now))
    }

    async fn persist(&self, portal: PortalId, st: &OAuthState, expires_at: Timestamp) {
        let (Some(cipher), Some((access, _))) = (&self.deps.cipher, &st.access) else {
            return;
        };
        let plain = PlainTokens {
            access_token: access.clone(),
            expires_at,
            refresh_token: st.refresh_token.clone(),
        };
        let saved = match cipher.seal(portal, &plain) {
            Ok(sealed) => self.deps.store.save(portal, sealed).await,
            Err(e) => Err(e),
        };
        if let Err(e) = saved {
            tracing::warn!(portal_id = portal.as_u64(), error = %e, "hubspot refreshed token not persisted");
        }
    }
}

/// How a portal's token is described (`token_info.rs`): a static token asks the private-app
/// token-info endpoint, an OAuth access token is introspected with the app's credentials.
pub(crate) enum TokenKind {
    Static,
    OAuth {
        client_id: String,
        client_secret: SecretString,
    },
}

impl Auth {
    pub(crate) fn token_kind(&self, portal: PortalId) -> Result<TokenKind, HubspotError> {
        Ok(match &self.portal(portal)?.creds {
            PortalCreds::Static(_) => TokenKind::Static,
            PortalCreds::OAuth {
                client_id,
                client_secret,
                ..
            } => TokenKind::OAuth {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
            },
        })
    }

    /// Drops the portal's cached app token (after HubSpot refused it).
    pub(crate) async fn forget_app_token(&self, portal: PortalId) {
        if let Some(PortalCreds::OAuth { client_id, .. }) =
            self.portals.get(&portal).map(|p| &p.creds)
        {
            self.app_tokens.lock().await.remove(client_id.as_str());
        }
    }

    /// A client-credentials token of the portal's app, for the Webhooks Journal
    /// (docs/hubspot.md "Journal authentication": no refresh token, re-requested
    /// before `expires_in`). `None` for a private-app portal: it has no client secret, and the
    /// journal calls go with its token. Cached per client id; never pauses the portal.
    pub(crate) async fn app_bearer(
        &self,
        portal: PortalId,
        scope: &str,
    ) -> Result<Option<SecretString>, HubspotError> {
        let PortalCreds::OAuth {
            client_id,
            client_secret,
            ..
        } = &self.portal(portal)?.creds
        else {
            return Ok(None);
        };
        let mut cache = self.app_tokens.lock().await;
        let now = self.deps.clock.now();
        if let Some((token, expires_at)) = cache.get(client_id.as_str())
            && add(now, self.deps.refresh_skew) < *expires_at
        {
            return Ok(Some(token.clone()));
        }
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", client_secret.expose_secret()),
            ("scope", scope),
        ];
        let failed = |status: Option<u16>, message: &str| HubspotError::Permanent {
            portal,
            detail: ErrorDetail {
                status,
                category: Some("handoff.app_token".into()),
                message: message.into(),
                correlation_id: None,
                ..ErrorDetail::default()
            },
        };
        let resp = self
            .post_token(&form)
            .await
            .map_err(|_| failed(None, "client-credentials token request failed"))?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            return Err(failed(
                Some(status),
                "client-credentials token refused (check the app's journal scopes)",
            ));
        }
        let body: TokenResponse = resp
            .json()
            .await
            .map_err(|_| failed(Some(status), "client-credentials token answer unreadable"))?;
        let expires_at = add(now, Duration::from_secs(body.expires_in));
        cache.insert(client_id.clone(), (body.access_token.clone(), expires_at));
        Ok(Some(body.access_token))
    }
}
