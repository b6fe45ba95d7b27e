//! Slack's identifiers, parsed once where they enter (an interaction payload, a Web API answer)
//! and trusted after (docs/slack.md "Identifiers"): user, team and channel ids, a message's
//! `ts`, and the reference to a lead that handoff writes into its buttons.

use std::fmt;

use handoff_ids::{ContactId, PortalId};
use serde::{Deserialize, Serialize};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {problem}")]
pub struct IdError {
    /// Which kind of identifier.
    pub what: &'static str,
    /// What is wrong with it (never the value itself: it came from outside).
    pub problem: &'static str,
}

/// Slack ids are short upper-case alphanumerics that start with a letter naming their kind.
fn check_id(what: &'static str, s: &str, prefixes: &[char]) -> Result<(), IdError> {
    let err = |problem| Err(IdError { what, problem });
    if s.len() < 2 || s.len() > 32 {
        return err("must be 2 to 32 characters");
    }
    if !s.starts_with(prefixes) {
        return err("has the wrong prefix");
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return err("must be upper-case letters and digits");
    }
    Ok(())
}

macro_rules! slack_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, [$($prefix:literal),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks the shape and keeps the id.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_id($what, s, &[$($prefix),+])?;
                Ok(Self(s.to_owned()))
            }

            /// The id as Slack spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slack_id!(
    /// A user (`U…`, or `W…` on Enterprise Grid).
    UserId, "user id", ['U', 'W']
);
slack_id!(
    /// A workspace (`T…`) or an Enterprise Grid organisation (`E…`).
    TeamId, "team id", ['T', 'E']
);
slack_id!(
    /// A conversation: public (`C…`), private (`G…`) or a direct message (`D…`). `chat.update`
    /// needs one of these, never a user id (docs/slack.md "Direct messages and chat.update").
    ChannelId, "channel id", ['C', 'D', 'G']
);

/// A message's timestamp, its id within a channel: `"1503435956.000247"`, kept as text
/// (docs/slack.md "Direct messages and chat.update").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageTs(String);

impl MessageTs {
    /// Digits, a dot, digits.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let err = |problem| IdError {
            what: "message ts",
            problem,
        };
        let (secs, frac) = s.split_once('.').ok_or(err("has no dot"))?;
        let digits =
            |p: &str| !p.is_empty() && p.len() <= 16 && p.bytes().all(|b| b.is_ascii_digit());
        if !digits(secs) || !digits(frac) {
            return Err(err("must be digits.digits"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The ts as Slack spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MessageTs {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<MessageTs> for String {
    fn from(ts: MessageTs) -> String {
        ts.0
    }
}

impl fmt::Display for MessageTs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a message is posted: a conversation's id, or a channel's name as an admin writes it
/// (`#sales-leads`: lower-case letters, digits, `-` and `_`, at most 80 characters after the
/// `#`). `chat.postMessage` takes either; its answer always names the id, which `chat.update`
/// needs (docs/slack.md "Web API methods").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Conversation {
    /// `C…`, `G…` or `D…`.
    Id(ChannelId),
    /// `#name`.
    Name(String),
}

impl Conversation {
    /// An id (`C…`, `G…`, `D…`) or a `#name`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let Some(name) = s.strip_prefix('#') else {
            return ChannelId::parse(s).map(Self::Id);
        };
        let ok = (1..=80).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self::Name(s.to_owned()))
        } else {
            Err(IdError {
                what: "channel name",
                problem: "must be # and 1 to 80 lower-case letters, digits, - or _",
            })
        }
    }

    /// As `chat.postMessage` takes it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Id(id) => id.as_str(),
            Self::Name(name) => name,
        }
    }
}

impl From<ChannelId> for Conversation {
    fn from(id: ChannelId) -> Self {
        Self::Id(id)
    }
}

impl fmt::Display for Conversation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which alert a button belongs to, written by handoff into each button's `value` and into the
/// actions block's `block_id` (the select has no value of its own): `h1:<portal>:<contact>:
/// <version>`. `version` is the alert's version for this lead (phase 2: the handoff's assignment
/// count when the message was sent), so a click on a message about an earlier assignment is
/// recognisable from the click alone. `h1` versions the format itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandoffRef {
    /// The HubSpot portal.
    pub portal: PortalId,
    /// The lead's contact.
    pub contact: ContactId,
    /// The alert's version for this lead.
    pub version: u32,
}

impl HandoffRef {
    /// The longest reference [`HandoffRef::parse`] accepts (`h1:`, two ids of at most 19 digits,
    /// a version of at most 10): well within a button value's 2,000 and a block id's 255
    /// characters (docs/slack.md "Block Kit limits").
    pub const MAX_LEN: usize = 3 + 19 + 1 + 19 + 1 + 10;

    /// Reads `h1:<portal>:<contact>:<version>`: canonical decimal numbers only (no sign, no
    /// space, no leading zero), ids in `1 ..= i64::MAX`.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() > Self::MAX_LEN {
            return None;
        }
        let mut parts = s.strip_prefix("h1:")?.split(':');
        let portal = canonical(parts.next()?)?.parse().ok()?;
        let contact = canonical(parts.next()?)?.parse().ok()?;
        let version = canonical(parts.next()?)?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            portal,
            contact,
            version,
        })
    }
}

/// Digits with no leading zero (but `0` itself), so one reference has one spelling.
fn canonical(p: &str) -> Option<&str> {
    let digits = !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (digits && (p == "0" || !p.starts_with('0'))).then_some(p)
}

impl fmt::Display for HandoffRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "h1:{}:{}:{}", self.portal, self.contact, self.version)
    }
}

/// What `users.lookupByEmail` says about a user (docs/slack.md "Web API methods").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackUser {
    /// The user id, the DM's address.
    pub id: UserId,
    /// The user's workspace, when Slack names it.
    pub team_id: Option<TeamId>,
    /// The user's IANA time zone name (`tz`), when Slack gives one.
    pub time_zone: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_slack_shapes_and_refuse_others() {
        assert!(UserId::parse("U2CERLKJA").is_ok());
        assert!(UserId::parse("W012A3CDE").is_ok());
        assert!(UserId::parse("D012A3CDE").is_err());
        assert!(UserId::parse("U2cerlkja").is_err());
        assert!(UserId::parse("U").is_err());
        assert!(ChannelId::parse("D0123ABCDEF").is_ok());
        assert!(ChannelId::parse("U0123ABCDEF").is_err());
        assert!(ChannelId::parse("C01<script>").is_err());
        assert!(TeamId::parse("T1DC2JH3J").is_ok());
        assert!(MessageTs::parse("1503435956.000247").is_ok());
        for bad in ["1503435956", ".1", "1.", "1.2.3", "a.1", ""] {
            assert!(MessageTs::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_handoff_reference_reads_back_what_it_wrote() {
        let r = HandoffRef {
            portal: PortalId::new(62515).unwrap(),
            contact: ContactId::new(987654).unwrap(),
            version: 2,
        };
        assert_eq!(r.to_string(), "h1:62515:987654:2");
        assert_eq!(HandoffRef::parse(&r.to_string()), Some(r));
        let max = HandoffRef {
            portal: PortalId::new(i64::MAX as u64).unwrap(),
            contact: ContactId::new(i64::MAX as u64).unwrap(),
            version: u32::MAX,
        };
        assert!(max.to_string().len() <= HandoffRef::MAX_LEN);
        assert_eq!(HandoffRef::parse(&max.to_string()), Some(max));
    }

    #[test]
    fn a_handoff_reference_in_any_other_spelling_is_refused() {
        for bad in [
            "",
            "h1:",
            "h1:1",
            "h1:1:2",
            "h1:1:2:",
            "h1:1:2:3:4",
            "h2:1:2:3",
            "h1:0:2:3",
            "h1:1:0:3",
            "h1:-1:2:3",
            "h1:+1:2:3",
            "h1:01:2:3",
            "h1: 1:2:3",
            "h1:1:2:x",
            "h1:1:2:4294967296",
            "h1:9223372036854775808:2:3",
        ] {
            assert_eq!(HandoffRef::parse(bad), None, "{bad}");
        }
        assert_eq!(
            HandoffRef::parse(&format!("h1:1:2:{}", "9".repeat(60))),
            None
        );
    }
}
