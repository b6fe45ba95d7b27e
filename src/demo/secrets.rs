//! The demo's credentials. Each can be given in a `HANDOFF_DEMO_*` environment variable (a test
//! runs the demo with known values and looks for them in everything it prints); the rest are
//! generated for the run, so no fixed demo secret exists to be copied into a real deployment.
//!
//! | variable | what |
//! |---|---|
//! | `HANDOFF_DEMO_WEBHOOK_SECRET` | the HubSpot app's client secret that signs the webhooks |
//! | `HANDOFF_DEMO_HUBSPOT_TOKEN` | the private-app token the sandbox accepts |
//! | `HANDOFF_DEMO_OAUTH_CLIENT_SECRET`, `HANDOFF_DEMO_OAUTH_REFRESH_TOKEN` | both set: the portal authenticates with OAuth instead |
//! | `HANDOFF_DEMO_TOKEN_KEY` | with OAuth: the 64-hex-digit key that seals stored tokens |
//! | `HANDOFF_DEMO_ADMIN_TOKEN` | set: the admin routes are on, with this bearer token |
//! | `HANDOFF_DEMO_SLACK_BOT_TOKEN`, `HANDOFF_DEMO_SLACK_SIGNING_SECRET` | the Slack stand-in's bot token and signing secret (when the world plays Slack) |

use secrecy::SecretString;

/// How the demo portal authenticates to the sandbox.
#[derive(Debug, Clone)]
pub enum DemoAuth {
    PrivateApp {
        token: SecretString,
    },
    OAuth {
        client_secret: SecretString,
        refresh_token: SecretString,
        /// 64 hex digits.
        token_key: SecretString,
    },
}

/// Every secret the demo uses. `Debug` shows none of them (`SecretString`).
#[derive(Debug, Clone)]
pub struct DemoSecrets {
    pub webhook_secret: SecretString,
    pub auth: DemoAuth,
    pub admin_token: Option<SecretString>,
    /// The Slack app's bot token and signing secret, when the world plays Slack.
    pub slack_bot_token: SecretString,
    pub slack_signing_secret: SecretString,
}

/// A fresh random-looking value for one run (uuid v7: 74 random bits per id).
fn generated(prefix: &str) -> SecretString {
    SecretString::from(format!("{prefix}-{}", uuid::Uuid::now_v7().simple()))
}

impl Default for DemoSecrets {
    /// Generated values, private-app auth, no admin routes.
    fn default() -> Self {
        Self {
            webhook_secret: generated("demo-webhook"),
            auth: DemoAuth::PrivateApp {
                token: generated("demo-pat"),
            },
            admin_token: None,
            slack_bot_token: generated("xoxb-demo"),
            slack_signing_secret: generated("demo-slack-signing"),
        }
    }
}

impl DemoSecrets {
    /// The values `lookup` (the process environment, in `main`) gives, generated otherwise.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let given = |name: &str, prefix: &str| {
            get(name).map_or_else(|| generated(prefix), SecretString::from)
        };
        let auth = match (
            get("HANDOFF_DEMO_OAUTH_CLIENT_SECRET"),
            get("HANDOFF_DEMO_OAUTH_REFRESH_TOKEN"),
        ) {
            (Some(client_secret), Some(refresh_token)) => DemoAuth::OAuth {
                client_secret: client_secret.into(),
                refresh_token: refresh_token.into(),
                token_key: get("HANDOFF_DEMO_TOKEN_KEY").map_or_else(
                    || {
                        let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
                        SecretString::from(format!("{}{}", a.simple(), b.simple()))
                    },
                    SecretString::from,
                ),
            },
            _ => DemoAuth::PrivateApp {
                token: given("HANDOFF_DEMO_HUBSPOT_TOKEN", "demo-pat"),
            },
        };
        Self {
            webhook_secret: given("HANDOFF_DEMO_WEBHOOK_SECRET", "demo-webhook"),
            auth,
            admin_token: get("HANDOFF_DEMO_ADMIN_TOKEN").map(SecretString::from),
            slack_bot_token: given("HANDOFF_DEMO_SLACK_BOT_TOKEN", "xoxb-demo"),
            slack_signing_secret: given("HANDOFF_DEMO_SLACK_SIGNING_SECRET", "demo-slack-signing"),
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn given_values_are_used_and_oauth_needs_both_of_its_secrets() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let s = DemoSecrets::from_lookup(env(&[
            ("HANDOFF_DEMO_WEBHOOK_SECRET", "whsec-1"),
            ("HANDOFF_DEMO_HUBSPOT_TOKEN", "pat-1"),
            ("HANDOFF_DEMO_OAUTH_CLIENT_SECRET", "cs-1"),
        ]));
        assert_eq!(s.webhook_secret.expose_secret(), "whsec-1");
        assert!(s.admin_token.is_none());
        match &s.auth {
            DemoAuth::PrivateApp { token } => assert_eq!(token.expose_secret(), "pat-1"),
            DemoAuth::OAuth { .. } => panic!("OAuth without a refresh token"),
        }
        let s = DemoSecrets::from_lookup(env(&[
            ("HANDOFF_DEMO_OAUTH_CLIENT_SECRET", "cs-1"),
            ("HANDOFF_DEMO_OAUTH_REFRESH_TOKEN", "rt-1"),
            ("HANDOFF_DEMO_ADMIN_TOKEN", "adm-1"),
        ]));
        assert_eq!(
            s.admin_token.as_ref().map(|t| t.expose_secret()),
            Some("adm-1")
        );
        match &s.auth {
            DemoAuth::OAuth {
                client_secret,
                refresh_token,
                token_key,
            } => {
                assert_eq!(client_secret.expose_secret(), "cs-1");
                assert_eq!(refresh_token.expose_secret(), "rt-1");
                let key = token_key.expose_secret();
                assert!(key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()));
            }
            DemoAuth::PrivateApp { .. } => panic!("both OAuth secrets were given"),
        }
    }

    #[test]
    fn generated_secrets_differ_between_runs() {
        let (a, b) = (DemoSecrets::default(), DemoSecrets::default());
        assert_ne!(
            a.webhook_secret.expose_secret(),
            b.webhook_secret.expose_secret()
        );
        assert!(!format!("{a:?}").contains(a.webhook_secret.expose_secret()));
    }
}
