//! Seeding from fixtures: `owners.json` (HubSpot `PublicOwner`s), `companies.json` and
//! `contacts.json` (`{"id", "properties", "companyIds"?, "createdAt"?}`, the first company is
//! the primary), and the optional `users.json` (CRM users, `users.rs`), `sequences.json` and
//! `properties.json` (property definitions and groups, `properties.rs`).
//! Every other file is required; a missing or malformed file, a duplicate id or a dangling
//! company reference is an error that names the file (and the JSON path).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::SandboxError;
use super::owners::Owner;
use super::routes::IdStr;
use super::state::{Crm, Kind, Record};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedObject {
    id: IdStr,
    #[serde(default)]
    properties: BTreeMap<String, Option<String>>,
    #[serde(default)]
    company_ids: Vec<IdStr>,
    #[serde(default)]
    created_at: Option<jiff::Timestamp>,
}

fn read<T: DeserializeOwned>(dir: &Path, name: &str) -> Result<Vec<T>, SandboxError> {
    let file = dir.join(name);
    let err = |message: String| SandboxError::Seed {
        file: file.clone(),
        message,
    };
    let text = std::fs::read_to_string(&file).map_err(|e| err(format!("cannot read: {e}")))?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        let at = format!("line {} column {}", inner.line(), inner.column());
        err(format!("{} ({at}): {inner}", e.path()))
    })
}

fn record(o: SeedObject, now: i64, links: Vec<u64>) -> Result<Record, String> {
    let id =
        o.id.parse()
            .ok_or_else(|| format!("id `{}` is not numeric", o.id.0))?;
    let mut r = Record::new(id, o.created_at.map_or(now, |t| t.as_millisecond()));
    r.properties = o
        .properties
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
    r.links = links;
    Ok(r)
}

/// `sequences.json` (`[{"id","name","userId"}]`, docs/hubspot.md "Sequence shapes") is optional: a
/// seed without it has no sequences, so every enrollment is refused as an unknown sequence.
fn sequences(dir: &Path) -> Result<Vec<super::sequences::Sequence>, SandboxError> {
    const NAME: &str = "sequences.json";
    if !dir.join(NAME).exists() {
        return Ok(Vec::new());
    }
    let list: Vec<super::sequences::Sequence> = read(dir, NAME)?;
    let mut seen = HashSet::new();
    for s in &list {
        if s.id.parse().is_none() || s.user_id.parse().is_none() {
            let message = format!("sequence {}: id and userId must be numeric", s.id.0);
            return Err(SandboxError::Seed {
                file: dir.join(NAME),
                message,
            });
        }
        if !seen.insert(s.id.0.clone()) {
            let message = format!("sequence id {} appears twice", s.id.0);
            return Err(SandboxError::Seed {
                file: dir.join(NAME),
                message,
            });
        }
    }
    Ok(list)
}

/// Loads the three files (and the optional `sequences.json`) from `dir` into a fresh CRM.
pub(crate) fn load(dir: &Path, now: i64) -> Result<Crm, SandboxError> {
    let fail = |name: &str, message: String| SandboxError::Seed {
        file: dir.join(name),
        message,
    };
    let mut crm = Crm::new(now);
    let owners: Vec<Owner> = read(dir, "owners.json")?;
    let mut seen = HashSet::new();
    if let Some(dup) = owners.iter().find(|o| !seen.insert(o.id)) {
        return Err(fail(
            "owners.json",
            format!("owner id {} appears twice", dup.id),
        ));
    }
    crm.owners = owners;
    super::users::seed(dir, now, &mut crm)?;
    crm.sequences.list = sequences(dir)?;
    crm.properties = super::properties::seed(dir)?;
    for o in read::<SeedObject>(dir, "companies.json")? {
        let rec = record(o, now, Vec::new()).map_err(|m| fail("companies.json", m))?;
        if crm.table(Kind::Company).contains_key(&rec.id) {
            return Err(fail(
                "companies.json",
                format!("company id {} appears twice", rec.id),
            ));
        }
        crm.check_owner(&rec.properties)
            .map_err(|m| fail("companies.json", format!("company {}: {m}", rec.id)))?;
        crm.insert(Kind::Company, rec);
    }
    for o in read::<SeedObject>(dir, "contacts.json")? {
        let mut links = Vec::new();
        for c in &o.company_ids {
            match c
                .parse()
                .filter(|id| crm.table(Kind::Company).contains_key(id))
            {
                Some(id) => links.push(id),
                None => {
                    let msg = format!("contact {} names unknown company {}", o.id.0, c.0);
                    return Err(fail("contacts.json", msg));
                }
            }
        }
        let rec = record(o, now, links).map_err(|m| fail("contacts.json", m))?;
        if crm.table(Kind::Contact).contains_key(&rec.id) {
            return Err(fail(
                "contacts.json",
                format!("contact id {} appears twice", rec.id),
            ));
        }
        crm.check_owner(&rec.properties)
            .map_err(|m| fail("contacts.json", format!("contact {}: {m}", rec.id)))?;
        crm.insert(Kind::Contact, rec);
    }
    Ok(crm)
}
