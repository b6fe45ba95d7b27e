//! Record ids — portal, contact, company, owner, task, and a record of a kind named beside it —
//! parsed once where they enter the service
//! (webhook, journal, config, CLI, store rows) and trusted after.
//!
//! HubSpot's ids are unsigned 64-bit numbers sent as strings or numbers (docs/hubspot.md
//! "Delivery shape and fields"); the store keeps them in `BIGINT` (signed 64-bit). An id here is
//! known to fit both: `1 ..= i64::MAX`. Anything else — `0`, a negative number, a larger number,
//! text — is refused with an [`IdError`] that names the kind of id and the value, never turned
//! into 0. Both accessors, [`ContactId::get`] (store) and [`ContactId::as_u64`] (wire), are
//! infallible.
//!
//! Serde reads `123` or `"123"` (HubSpot sends both) and writes a string, the form HubSpot's
//! request bodies use. Where a JSON output has the id as a number, the field says
//! `#[serde(with = "handoff_ids::number")]` (`number::option`, `number::option_vec` for optional
//! ones). A store column of text (owner and task ids) reads back through `TryFrom<String>`.

#![warn(unreachable_pub)]

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An id that is not `1 ..= i64::MAX`: which kind of id, and the value as given (at most 40
/// characters of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    kind: &'static str,
    value: String,
}

impl IdError {
    fn new(kind: &'static str, value: impl fmt::Display) -> Self {
        let value: String = value.to_string().chars().take(40).collect();
        Self { kind, value }
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} `{}` is not an id: expected a whole number from 1 to {}",
            self.kind,
            self.value,
            i64::MAX
        )
    }
}

impl std::error::Error for IdError {}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        /// The plain number, as log lines that print ids with `?` have always shown them.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl $name {
            /// What the error messages call this id.
            pub const KIND: &'static str = $kind;

            /// The id, when `value` is `1 ..= i64::MAX`. `const`, so a test or a constant can
            /// write `ContactId::new(7).unwrap()`.
            pub const fn new(value: u64) -> Option<Self> {
                if value == 0 || value > i64::MAX as u64 {
                    None
                } else {
                    Some(Self(value as i64))
                }
            }

            /// The id as the store binds it (`BIGINT`).
            pub const fn get(self) -> i64 {
                self.0
            }

            /// The id as HubSpot's wire form has it.
            pub const fn as_u64(self) -> u64 {
                self.0.unsigned_abs()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                s.trim()
                    .parse::<u64>()
                    .ok()
                    .and_then(Self::new)
                    .ok_or_else(|| IdError::new($kind, s))
            }
        }

        impl TryFrom<i64> for $name {
            type Error = IdError;
            fn try_from(v: i64) -> Result<Self, IdError> {
                u64::try_from(v).ok().and_then(Self::new).ok_or_else(|| IdError::new($kind, v))
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                s.parse()
            }
        }

        impl TryFrom<u64> for $name {
            type Error = IdError;
            fn try_from(v: u64) -> Result<Self, IdError> {
                Self::new(v).ok_or_else(|| IdError::new($kind, v))
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.get()
            }
        }

        impl From<$name> for u64 {
            fn from(id: $name) -> u64 {
                id.as_u64()
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(IdVisitor::<Self>::new())
            }
        }

        impl Id for $name {
            const KIND: &'static str = $kind;
            fn from_u64(v: u64) -> Option<Self> {
                Self::new(v)
            }
            fn get(self) -> i64 {
                self.0
            }
        }
    };
}

id_type!(
    /// A HubSpot account (portal, hub) id.
    PortalId,
    "portal id"
);
id_type!(
    /// A contact record id.
    ContactId,
    "contact id"
);
id_type!(
    /// A company record id.
    CompanyId,
    "company id"
);
id_type!(
    /// A task record id.
    TaskId,
    "task id"
);
id_type!(
    /// An owner `id` — the value for `hubspot_owner_id`, not the `userId` (docs/hubspot.md
    /// "Owners and user ids").
    OwnerId,
    "owner id"
);

id_type!(
    /// A CRM record of an object type named beside it, e.g. the object of a webhook event: the
    /// parser checks the id before it knows what kind of record it is (a generic `object.*`
    /// event may be about any object type). Once the object type says which, [`RecordId::contact`]
    /// names it as such; the range is the same, so that can not fail.
    RecordId,
    "record id"
);

impl RecordId {
    /// This record as a contact (its object type is `0-1`).
    pub const fn contact(self) -> ContactId {
        ContactId(self.0)
    }
}

impl From<ContactId> for RecordId {
    fn from(id: ContactId) -> Self {
        Self(id.0)
    }
}

/// What the id types share, for the serde helpers.
pub trait Id: Copy + Sized {
    /// What the error messages call this id.
    const KIND: &'static str;
    /// The id, when `v` is `1 ..= i64::MAX`.
    fn from_u64(v: u64) -> Option<Self>;
    /// The id as the store binds it.
    fn get(self) -> i64;
}

struct IdVisitor<T>(std::marker::PhantomData<T>);

impl<T> IdVisitor<T> {
    fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<T: Id> Visitor<'_> for IdVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a {} (a whole number from 1 to {}, or such a string)",
            T::KIND,
            i64::MAX
        )
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::from_u64(v).ok_or_else(|| E::custom(IdError::new(T::KIND, v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        u64::try_from(v)
            .ok()
            .and_then(T::from_u64)
            .ok_or_else(|| E::custom(IdError::new(T::KIND, v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.trim()
            .parse::<u64>()
            .ok()
            .and_then(T::from_u64)
            .ok_or_else(|| E::custom(IdError::new(T::KIND, v)))
    }
}

/// `#[serde(with = "handoff_ids::number")]`: the id as a JSON number (reads a number or a string),
/// for outputs and payloads that have always had it as a number.
pub mod number {
    use super::{Id, IdVisitor};
    use serde::{Deserializer, Serializer};

    /// Writes the id as a number.
    pub fn serialize<T: Id, S: Serializer>(id: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(id.get())
    }

    /// Reads `123` or `"123"`.
    pub fn deserialize<'de, T: Id, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        d.deserialize_any(IdVisitor::<T>::new())
    }

    /// One id in the number form, for the helpers below.
    struct AsNumber<T>(T);

    impl<T: Id> serde::Serialize for AsNumber<T> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            serialize(&self.0, s)
        }
    }

    impl<'de, T: Id> serde::Deserialize<'de> for AsNumber<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            deserialize(d).map(AsNumber)
        }
    }

    /// `#[serde(default, with = "handoff_ids::number::option")]`: an optional id as a number
    /// or `null`.
    pub mod option {
        use super::AsNumber;
        use crate::Id;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        /// Writes the id as a number, `None` as `null`.
        pub fn serialize<T: Id, S: Serializer>(id: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
            id.map(AsNumber).serialize(s)
        }

        /// Reads `123`, `"123"` or `null`.
        pub fn deserialize<'de, T: Id, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
            Ok(Option::<AsNumber<T>>::deserialize(d)?.map(|n| n.0))
        }
    }

    /// `#[serde(default, with = "handoff_ids::number::option_vec")]`: an optional list of ids
    /// as numbers.
    pub mod option_vec {
        use super::AsNumber;
        use crate::Id;
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        /// Writes each id as a number, `None` as `null`.
        pub fn serialize<T: Id, S: Serializer>(
            ids: &Option<Vec<T>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            ids.as_ref()
                .map(|ids| ids.iter().copied().map(AsNumber).collect::<Vec<_>>())
                .serialize(s)
        }

        /// Reads a list of `123` or `"123"`, or `null`.
        pub fn deserialize<'de, T: Id, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Vec<T>>, D::Error> {
            let ids = Option::<Vec<AsNumber<T>>>::deserialize(d)?;
            Ok(ids.map(|ids| ids.into_iter().map(|n| n.0).collect()))
        }
    }
}

#[cfg(test)]
mod tests;
