//! Optional id columns read back typed: a row whose `task_id` (text) or nullable id is not an id
//! fails to load with a `StoreError` naming the column, never reads as none or as 0. Non-null
//! columns use `#[sqlx(try_from = "i64")]` / `"String"` straight onto the id type; a nullable one
//! decodes into these wrappers first (`#[sqlx(try_from = "NullableText")]`), since the id crate
//! knows nothing of sqlx (docs/architecture.md "Crates").

use handoff_ids::{ContactId, IdError, OwnerId, PortalId, TaskId};
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Type};

/// A nullable `TEXT` id column (owner and task ids).
#[derive(Debug)]
pub(crate) struct NullableText(Option<String>);

/// A nullable `BIGINT` id column.
#[derive(Debug)]
pub(crate) struct NullableInt(Option<i64>);

macro_rules! nullable {
    ($wrapper:ident, $inner:ty) => {
        impl<DB: Database> Type<DB> for $wrapper
        where
            $inner: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <$inner as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <$inner as Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $wrapper
        where
            Option<$inner>: Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
                <Option<$inner> as Decode<'r, DB>>::decode(value).map($wrapper)
            }
        }
    };
}

nullable!(NullableText, String);
nullable!(NullableInt, i64);

macro_rules! typed {
    ($wrapper:ident => $($id:ty),+) => {$(
        impl TryFrom<$wrapper> for Option<$id> {
            type Error = IdError;
            fn try_from(column: $wrapper) -> Result<Self, IdError> {
                column.0.map(<$id>::try_from).transpose()
            }
        }
    )+};
}

typed!(NullableText => OwnerId, TaskId);
typed!(NullableInt => PortalId, ContactId);
