//! What a sandbox starts with: listen address, seed directory, rate limit, faults, accepted
//! tokens and the Slack stand-in's settings (`slack/config.rs`). The rate limit and faults also parse from the compact CLI specs (`110/10s`,
//! `fail_next=3,status=500`) and can be replaced at run time through the control API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Everything a sandbox needs to start.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxConfig {
    /// Where the CLI binds; [`super::spawn`] binds it too (default `127.0.0.1:0`, any free port).
    pub listen: SocketAddr,
    /// Directory with `owners.json`, `companies.json` and `contacts.json`; `None` = empty CRM.
    pub seed_dir: Option<PathBuf>,
    /// Burst, daily and search limits.
    pub rate_limit: RateLimit,
    /// Faults active from the start.
    pub faults: FaultConfig,
    /// Bearer tokens accepted on CRM calls; empty = any non-empty token. Tokens issued by
    /// `POST /oauth/v3/token` are accepted until they expire either way.
    pub tokens: Vec<String>,
    /// Refresh tokens `POST /oauth/v3/token` accepts; empty = any non-empty one.
    pub refresh_tokens: Vec<String>,
    /// `expires_in` of issued access tokens, seconds (HubSpot's example: 1800).
    pub token_ttl_s: u64,
    /// The account id reported as `hub_id`.
    pub portal_id: u64,
    /// The Slack stand-in (`slack/`).
    pub slack: super::slack::SlackConfig,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed_dir: None,
            rate_limit: RateLimit::default(),
            faults: FaultConfig::default(),
            tokens: Vec::new(),
            refresh_tokens: Vec::new(),
            token_ttl_s: 1_800,
            portal_id: 62_515,
            slack: super::slack::SlackConfig::default(),
        }
    }
}

/// HubSpot's limits as the sandbox enforces them (docs/hubspot.md "Limits by app type").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RateLimit {
    /// Requests per rolling window, per private-app token or per OAuth account.
    pub requests: u32,
    /// The window (`X-HubSpot-RateLimit-Interval-Milliseconds`).
    pub interval_ms: u64,
    /// Requests per UTC day per key (`X-HubSpot-RateLimit-Daily`, private-app tokens only).
    pub daily: u64,
    /// Search requests per search window, per token (HubSpot: 5 per second, no headers).
    pub search_requests: u32,
    /// The search window.
    pub search_interval_ms: u64,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            requests: 110,
            interval_ms: 10_000,
            daily: 1_000_000,
            search_requests: 5,
            search_interval_ms: 1_000,
        }
    }
}

impl RateLimit {
    /// Rejects limits no request could pass.
    pub fn validate(&self) -> Result<(), String> {
        if self.requests == 0 || self.interval_ms == 0 {
            return Err("requests and intervalMs must be positive".into());
        }
        if self.search_requests == 0 || self.search_interval_ms == 0 {
            return Err("searchRequests and searchIntervalMs must be positive".into());
        }
        Ok(())
    }
}

/// `N/<duration>` with `ms`, `s` or `m`, e.g. `10s`.
fn parse_per(spec: &str) -> Result<(u32, u64), String> {
    let (n, window) = spec
        .split_once('/')
        .ok_or_else(|| format!("`{spec}`: expected N/DURATION, e.g. 110/10s"))?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{spec}`: `{n}` is not a request count"))?;
    let window = window.trim();
    let (digits, unit_ms) = if let Some(d) = window.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = window.strip_suffix('s') {
        (d, 1_000)
    } else if let Some(d) = window.strip_suffix('m') {
        (d, 60_000)
    } else {
        return Err(format!("`{spec}`: the window needs a unit (ms, s, m)"));
    };
    let amount: u64 = digits
        .parse()
        .map_err(|_| format!("`{spec}`: `{window}` is not a duration"))?;
    Ok((n, amount.saturating_mul(unit_ms)))
}

impl FromStr for RateLimit {
    type Err = String;

    /// `110/10s`, optionally followed by `,daily=250000` and `,search=5/1s`.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut parts = spec.split(',');
        let mut limit = Self::default();
        (limit.requests, limit.interval_ms) = parse_per(parts.next().unwrap_or_default())?;
        for part in parts {
            match part.trim().split_once('=') {
                Some(("daily", n)) => {
                    limit.daily = n
                        .parse()
                        .map_err(|_| format!("daily: `{n}` is not a count"))?;
                }
                Some(("search", per)) => {
                    (limit.search_requests, limit.search_interval_ms) = parse_per(per)?;
                }
                _ => return Err(format!("`{part}`: expected daily=N or search=N/DURATION")),
            }
        }
        limit.validate()?;
        Ok(limit)
    }
}

/// Injected failures (docs/hubspot.md "Error bodies and status codes"), deterministic for a given
/// `seed`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct FaultConfig {
    /// Fraction (0–1) of requests answered with one of `error_statuses`.
    pub error_rate: f64,
    /// Statuses for `error_rate`, picked at random; empty = 500, 502, 503, 504.
    pub error_statuses: Vec<u16>,
    /// Answer the next N requests with `fail_status`.
    pub fail_next: u32,
    /// Status for `fail_next`; 0 = 500.
    pub fail_status: u16,
    /// Only requests whose path starts with this are affected (all faults).
    pub path_prefix: Option<String>,
    /// Added to every affected request, before anything else.
    pub latency_ms: u64,
    /// When above 0, only this fraction (0–1) of affected requests gets `latency_ms`: spikes.
    pub latency_rate: f64,
    /// Added after an affected request was handled, before its answer goes out: the effect
    /// happened but the caller waits, or times out — an ambiguous outcome.
    pub response_delay_ms: u64,
    /// A 429 `TEN_SECONDLY_ROLLING` storm for this long from when the faults are set.
    pub storm_ms: u64,
    /// Every affected CRM request gets 429 `DAILY`.
    pub daily_exhausted: bool,
    /// Seed of the random draws for `error_rate`; `None` = seeded from the clock.
    pub seed: Option<u64>,
}

impl FaultConfig {
    /// Rejects rates and statuses outside their ranges.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err("errorRate must be within 0..=1".into());
        }
        if !(0.0..=1.0).contains(&self.latency_rate) {
            return Err("latencyRate must be within 0..=1".into());
        }
        let bad = |s: &u16| !(500..=599).contains(s);
        if self.error_statuses.iter().any(bad) || (self.fail_status != 0 && bad(&self.fail_status))
        {
            return Err("injected statuses must be 5xx".into());
        }
        Ok(())
    }
}

fn number<T: FromStr>(key: &str, value: Option<&str>) -> Result<T, String> {
    let v = value.ok_or_else(|| format!("{key} needs a value"))?;
    v.parse()
        .map_err(|_| format!("{key}: `{v}` is not a number"))
}

impl FromStr for FaultConfig {
    type Err = String;

    /// Comma-separated `key=value`, each key the snake_case of the control API's camelCase
    /// field (`PUT /_sandbox/faults`): `error_rate=0.1`, `error_statuses=500|503`,
    /// `fail_next=3`, `fail_status=503`, `path_prefix=/crm/v3/objects/tasks`, `latency_ms=200`,
    /// `latency_rate=0.05`, `response_delay_ms=3000`, `storm_ms=5000`, `daily_exhausted`,
    /// `seed=42`. The older short names `statuses`, `status` and `path` are still accepted. An
    /// empty spec means no faults.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut f = Self::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = match part.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim())),
                None => (part, None),
            };
            match key {
                "error_rate" => f.error_rate = number(key, value)?,
                "error_statuses" | "statuses" => {
                    f.error_statuses = value
                        .unwrap_or_default()
                        .split('|')
                        .map(|s| number(key, Some(s)))
                        .collect::<Result<_, _>>()?;
                }
                "fail_next" => f.fail_next = number(key, value)?,
                "fail_status" | "status" => f.fail_status = number(key, value)?,
                "path_prefix" | "path" => f.path_prefix = value.map(str::to_owned),
                "latency_ms" => f.latency_ms = number(key, value)?,
                "latency_rate" => f.latency_rate = number(key, value)?,
                "response_delay_ms" => f.response_delay_ms = number(key, value)?,
                "storm_ms" => f.storm_ms = number(key, value)?,
                "daily_exhausted" => f.daily_exhausted = value.is_none_or(|v| v == "true"),
                "seed" => f.seed = Some(number(key, value)?),
                other => return Err(format!("unknown fault `{other}`")),
            }
        }
        f.validate()?;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_specs_parse_with_units_and_extras() {
        let r: RateLimit = "110/10s".parse().unwrap();
        assert_eq!((r.requests, r.interval_ms), (110, 10_000));
        let r: RateLimit = "20/500ms,daily=300,search=2/1s".parse().unwrap();
        assert_eq!((r.requests, r.interval_ms, r.daily), (20, 500, 300));
        assert_eq!((r.search_requests, r.search_interval_ms), (2, 1_000));
        assert_eq!("5/1m".parse::<RateLimit>().unwrap().interval_ms, 60_000);
        for bad in ["110", "x/10s", "110/10", "0/10s", "110/10s,weekly=1"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn fault_specs_parse_every_key() {
        let f: FaultConfig =
            "error_rate=0.25,error_statuses=502|504,fail_next=2,fail_status=503,path_prefix=/crm/v3/objects/tasks,latency_ms=20,latency_rate=0.5,response_delay_ms=30,storm_ms=1000,daily_exhausted,seed=7"
                .parse()
                .unwrap();
        assert_eq!(f.error_rate, 0.25);
        assert_eq!(f.error_statuses, vec![502, 504]);
        assert_eq!((f.fail_next, f.fail_status), (2, 503));
        assert_eq!(f.path_prefix.as_deref(), Some("/crm/v3/objects/tasks"));
        assert_eq!((f.latency_ms, f.storm_ms, f.seed), (20, 1000, Some(7)));
        assert_eq!((f.latency_rate, f.response_delay_ms), (0.5, 30));
        assert!(f.daily_exhausted);
        assert_eq!("".parse::<FaultConfig>().unwrap(), FaultConfig::default());
        let old_names: FaultConfig = "statuses=502|504,status=503,path=/crm/v3/objects/tasks"
            .parse()
            .unwrap();
        assert_eq!(
            (old_names.error_statuses, old_names.fail_status),
            (vec![502, 504], 503)
        );
        assert_eq!(
            old_names.path_prefix.as_deref(),
            Some("/crm/v3/objects/tasks")
        );
        for bad in [
            "error_rate=2",
            "latency_rate=1.5",
            "status=404",
            "explode",
            "fail_next=many",
        ] {
            assert!(bad.parse::<FaultConfig>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_fault_spec_key_is_the_snake_case_of_its_control_api_field() {
        let spec = "error_rate=0.25,error_statuses=502,fail_next=2,fail_status=503,\
                    path_prefix=/crm,latency_ms=20,latency_rate=0.5,response_delay_ms=30,\
                    storm_ms=1000,daily_exhausted,seed=7";
        let parsed: FaultConfig = spec.parse().unwrap();
        let json = serde_json::to_value(&parsed).unwrap();
        let mut fields: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
        fields.sort();
        let mut keys: Vec<String> = spec
            .split(',')
            .map(|part| {
                let key = part.split('=').next().unwrap();
                // snake_case → camelCase, as serde renames the fields.
                let mut words = key.split('_');
                let first = words.next().unwrap().to_owned();
                words.fold(first, |acc, w| {
                    let mut c = w.chars();
                    let head = c.next().map(|h| h.to_ascii_uppercase()).unwrap();
                    format!("{acc}{head}{}", c.as_str())
                })
            })
            .collect();
        keys.sort();
        assert_eq!(
            keys, fields,
            "one name per fault, on the command line and in JSON"
        );
        let from_json: FaultConfig = serde_json::from_value(json).unwrap();
        assert_eq!(from_json, parsed);
    }
}
