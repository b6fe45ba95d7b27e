//! The workspace's people, derived from the sandbox's owners at each call (so an owner patched
//! or removed through the control API changes Slack too): same e-mail, user id `U<owner id>`,
//! DM `D<owner id>`. Owners listed in `without_account` have no Slack user; archived owners are
//! deactivated accounts (`deleted: true`, docs/slack.md "Web API methods").

use serde_json::{Value, json};

use super::config::SlackConfig;
use crate::owners::Owner;

/// The app's bot user: the author of every message handoff posts.
pub(crate) const BOT_USER: &str = "U0HANDOFF";
/// The bot's `bot_id`.
pub(crate) const BOT_ID: &str = "B0HANDOFF";

/// One Slack user.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct User {
    pub(crate) owner: u64,
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) deleted: bool,
    pub(crate) tz: String,
}

impl User {
    pub(crate) fn id(&self) -> String {
        format!("U{}", self.owner)
    }

    pub(crate) fn dm(&self) -> String {
        format!("D{}", self.owner)
    }

    /// The short handle: the e-mail's local part.
    pub(crate) fn handle(&self) -> &str {
        self.email.split('@').next().unwrap_or(&self.email)
    }

    /// `users.lookupByEmail`'s `user` object, with the fields handoff reads and a few more.
    pub(crate) fn render(&self, team_id: &str) -> Value {
        let offset_s = jiff::tz::TimeZone::get(&self.tz)
            .map(|tz| tz.to_offset(jiff::Timestamp::now()).seconds())
            .unwrap_or(0);
        json!({
            "id": self.id(),
            "team_id": team_id,
            "name": self.handle(),
            "deleted": self.deleted,
            "real_name": self.name,
            "tz": self.tz,
            "tz_offset": offset_s,
            "is_bot": false,
            "profile": {
                "email": self.email,
                "real_name": self.name,
                "display_name": self.name,
            },
        })
    }
}

/// The users of the workspace, at this moment.
#[derive(Debug, Clone)]
pub(crate) struct Directory(Vec<User>);

impl Directory {
    pub(crate) fn new(owners: &[Owner], cfg: &SlackConfig) -> Self {
        Self(
            owners
                .iter()
                .filter(|o| !cfg.without_account.contains(&o.id))
                .filter_map(|o| {
                    Some(User {
                        owner: o.id,
                        email: o.email.clone()?,
                        name: o.full_name(),
                        deleted: o.archived,
                        tz: cfg.time_zones.get(&o.id).unwrap_or(&cfg.time_zone).clone(),
                    })
                })
                .collect(),
        )
    }

    /// By e-mail, ignoring case as e-mail addresses are compared.
    pub(crate) fn by_email(&self, email: &str) -> Option<&User> {
        let email = email.trim();
        self.0.iter().find(|u| u.email.eq_ignore_ascii_case(email))
    }

    /// By `U…` id.
    pub(crate) fn by_id(&self, id: &str) -> Option<&User> {
        self.by_prefixed(id, 'U')
    }

    /// By the user's DM, `D…`.
    pub(crate) fn by_dm(&self, id: &str) -> Option<&User> {
        self.by_prefixed(id, 'D')
    }

    fn by_prefixed(&self, id: &str, prefix: char) -> Option<&User> {
        let owner: u64 = id
            .strip_prefix(prefix)
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?
            .parse()
            .ok()?;
        self.0.iter().find(|u| u.owner == owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners() -> Vec<Owner> {
        serde_json::from_str(
            r#"[{"id":"100","email":"Katrin.Vogel@example.com","firstName":"Katrin","lastName":"Vogel"},
                {"id":"101","email":"jonas@example.com","firstName":"Jonas"},
                {"id":"199","email":"former@example.com","archived":true},
                {"id":"300","firstName":"No","lastName":"Mail"}]"#,
        )
        .unwrap()
    }

    #[test]
    fn users_follow_the_owners_minus_those_without_an_account() {
        let cfg = SlackConfig {
            without_account: vec![101],
            time_zones: [(100, "Europe/Berlin".to_owned())].into(),
            ..SlackConfig::default()
        };
        let dir = Directory::new(&owners(), &cfg);
        let katrin = dir.by_email("katrin.vogel@EXAMPLE.com").unwrap();
        assert_eq!((katrin.id(), katrin.dm()), ("U100".into(), "D100".into()));
        assert_eq!(katrin.name, "Katrin Vogel");
        let shown = katrin.render("T1");
        assert_eq!(shown["tz"], "Europe/Berlin");
        assert!(matches!(shown["tz_offset"].as_i64(), Some(3600 | 7200)));
        assert!(dir.by_email("jonas@example.com").is_none(), "no account");
        assert!(dir.by_email("former@example.com").unwrap().deleted);
        assert_eq!(dir.by_id("U199").map(|u| u.tz.as_str()), Some("UTC"));
        assert_eq!(dir.by_dm("D100").map(|u| u.owner), Some(100));
        for unknown in ["U101", "U300", "U1x", "D", "C100"] {
            assert!(
                dir.by_id(unknown).is_none() && dir.by_dm(unknown).is_none(),
                "{unknown}"
            );
        }
    }
}
