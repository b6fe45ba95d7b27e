//! The roster: owners (HubSpot owner ids) and teams the playbook routes to. The worker fills it
//! from HubSpot's owners API plus config (`config/default.toml` `[roster]` shows the shape).
//!
//! An owner may be given by `email` alone: until HubSpot's owners list names its id
//! (`live.rs`, at every decision and in `handoff doctor`), the playbook and teams name it
//! by that email (its roster key) and it is out of rotation; once resolved, it is keyed by its
//! id and the email stays an alias, so references written either way find it.

pub mod live;

use handoff_ids::OwnerId;
use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::calendar::hours::{WeeklyHours, WeeklyHoursDoc};
use crate::playbook::validate::Problem;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterDoc {
    #[serde(default)]
    pub owners: Vec<Owner>,
    #[serde(default)]
    pub teams: Vec<Team>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    /// HubSpot owner id; empty (left out) when the id is to be resolved from HubSpot by `email`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub teams: Vec<String>,
    /// IANA zone, e.g. "Europe/Berlin".
    pub time_zone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_hours: Option<WeeklyHoursDoc>,
    #[serde(default)]
    pub out_of_office: Vec<DateRange>,
    #[serde(default)]
    pub paused: bool,
    #[serde(default = "yes")]
    pub active: bool,
    /// Whether HubSpot's user availability (away, out of office, working hours) may apply to
    /// this owner when the portal reads it (`availability.from_hubspot`). `false` keeps this
    /// owner's availability to this file alone.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub hubspot_availability: bool,
    /// Which availability inputs came from HubSpot rather than this file (set by the worker,
    /// never read from or written to TOML): decisions name the source.
    #[serde(skip)]
    pub from_hubspot: FromHubspot,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Availability the worker took from HubSpot's CRM user (docs/hubspot.md "Rep availability from CRM
/// users") for one owner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FromHubspot {
    /// `hs_availability_status` is `away`.
    pub away: bool,
    /// `out_of_office` holds HubSpot's ranges, not the file's.
    pub out_of_office: bool,
    /// `working_hours` (and `time_zone`) are HubSpot's, not the file's.
    pub working_hours: bool,
}

/// Where an availability input came from, named in decisions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The roster in the configuration.
    #[default]
    Config,
    /// HubSpot's CRM user record.
    Hubspot,
}

impl Source {
    pub(crate) fn is_config(&self) -> bool {
        *self == Source::Config
    }

    /// `in config` / `per HubSpot`, as explanations say it.
    pub(crate) fn phrase(self) -> &'static str {
        match self {
            Source::Config => "in config",
            Source::Hubspot => "per HubSpot",
        }
    }
}

/// Inclusive local dates in the owner's zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    pub from: Date,
    pub to: Date,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub id: String,
    pub name: String,
    /// Receives escalation tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// Takes the team's leads when no pool member can.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_owner: Option<String>,
}

/// An owner with its id, zone and hours parsed.
#[derive(Clone, Debug)]
pub struct RosterOwner {
    /// The HubSpot owner id: `None` while the owner is given by email alone and not resolved.
    /// Only an owner with an id is ever assigned (routing excludes the others).
    pub id: Option<OwnerId>,
    pub owner: Owner,
    pub tz: TimeZone,
    pub hours: Option<WeeklyHours>,
}

/// Owners (by [`Owner::key`]) and teams by id, checked.
#[derive(Clone, Debug, Default)]
pub struct Roster {
    pub(super) owners: BTreeMap<String, RosterOwner>,
    teams: BTreeMap<String, Team>,
    /// Email → HubSpot id of the owners given by email alone and resolved since.
    pub(super) aliases: BTreeMap<String, String>,
}

impl Roster {
    pub fn from_toml_str(text: &str) -> Result<Roster, Vec<Problem>> {
        let doc: RosterDoc =
            toml::from_str(text).map_err(|e| vec![Problem::new("owners", e.message())])?;
        Roster::new(doc)
    }

    /// Checks zones, hours, ranges, duplicate ids and team references; reports all problems.
    pub fn new(doc: RosterDoc) -> Result<Roster, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut roster = Roster::default();
        for (i, t) in doc.teams.into_iter().enumerate() {
            if roster.teams.contains_key(&t.id) {
                problems.push(Problem::new(
                    format!("owners.teams[{i}].id"),
                    format!("duplicate team `{}`", t.id),
                ));
            }
            roster.teams.insert(t.id.clone(), t);
        }
        for (i, o) in doc.owners.into_iter().enumerate() {
            let owner = roster.checked_owner(o, &format!("owners.owners[{i}]"), &mut problems);
            roster.owners.insert(owner.owner.key().to_owned(), owner);
        }
        for (id, t) in &roster.teams {
            for (field, v) in [
                ("manager", &t.manager),
                ("fallback_owner", &t.fallback_owner),
            ] {
                if let Some(o) = v.as_ref().filter(|o| !roster.owners.contains_key(*o)) {
                    problems.push(Problem::new(
                        format!("owners.teams.{id}.{field}"),
                        format!("unknown owner `{o}`"),
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(roster)
        } else {
            Err(problems)
        }
    }

    /// One owner of the roster document, with its zone and hours parsed; its problems (keys
    /// under `at`) are pushed. Teams must already be in the roster.
    fn checked_owner(&self, o: Owner, at: &str, problems: &mut Vec<Problem>) -> RosterOwner {
        let tz = TimeZone::get(&o.time_zone).unwrap_or_else(|_| {
            problems.push(Problem::new(
                format!("{at}.time_zone"),
                format!("unknown time zone `{}`", o.time_zone),
            ));
            TimeZone::UTC
        });
        let hours = match o.working_hours.as_ref().map(WeeklyHoursDoc::parse) {
            Some(Err(ps)) => {
                problems.extend(
                    ps.into_iter()
                        .map(|(p, m)| Problem::new(format!("{at}.working_hours.{p}"), m)),
                );
                None
            }
            Some(Ok(h)) => Some(h),
            None => None,
        };
        for (j, r) in o.out_of_office.iter().enumerate() {
            if r.to < r.from {
                problems.push(Problem::new(
                    format!("{at}.out_of_office[{j}]"),
                    "`to` is before `from`",
                ));
            }
        }
        for (j, t) in o.teams.iter().enumerate() {
            if !self.teams.contains_key(t) {
                problems.push(Problem::new(
                    format!("{at}.teams[{j}]"),
                    format!("unknown team `{t}`"),
                ));
            }
        }
        // Parsed once here: an id HubSpot cannot have is a config error, not owner 0.
        let id = owner_id(&o.id).unwrap_or_else(|err| {
            problems.push(Problem::new(
                format!("{at}.id"),
                format!("{err}: give HubSpot's owner id, or leave `id` out and give `email`"),
            ));
            None
        });
        if o.key().trim().is_empty() {
            problems.push(Problem::new(
                format!("{at}.email"),
                "give the owner's HubSpot `id`, or its `email` to resolve the id from HubSpot",
            ));
        } else if self.owners.contains_key(o.key()) {
            let field = if o.id.is_empty() { "email" } else { "id" };
            problems.push(Problem::new(
                format!("{at}.{field}"),
                format!("duplicate owner `{}`", o.key()),
            ));
        }
        RosterOwner {
            id,
            owner: o,
            tz,
            hours,
        }
    }

    /// The owner a playbook or team names: by id, or by email for an owner given by email
    /// alone (resolved or not).
    pub fn owner(&self, id: &str) -> Option<&RosterOwner> {
        self.owners.get(id).or_else(|| {
            self.aliases
                .get(id)
                .and_then(|resolved| self.owners.get(resolved))
        })
    }

    /// The owner with HubSpot owner id `id` (given by id, or resolved since).
    pub fn owner_by_id(&self, id: OwnerId) -> Option<&RosterOwner> {
        self.owners.get(&id.to_string())
    }

    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.get(id)
    }

    pub fn owners(&self) -> impl Iterator<Item = &RosterOwner> {
        self.owners.values()
    }

    pub fn teams(&self) -> impl Iterator<Item = &Team> {
        self.teams.values()
    }

    /// Replaces or adds an owner (tests and the worker's refresh); the zone falls back to UTC
    /// and bad hours to none when invalid, and an id that is not an owner id leaves the owner
    /// unresolved (never assigned), so this never fails.
    pub fn upsert(&mut self, owner: Owner) {
        let tz = TimeZone::get(&owner.time_zone).unwrap_or(TimeZone::UTC);
        let hours = owner.working_hours.as_ref().and_then(|h| h.parse().ok());
        let id = owner_id(&owner.id).ok().flatten();
        let entry = RosterOwner {
            id,
            owner,
            tz,
            hours,
        };
        self.owners.insert(entry.owner.key().to_owned(), entry);
    }

    /// The owner id an owner reference (a playbook's or team's: an id, or the email of an
    /// owner given by email alone) assigns: the roster owner's id, or, for a reference not in
    /// the roster, the reference itself when it is an owner id. `None` for a roster owner
    /// HubSpot has not resolved, or a reference that is neither (config loading refuses that).
    pub fn assignable_id(&self, reference: &str) -> Option<OwnerId> {
        match self.owner(reference) {
            Some(o) => o.id,
            None => reference.parse().ok(),
        }
    }

    pub fn upsert_team(&mut self, team: Team) {
        self.teams.insert(team.id.clone(), team);
    }
}

impl Owner {
    /// Its key in the roster: the HubSpot id, or the email while the id is not known.
    pub fn key(&self) -> &str {
        if self.id.is_empty() {
            &self.email
        } else {
            &self.id
        }
    }

    /// A plain available owner, for tests and benches.
    pub fn simple(id: &str, zone: &str) -> Owner {
        Owner {
            id: id.to_string(),
            email: format!("{id}@example.com"),
            name: format!("Owner {id}"),
            teams: Vec::new(),
            time_zone: zone.to_string(),
            working_hours: None,
            out_of_office: Vec::new(),
            paused: false,
            active: true,
            hubspot_availability: true,
            from_hubspot: FromHubspot::default(),
        }
    }
}

/// A written owner id: none (given by email) or a HubSpot owner id.
fn owner_id(id: &str) -> Result<Option<OwnerId>, handoff_ids::IdError> {
    if id.is_empty() {
        Ok(None)
    } else {
        id.parse().map(Some)
    }
}

#[cfg(test)]
mod tests;
