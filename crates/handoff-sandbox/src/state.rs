//! The sandbox's CRM, in memory: contacts, companies, tasks and owners in HubSpot's record shape
//! (string ids, string property values, `createdAt`/`updatedAt`/`archived`), contact → company
//! links (the first one is the primary, and a contact's read-only `associatedcompanyid`), task →
//! contact links, merged contact ids, and the portal's required properties (`validation.rs`).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use super::owners::Owner;

/// Which object table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Contact,
    Company,
    Task,
    /// HubSpot's Lead object (0-136, docs/hubspot.md "Lead records (object 0-136)"); links: its
    /// primary contact.
    Lead,
}

impl Kind {
    /// As HubSpot names it in batch errors ("Could not get some CONTACT objects").
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Contact => "CONTACT",
            Self::Company => "COMPANY",
            Self::Task => "TASK",
            Self::Lead => "LEAD",
        }
    }

    /// Computed from the record, always returned, never written by clients.
    pub(crate) fn always(self) -> &'static [&'static str] {
        match self {
            Self::Contact | Self::Company => &["createdate", "hs_object_id", "lastmodifieddate"],
            Self::Task | Self::Lead => &["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
        }
    }

    /// Returned when no `properties` are requested (docs/hubspot.md "Records and property values").
    fn defaults(self) -> &'static [&'static str] {
        match self {
            Self::Contact => &["email", "firstname", "lastname"],
            Self::Company => &["domain", "name"],
            Self::Task => &["hs_task_subject", "hs_task_status", "hs_timestamp"],
            Self::Lead => &["hs_lead_name", "hs_pipeline", "hs_pipeline_stage"],
        }
    }
}

/// One CRM record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    pub(crate) id: u64,
    pub(crate) properties: BTreeMap<String, String>,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
    pub(crate) archived_ms: Option<i64>,
    /// Contacts: company ids, primary first. Tasks: contact ids. Companies: unused.
    pub(crate) links: Vec<u64>,
    /// Tasks: the `objectWriteTraceId` they were created with.
    pub(crate) trace_id: Option<String>,
    /// Contacts: none of the companies is the primary (unlabeled links only), so
    /// `associatedcompanyid` is empty — a state HubSpot's docs leave open (docs/hubspot.md).
    pub(crate) no_primary: bool,
}

impl Record {
    pub(crate) fn new(id: u64, now_ms: i64) -> Self {
        Self {
            id,
            properties: BTreeMap::new(),
            created_ms: now_ms,
            updated_ms: now_ms,
            archived_ms: None,
            links: Vec::new(),
            trace_id: None,
            no_primary: false,
        }
    }

    /// A contact's primary company: the first link, unless it has none.
    pub(crate) fn primary_company(&self) -> Option<u64> {
        self.links.first().copied().filter(|_| !self.no_primary)
    }

    pub(crate) fn archived(&self) -> bool {
        self.archived_ms.is_some()
    }

    /// Sets properties; `""` clears one (docs/hubspot.md "Updating contacts").
    pub(crate) fn set(&mut self, props: BTreeMap<String, String>, now_ms: i64) {
        for (k, v) in props {
            if v.is_empty() {
                self.properties.remove(&k);
            } else {
                self.properties.insert(k, v);
            }
        }
        self.updated_ms = now_ms;
    }

    /// A property's value, computed ones included.
    pub(crate) fn value(&self, name: &str) -> Option<String> {
        match name {
            "hs_object_id" => Some(self.id.to_string()),
            "createdate" | "hs_createdate" => Some(iso(self.created_ms)),
            "lastmodifieddate" | "hs_lastmodifieddate" => Some(iso(self.updated_ms)),
            _ => self.properties.get(name).cloned(),
        }
    }
}

/// The contact property holding the primary company's id.
pub(crate) const ASSOCIATED_COMPANY: &str = "associatedcompanyid";

/// Which properties a read returns.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Select<'a> {
    /// The requested ones that have a value, plus [`Kind::always`]; none = the defaults.
    Requested(&'a [String]),
    /// Every property (control API, create/update results).
    All,
}

/// `SimplePublicObject`: `{"id","properties","createdAt","updatedAt","archived"}`.
pub(crate) fn render(kind: Kind, rec: &Record, select: Select<'_>) -> Value {
    let mut names: Vec<&str> = kind.always().to_vec();
    match select {
        Select::Requested([]) => names.extend(kind.defaults()),
        Select::Requested(list) => names.extend(list.iter().map(String::as_str)),
        Select::All => names.extend(rec.properties.keys().map(String::as_str)),
    }
    let mut props = Map::new();
    for name in names {
        let value = match (kind, name) {
            // HubSpot derives it from the primary company association and refuses writes to
            // it (docs/hubspot.md "associatedcompanyid").
            (Kind::Contact, ASSOCIATED_COMPANY) => rec.primary_company().map(|c| c.to_string()),
            _ => rec.value(name),
        };
        if let Some(v) = value {
            props.insert(name.to_owned(), Value::String(v));
        }
    }
    let mut o = json!({
        "id": rec.id.to_string(),
        "properties": props,
        "createdAt": iso(rec.created_ms),
        "updatedAt": iso(rec.updated_ms),
        "archived": rec.archived(),
    });
    if let Some(ms) = rec.archived_ms {
        o["archivedAt"] = json!(iso(ms));
    }
    o
}

/// HubSpot's timestamps: UTC, millisecond precision, `Z`.
pub(crate) fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

pub(crate) fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// All records; `Clone` so a reset can go back to the seeded snapshot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Crm {
    contacts: BTreeMap<u64, Record>,
    companies: BTreeMap<u64, Record>,
    tasks: BTreeMap<u64, Record>,
    leads: BTreeMap<u64, Record>,
    /// Lead creates are refused (docs/hubspot.md "Portals without leads").
    pub(crate) leads_refused: bool,
    /// Required and conditionally required properties (`validation.rs`).
    pub(crate) validation: super::validation::Rules,
    pub(crate) owners: Vec<Owner>,
    /// CRM users (`0-115`): availability (`users.rs`).
    pub(crate) users: super::users::Users,
    /// Merged contact id → the contact it was merged into.
    merged: HashMap<u64, u64>,
    next_id: u64,
    /// When the sandbox started: `createdAt` of owners.
    pub(crate) started_ms: i64,
    /// Sales sequences and enrollments (`sequences.rs`).
    pub(crate) sequences: super::sequences::Sequences,
    /// Property definitions and groups (`properties.rs`).
    pub(crate) properties: super::properties::Schemas,
    /// The scopes the portal's app holds, and whether token lookups answer (`access.rs`).
    pub(crate) access: super::access::Access,
}

impl Crm {
    pub(crate) fn new(started_ms: i64) -> Self {
        Self {
            next_id: 1_000_001,
            started_ms,
            access: super::access::Access::granting_all(),
            ..Self::default()
        }
    }

    pub(crate) fn table(&self, kind: Kind) -> &BTreeMap<u64, Record> {
        match kind {
            Kind::Contact => &self.contacts,
            Kind::Company => &self.companies,
            Kind::Task => &self.tasks,
            Kind::Lead => &self.leads,
        }
    }

    pub(crate) fn table_mut(&mut self, kind: Kind) -> &mut BTreeMap<u64, Record> {
        match kind {
            Kind::Contact => &mut self.contacts,
            Kind::Company => &mut self.companies,
            Kind::Task => &mut self.tasks,
            Kind::Lead => &mut self.leads,
        }
    }

    /// The id a contact id stands for now: a merged id resolves to the contact it went into.
    pub(crate) fn resolve(&self, kind: Kind, mut id: u64) -> u64 {
        if kind == Kind::Contact {
            // Merges form chains (A into B, then B into C); bounded against a cycle.
            for _ in 0..64 {
                match self.merged.get(&id) {
                    Some(next) => id = *next,
                    None => break,
                }
            }
        }
        id
    }

    /// The record behind `id` (after merges) if its archived state is `archived`.
    pub(crate) fn find(&self, kind: Kind, id: u64, archived: bool) -> Option<&Record> {
        let id = self.resolve(kind, id);
        self.table(kind)
            .get(&id)
            .filter(|r| r.archived() == archived)
    }

    pub(crate) fn find_mut(&mut self, kind: Kind, id: u64) -> Option<&mut Record> {
        let id = self.resolve(kind, id);
        self.table_mut(kind).get_mut(&id).filter(|r| !r.archived())
    }

    /// A fresh id, above every id seen so far.
    pub(crate) fn allocate(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(crate) fn insert(&mut self, kind: Kind, rec: Record) {
        self.next_id = self.next_id.max(rec.id.saturating_add(1));
        self.table_mut(kind).insert(rec.id, rec);
    }

    /// Contacts merged into `id` (directly).
    pub(crate) fn merged_into(&self, id: u64) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .merged
            .iter()
            .filter(|(_, to)| **to == id)
            .map(|(from, _)| *from)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// HubSpot keeps the primary; its values win and the merged contact fills its blanks;
    /// companies and tasks move to the primary; the merged id resolves to the primary after.
    pub(crate) fn merge(&mut self, primary: u64, merged: u64, now: i64) -> Result<(), String> {
        let (primary, merged) = (
            self.resolve(Kind::Contact, primary),
            self.resolve(Kind::Contact, merged),
        );
        if primary == merged {
            return Err("a contact cannot be merged into itself".into());
        }
        let gone = self
            .contacts
            .remove(&merged)
            .filter(|r| !r.archived())
            .ok_or_else(|| format!("contact {merged} not found"))?;
        let Some(keep) = self.contacts.get_mut(&primary).filter(|r| !r.archived()) else {
            self.contacts.insert(merged, gone);
            return Err(format!("contact {primary} not found"));
        };
        for (k, v) in gone.properties {
            keep.properties.entry(k).or_insert(v);
        }
        for company in gone.links {
            if !keep.links.contains(&company) {
                keep.links.push(company);
            }
        }
        let mut ids: Vec<String> = keep
            .properties
            .get("hs_merged_object_ids")
            .map(|s| s.split(';').map(str::to_owned).collect())
            .unwrap_or_default();
        ids.push(merged.to_string());
        keep.properties
            .insert("hs_merged_object_ids".into(), ids.join(";"));
        keep.updated_ms = now;
        for task in self.tasks.values_mut().chain(self.leads.values_mut()) {
            for c in task.links.iter_mut().filter(|c| **c == merged) {
                *c = primary;
            }
            task.links.dedup();
        }
        self.merged.insert(merged, primary);
        Ok(())
    }

    /// `hubspot_owner_id` must name an owner, as HubSpot's `INVALID_OWNER_ID` check does.
    pub(crate) fn check_owner(&self, props: &BTreeMap<String, String>) -> Result<(), String> {
        match props.get("hubspot_owner_id").map(|v| v.trim()) {
            None | Some("") => Ok(()),
            Some(v) if self.owners.iter().any(|o| o.id.to_string() == v) => Ok(()),
            Some(v) => Err(format!("{v} is not a valid owner id")),
        }
    }
}

/// Rejects writes to computed properties (docs/hubspot.md "Updating contacts").
pub(crate) fn check_writable(kind: Kind, props: &BTreeMap<String, String>) -> Result<(), String> {
    let read_only =
        |k: &str| kind.always().contains(&k) || (kind == Kind::Contact && k == ASSOCIATED_COMPANY);
    match props.keys().find(|k| read_only(k)) {
        Some(k) => Err(format!(
            "{k} is a read only property; its value cannot be set"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(crm: &mut Crm, id: u64, props: &[(&str, &str)], companies: &[u64]) {
        let mut r = Record::new(id, 1_000);
        r.properties = props
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        r.links = companies.to_vec();
        crm.insert(Kind::Contact, r);
    }

    #[test]
    fn render_returns_requested_values_and_the_computed_ones() {
        let mut r = Record::new(7, 1_572_406_217_883);
        r.properties.insert("email".into(), "a@b.com".into());
        let want = ["email".to_owned(), "unknown".to_owned()];
        let o = render(Kind::Contact, &r, Select::Requested(&want));
        assert_eq!(o["id"], "7");
        assert_eq!(o["properties"]["email"], "a@b.com");
        assert_eq!(o["properties"]["hs_object_id"], "7");
        assert_eq!(o["properties"]["createdate"], "2019-10-30T03:30:17.883Z");
        assert!(o["properties"].get("unknown").is_none());
        assert_eq!(o["archived"], false);
    }

    #[test]
    fn merge_keeps_the_primary_fills_blanks_and_moves_links() {
        let mut crm = Crm::new(0);
        contact(&mut crm, 1, &[("email", "keep@x.com")], &[10]);
        contact(
            &mut crm,
            2,
            &[("email", "gone@x.com"), ("phone", "123")],
            &[11],
        );
        let mut task = Record::new(50, 0);
        task.links = vec![2];
        crm.insert(Kind::Task, task);
        crm.merge(1, 2, 5).unwrap();
        let kept = crm.find(Kind::Contact, 2, false).unwrap();
        assert_eq!(kept.id, 1);
        assert_eq!(kept.properties["email"], "keep@x.com");
        assert_eq!(kept.properties["phone"], "123");
        assert_eq!(kept.properties["hs_merged_object_ids"], "2");
        assert_eq!(kept.links, vec![10, 11]);
        assert_eq!(crm.table(Kind::Task)[&50].links, vec![1]);
        assert!(crm.merge(1, 2, 6).is_err(), "2 is 1 now");
        assert!(crm.merge(1, 99, 6).is_err());
        assert!(
            crm.find(Kind::Contact, 1, false).is_some(),
            "failed merge keeps data"
        );
    }

    #[test]
    fn writes_to_computed_properties_and_unknown_owners_are_refused() {
        let props = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert!(check_writable(Kind::Contact, &props("hs_object_id", "1")).is_err());
        assert!(check_writable(Kind::Task, &props("hs_task_subject", "x")).is_ok());
        assert!(check_writable(Kind::Contact, &props("associatedcompanyid", "5")).is_err());
        let crm = Crm::new(0);
        assert!(crm.check_owner(&props("hubspot_owner_id", "5")).is_err());
        assert!(crm.check_owner(&props("hubspot_owner_id", "")).is_ok());
    }
}
