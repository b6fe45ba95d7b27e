//! The steps a handoff row moves through, in order (`handoffs.step`): the worker resumes a
//! handoff from its step after a retry or a crash. Stored as the same text as ever
//! (`decided`, `contact_written`, `task_created`, `sla_scheduled`; the tables' CHECK allows
//! only these), and decoded into [`Step`] when a row is read, so no caller parses it.

use std::fmt;

use serde::Serialize;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Type};

/// Steps of a handoff, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Decided,
    ContactWritten,
    TaskCreated,
    SlaScheduled,
}

impl Step {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Decided => "decided",
            Step::ContactWritten => "contact_written",
            Step::TaskCreated => "task_created",
            Step::SlaScheduled => "sla_scheduled",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Step {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "decided" => Ok(Step::Decided),
            "contact_written" => Ok(Step::ContactWritten),
            "task_created" => Ok(Step::TaskCreated),
            "sla_scheduled" => Ok(Step::SlaScheduled),
            other => Err(format!("unknown handoff step {other:?}")),
        }
    }
}

/// A step is a TEXT column on every engine.
impl<DB: Database> Type<DB> for Step
where
    str: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for Step
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(<&str as Decode<DB>>::decode(value)?.parse()?)
    }
}

#[cfg(test)]
mod tests {
    use super::Step;

    #[test]
    fn every_step_reads_back_from_the_text_it_is_stored_as() {
        for step in [
            Step::Decided,
            Step::ContactWritten,
            Step::TaskCreated,
            Step::SlaScheduled,
        ] {
            assert_eq!(step.as_str().parse::<Step>(), Ok(step));
            assert_eq!(
                serde_json::to_value(step).ok(),
                Some(serde_json::Value::String(step.as_str().into()))
            );
        }
        assert!("sent".parse::<Step>().is_err());
    }
}
