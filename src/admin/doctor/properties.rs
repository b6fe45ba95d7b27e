//! Properties and Write-back: every contact and company property the pipeline reads exists in
//! the portal's schema with a type its declared type can be read from (so a typo fails here,
//! against HubSpot, not only against the playbook's own declarations), and every write-back
//! property exists with a type handoff can write (`admin::write_back`), else "run `handoff
//! portal setup`". One read of each object's property list.
//!
//! Declared type ← HubSpot `type` that reads as it:
//! `string` ← any; `number` ← `number`, or an enumeration whose option values are all numbers;
//! `bool` ← `bool`, or an enumeration of `true`/`false`; `datetime` ← `datetime` or `date`.
//! Touch properties read as datetimes also take a `number` (epoch milliseconds).

use std::collections::BTreeSet;

use super::{Check, Ctx, Section, Status, why};
use crate::admin::write_back::{self, GROUP};
use crate::engine::contact::PropertyType;
use crate::hubspot::client::{PropertyDef, PropertyObject};

/// What the pipeline needs of a property it reads.
#[derive(Clone, Copy)]
enum Expect {
    Declared(PropertyType),
    Time,
    Number,
    Any,
}

struct Want {
    name: String,
    expect: Expect,
    /// The configuration key that names it.
    from: &'static str,
}

fn contact_wants(ctx: &Ctx<'_>) -> Vec<Want> {
    let pb = &ctx.loaded.playbook.doc;
    let s = &ctx.loaded.settings.pipeline;
    let mut out: Vec<Want> = pb
        .properties
        .contact
        .iter()
        .map(|(n, t)| want(n, Expect::Declared(*t), "[playbook.properties.contact]"))
        .collect();
    out.extend(
        s.touch_properties
            .iter()
            .map(|n| want(n, Expect::Time, "pipeline.touch_properties")),
    );
    out.push(want(
        &s.source_property,
        Expect::Any,
        "pipeline.source_property",
    ));
    out.push(want(
        &s.deal_amount_property,
        Expect::Number,
        "pipeline.deal_amount_property",
    ));
    out.push(want(
        "recent_conversion_event_name",
        Expect::Any,
        "the offer (task templates, sequences)",
    ));
    for d in &pb.dispositions.map {
        out.push(want(
            &d.property,
            Expect::Any,
            "[[playbook.dispositions.map]]",
        ));
        if let Some(r) = &d.reason_property {
            out.push(want(r, Expect::Any, "[[playbook.dispositions.map]]"));
        }
    }
    let written: BTreeSet<String> = write_back::properties(&s.write_back, &ctx.loaded.playbook)
        .into_iter()
        .map(|p| p.name)
        .collect();
    let mut seen = BTreeSet::new();
    out.retain(|w| !w.name.is_empty() && !written.contains(&w.name) && seen.insert(w.name.clone()));
    out
}

fn want(name: &str, expect: Expect, from: &'static str) -> Want {
    Want {
        name: name.trim().to_owned(),
        expect,
        from,
    }
}

/// Why `def` cannot be read as `expect`, if it cannot.
fn unreadable(expect: Expect, def: &PropertyDef) -> Option<String> {
    let kind = def.kind.as_str();
    let options = |ok: &dyn Fn(&str) -> bool| {
        kind == "enumeration" && !def.options.is_empty() && def.options.iter().all(|o| ok(&o.value))
    };
    let fits = match expect {
        Expect::Any | Expect::Declared(PropertyType::String) => true,
        Expect::Number | Expect::Declared(PropertyType::Number) => {
            kind == "number" || options(&|v| v.parse::<f64>().is_ok())
        }
        Expect::Declared(PropertyType::Bool) => {
            kind == "bool" || options(&|v| matches!(v, "true" | "false"))
        }
        Expect::Declared(PropertyType::Datetime) => matches!(kind, "datetime" | "date"),
        Expect::Time => matches!(kind, "datetime" | "date" | "number"),
    };
    let wanted = match expect {
        Expect::Declared(PropertyType::String) | Expect::Any => "any",
        Expect::Declared(PropertyType::Number) | Expect::Number => "number",
        Expect::Declared(PropertyType::Bool) => "bool",
        Expect::Declared(PropertyType::Datetime) | Expect::Time => "datetime",
    };
    (!fits).then(|| {
        format!(
            "read as {wanted}, but HubSpot has it as {}/{}",
            def.kind, def.field_type
        )
    })
}

fn readable(object: PropertyObject, defs: &[PropertyDef], wants: &[Want]) -> Vec<Check> {
    let o = object.as_str();
    let mut out = Vec::new();
    for w in wants {
        let id = format!("property:{o}:{}", w.name);
        let what = format!("{o} property {}", w.name);
        match defs.iter().find(|d| d.name == w.name) {
            None => out.push(Check::problem(Status::Fail, Section::Properties, id, what,
                format!("not in the portal; {} reads it, and a missing property has no value", w.from),
                format!("correct the name in {} (and every rule that reads it), or create the property in HubSpot", w.from))),
            Some(d) => if let Some(reason) = unreadable(w.expect, d) {
                out.push(Check::problem(Status::Fail, Section::Properties, id, what, reason,
                    format!("declare the type HubSpot has in {}, or read another property", w.from)));
            },
        }
    }
    if out.is_empty() {
        out.push(Check::pass(
            Section::Properties,
            format!("properties:{o}"),
            format!("{o} properties"),
            format!("all {} read exist with compatible types", wants.len()),
        ));
    }
    out
}

pub(crate) async fn check(ctx: &Ctx<'_>) -> Vec<Check> {
    let mut out = Vec::new();
    let contacts = ctx
        .client
        .properties(ctx.id, PropertyObject::Contacts)
        .await;
    match &contacts {
        Ok(defs) => out.extend(readable(
            PropertyObject::Contacts,
            defs,
            &contact_wants(ctx),
        )),
        Err(e) => out.push(unread(Section::Properties, "contacts", e)),
    }
    let company: Vec<Want> = ctx
        .loaded
        .playbook
        .doc
        .properties
        .company
        .iter()
        .map(|(n, t)| want(n, Expect::Declared(*t), "[playbook.properties.company]"))
        .collect();
    if !company.is_empty() {
        match ctx
            .client
            .properties(ctx.id, PropertyObject::Companies)
            .await
        {
            Ok(defs) => out.extend(readable(PropertyObject::Companies, &defs, &company)),
            Err(e) => out.push(unread(Section::Properties, "companies", &e)),
        }
    }
    match &contacts {
        Ok(defs) => out.extend(written(ctx, defs).await),
        Err(e) => out.push(unread(Section::WriteBack, "contacts", e)),
    }
    out
}

fn unread(section: Section, object: &str, e: &crate::hubspot::client::HubspotError) -> Check {
    Check::problem(
        Status::Fail,
        section,
        format!("properties:{object}"),
        format!("{object} properties"),
        format!(
            "the portal's {object} properties could not be read: {}",
            why(e)
        ),
        "fix the token and scopes above, then run doctor again",
    )
}

/// The write-back properties and their group.
async fn written(ctx: &Ctx<'_>, defs: &[PropertyDef]) -> Vec<Check> {
    let s = Section::WriteBack;
    let setup = format!("run `handoff portal setup --portal {}`", ctx.id.as_u64());
    let props = write_back::properties(
        &ctx.loaded.settings.pipeline.write_back,
        &ctx.loaded.playbook,
    );
    let mut out = Vec::new();
    if props.iter().any(|p| p.create.is_some()) {
        out.push(
            match ctx
                .client
                .property_group(ctx.id, PropertyObject::Contacts, GROUP)
                .await
            {
                Ok(Some(_)) => {
                    Check::pass(s, "write_back:group", format!("group {GROUP}"), "exists")
                }
                Ok(None) => Check::problem(
                    Status::Warn,
                    s,
                    "write_back:group",
                    format!("group {GROUP}"),
                    "missing (properties may live in another group)",
                    setup.clone(),
                ),
                Err(e) => Check::problem(
                    Status::Warn,
                    s,
                    "write_back:group",
                    format!("group {GROUP}"),
                    format!("could not be read: {}", why(&e)),
                    setup.clone(),
                ),
            },
        );
    }
    for p in &props {
        let id = format!("write_back:{}", p.role);
        let what = format!("{} ({})", p.name, p.role);
        out.push(match (defs.iter().find(|d| d.name == p.name), p.hubspot_owned) {
            (None, true) => Check::problem(Status::Fail, s, id, what, "HubSpot's own property is missing",
                "set pipeline.write_back.owner to hubspot_owner_id"),
            (None, false) => Check::problem(Status::Fail, s, id, what, "missing: handoff cannot write it", setup.clone()),
            (Some(d), _) => match p.compatible(d) {
                Ok(()) => Check::pass(s, id, what, format!("exists as {}/{}", d.kind, d.field_type)),
                Err(why) => Check::problem(Status::Fail, s, id, what, why,
                    format!("change the property in HubSpot or point pipeline.write_back.{} at another; setup never changes an existing property", p.role)),
            },
        });
    }
    out
}
