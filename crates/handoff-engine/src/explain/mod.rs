//! The engine's answers as text for admins: a decision explained (`handoff explain`) and two
//! playbooks compared over the same contacts (`handoff simulate`).

pub(crate) mod render;
pub mod simulate;
