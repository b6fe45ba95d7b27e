//! Leads & sequences, only where the configuration turns them on for the portal: every stage
//! name of `[playbook.leads.stages]` matches a stage of the portal's lead pipelines (stage ids
//! and labels are per portal), and every sequence of `[[playbook.sequences]]` exists for the
//! portal's users (`worker::pipeline::sequence_check`, the check `serve` logs at start).

use std::collections::BTreeSet;

use super::{Check, Ctx, Section, Status, why};
use crate::engine::followup::leads::{Stage, stage_outcomes};
use crate::worker::pipeline::sequence_check::{Checked, check_sequences};

const S: Section = Section::LeadsAndSequences;

pub(crate) async fn check(ctx: &Ctx<'_>) -> Vec<Check> {
    let mut out = Vec::new();
    let leads = &ctx.loaded.playbook.doc.leads;
    if leads.on_for(ctx.id) {
        out.extend(stages(ctx).await);
    }
    if ctx
        .loaded
        .settings
        .pipeline
        .sequence_portals
        .contains(&ctx.id)
    {
        out.extend(sequences(ctx).await);
    }
    out
}

async fn stages(ctx: &Ctx<'_>) -> Vec<Check> {
    let doc = &ctx.loaded.playbook.doc.leads;
    let pipelines = match ctx.client.lead_pipelines(ctx.id).await {
        Ok(p) => p,
        Err(e) => {
            return vec![Check::problem(
                Status::Fail,
                S,
                "lead_stages",
                "lead stages",
                format!("the portal's lead pipelines could not be read: {}", why(&e)),
                "set up Leads in HubSpot (Sales Hub Professional+) and grant crm.objects.leads.read, or turn [playbook.leads] off",
            )];
        }
    };
    let stages: Vec<Stage> = pipelines
        .iter()
        .flat_map(|p| &p.stages)
        .map(|s| Stage {
            id: s.id.clone(),
            label: s.label.clone(),
        })
        .collect();
    let (mapped, unmatched) = stage_outcomes(doc, &stages);
    let mut out: Vec<Check> = unmatched
        .iter()
        .map(|outcome| {
            let name = format!("{outcome:?}").to_lowercase();
            Check::problem(
                Status::Fail,
                S,
                format!("lead_stages:{name}"),
                format!("lead stages for {name}"),
                "none of the names in [playbook.leads.stages] matches a stage of the portal's lead pipelines",
                format!(
                    "use a stage label or id the portal has: {}",
                    stages
                        .iter()
                        .map(|s| format!("{} ({})", s.label, s.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
        .collect();
    if out.is_empty() {
        out.push(Check::pass(
            S,
            "lead_stages",
            "lead stages",
            format!("{} stage(s) map to dispositions", mapped.len()),
        ));
    }
    out
}

async fn sequences(ctx: &Ctx<'_>) -> Vec<Check> {
    let ids: BTreeSet<String> = ctx
        .loaded
        .playbook
        .doc
        .sequences
        .iter()
        .map(|s| s.sequence_id.trim().to_owned())
        .collect();
    let ids: Vec<String> = ids.into_iter().collect();
    check_sequences(ctx.client, &[ctx.id], &ids)
        .await
        .into_iter()
        .map(|(_, id, checked)| {
            let (key, what) = (format!("sequence:{id}"), format!("sequence {id}"));
            match checked {
                Checked::Found => Check::pass(S, key, what, "exists"),
                Checked::Missing => Check::problem(
                    Status::Fail,
                    S,
                    key,
                    what,
                    "HubSpot has no such sequence (for the portal's first owner)",
                    "correct sequence_id in [[playbook.sequences]] (the number in the sequence's URL)",
                ),
                Checked::Unchecked(reason) => Check::problem(
                    Status::Warn,
                    S,
                    key,
                    what,
                    format!("not checked: {reason}"),
                    "grant automation.sequences.read and give an owner a Sales seat, then run doctor again",
                ),
            }
        })
        .collect()
}
