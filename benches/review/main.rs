//! The weekly review over a million handoffs (issue #17): seeds a ledger of 1,000,000 handoffs
//! over 12 weeks (portal 62515, plus two smaller portals), then times what `handoff review`
//! does for 12 weeks — `review::page_with_hooks`: the tuning hooks and the rows read at once,
//! then figures and HTML — and, apart, the tuning report alone (`tune::load` + its section), and each
//! store query on its own. A load script, not criterion: one run takes seconds and the seeded
//! ledger is the expensive part; five timed runs after a warm-up say enough.
//!
//! SQLite: `target/bench-review/review-v{DATA_VERSION}-{handoffs}.db`, seeded once and reused
//! (a new data version or size seeds a new file; delete old ones). PostgreSQL, when PGHOST is
//! set: database `handoff_review_v{DATA_VERSION}_{handoffs}` on that server, reused likewise
//! (a `pg_virtualenv` cluster is new each run, so there it is seeded each time):
//!
//! `cargo bench --bench review` and `pg_virtualenv -t -o fsync=on -- cargo bench --bench review`
//!
//! Options (after `--`): `--handoffs 1000000 --runs 5 --sqlite 1 --pg 1`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod data;
mod pg;
mod seed;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use handoff::config::{ConfigSources, LoadedConfig, Purpose, load_for};
use handoff::report::review::{self, IsoWeek, ReviewHooks, ReviewRequest};
use handoff::report::tune;
use handoff::store::{SqliteSynchronous, Store, StoreSettings};
use sqlx::{ConnectOptions, Connection};

/// Bump when the generated ledger changes shape: a new file / database is seeded.
const DATA_VERSION: u32 = 1;
const PORTAL: handoff_ids::PortalId = match handoff_ids::PortalId::new(62515) {
    Some(id) => id,
    None => panic!("62515 is a portal id"),
};
const TIME_ZONE: &str = "Europe/Berlin";
/// The reviewed week; "now" is its Sunday 18:00.
const WEEK: &str = "2026-W49";
const WEEKS: usize = 12;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Production store settings (config/default.toml).
fn settings(url: &str) -> StoreSettings {
    StoreSettings {
        url: url.to_owned(),
        sqlite_synchronous: SqliteSynchronous::Full,
        busy_timeout_ms: 5_000,
        max_connections: 4,
        commit_timeout_ms: 4_000,
        max_group_deliveries: 64,
    }
}

/// The shipped playbook and roster (config/default.toml), as `handoff review` loads them.
fn config() -> LoadedConfig {
    let dir = tempfile::tempdir().unwrap();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/contacts");
    let env = [(
        "HANDOFF__ENGINE__EXAMPLES_DIR".to_owned(),
        examples.to_owned(),
    )]
    .into();
    let sources = ConfigSources {
        dir: Some(dir.path().to_owned()),
        env: Some(env),
    };
    load_for(&sources, Purpose::Rules).unwrap_or_else(|r| panic!("{r}"))
}

/// The engine's explanation of the shipped DACH enterprise demo contact.
fn explanation(loaded: &LoadedConfig) -> String {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/contacts/dach-enterprise-demo.json"
    );
    let contact = handoff::admin::load_contact(Path::new(file)).unwrap();
    let at = "2026-11-24T09:00:00Z".parse().unwrap();
    let decision = handoff::admin::explain(&contact, &loaded.playbook, &loaded.roster, at);
    serde_json::to_string(&decision).unwrap()
}

fn request() -> (ReviewRequest, i64) {
    let tz = jiff::tz::TimeZone::get(TIME_ZONE).unwrap();
    let week = IsoWeek::parse(WEEK).unwrap();
    let now_ms = week.bounds_ms(&tz).1 - 6 * 3_600_000;
    let request =
        ReviewRequest::new((PORTAL, TIME_ZONE.into()), Some(week), WEEKS, now_ms).unwrap();
    (request, now_ms)
}

/// The portals of the ledger: the reviewed one with `handoffs`, two more with 5% each.
fn portals(handoffs: u64) -> Vec<data::Portal> {
    let (request, now_ms) = request();
    let since_ms = request.weeks()[0].since_ms;
    [
        (PORTAL.get(), handoffs),
        (71001, handoffs / 20),
        (71002, handoffs / 20),
    ]
    .into_iter()
    .map(|(portal_id, handoffs)| data::Portal {
        portal_id,
        handoffs,
        since_ms,
        now_ms,
    })
    .collect()
}

/// The SQLite ledger, seeded unless the file of this version and size exists.
async fn sqlite(handoffs: u64, explanation: &str) -> (String, u64) {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-review"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("review-v{DATA_VERSION}-{handoffs}.db"));
    if !path.exists() {
        let part = path.with_extension("db.part");
        let _ = std::fs::remove_file(&part);
        let url = format!("sqlite://{}", part.display());
        migrate(&url).await;
        let started = Instant::now();
        let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
            .unwrap()
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Off)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Off);
        let mut conn = seed::Conn::Sqlite(options.connect().await.unwrap());
        let (d, h) = seed::seed(&mut conn, explanation, &portals(handoffs)).await;
        if let seed::Conn::Sqlite(mut c) = conn {
            sqlx::raw_sql("PRAGMA journal_mode=WAL")
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
        }
        eprintln!(
            "seeded {d} decisions, {h} handoffs in {:.0?}",
            started.elapsed()
        );
        std::fs::rename(&part, &path).unwrap();
    }
    let url = format!("sqlite://{}", path.display());
    let size = std::fs::metadata(&path).unwrap().len();
    (url, size)
}

async fn migrate(url: &str) {
    let store = Store::connect(&settings(url)).await.unwrap();
    let started = Instant::now();
    store.migrate().await.unwrap();
    eprintln!("migrations applied in {:.1?}", started.elapsed());
    store.close().await;
}

fn stats(mut times: Vec<Duration>) -> String {
    times.sort();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    format!(
        "min {:>7.0} ms  median {:>7.0} ms  max {:>7.0} ms",
        ms(&times[0]),
        ms(&times[times.len() / 2]),
        ms(&times[times.len() - 1])
    )
}

/// `runs` timed runs of `op` after one warm-up (whose time is printed as "first").
async fn time<F, Fut>(label: &str, runs: u64, mut op: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let started = Instant::now();
    let size = op().await;
    let first = started.elapsed();
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        op().await;
        times.push(started.elapsed());
    }
    println!(
        "  {label:<34} first {:>7.0} ms  {}  ({size})",
        first.as_secs_f64() * 1000.0,
        stats(times)
    );
}

/// Times the review on the store at `url`.
async fn bench(engine: &str, url: &str, loaded: &LoadedConfig, runs: u64) {
    migrate(url).await;
    let store = Store::connect(&settings(url)).await.unwrap();
    let (request, now_ms) = request();
    let rules = (loaded.playbook.as_ref(), loaded.roster.as_ref());
    println!("{engine}: portal {PORTAL}, {WEEKS} weeks to {WEEK}");
    time("handoff review (page_with_hooks)", runs, || async {
        let html = review::page_with_hooks(&store, &request, rules, now_ms)
            .await
            .unwrap();
        html.len()
    })
    .await;
    time("page without hooks (load+render)", runs, || async {
        let html = review::page(&store, &request, rules, &ReviewHooks::default(), now_ms)
            .await
            .unwrap();
        html.len()
    })
    .await;
    time("review::load", runs, || async {
        let rows = review::load(&store, &request, now_ms).await.unwrap();
        rows.weeks.iter().map(|(_, r)| r.handoffs.len()).sum()
    })
    .await;
    time("tuning report (load + section)", runs, || async {
        let weeks = request.weeks();
        let range = (weeks[0].since_ms, weeks[weeks.len() - 1].until_ms);
        let setup = tune::TuneSetup::of(rules.0);
        let t = tune::load(&store, PORTAL, range, &setup).await.unwrap();
        tune::section(&t).into_string().len()
    })
    .await;
    queries(&store, &request, now_ms, runs.min(2)).await;
    store.close().await;
}

/// Each store query of the review on its own (12 weeks; the per-week ones for every week).
async fn queries(store: &Store, request: &ReviewRequest, now_ms: i64, runs: u64) {
    let weeks = request.weeks();
    let (first, last) = (&weeks[0], &weeks[weeks.len() - 1]);
    let k = store.kpis();
    let (since, until) = (first.since_ms, last.until_ms);
    time("  handoffs_between (12 weeks)", runs, || async {
        k.handoffs_between(PORTAL, since, until)
            .await
            .unwrap()
            .len()
    })
    .await;
    time("  ready_leads_between (x12)", runs, || async {
        let mut n = 0;
        for w in &weeks {
            n += k
                .ready_leads_between(PORTAL, w.since_ms, w.until_ms)
                .await
                .unwrap()
                .len();
        }
        n
    })
    .await;
    time("  lead_outcomes_between (x12)", runs, || async {
        let mut n = 0;
        for w in &weeks {
            n += k
                .lead_outcomes_between(PORTAL, w.since_ms, w.until_ms)
                .await
                .unwrap()
                .len();
        }
        n
    })
    .await;
    let trend: Vec<(i64, i64)> = weeks[..weeks.len() - 1]
        .iter()
        .map(|w| (w.since_ms, w.until_ms))
        .collect();
    time("  trend_totals (11 weeks)", runs, || async {
        let t = k.trend_totals(PORTAL, &trend, now_ms).await.unwrap();
        t.handoffs.iter().map(|h| h.handoffs as usize).sum()
    })
    .await;
    let (ls, lu) = (last.since_ms, last.until_ms);
    time("  pool_picks_between (week)", runs, || async {
        k.pool_picks_between(PORTAL, ls, lu).await.unwrap().len()
    })
    .await;
    time("  pool_fallbacks_between (week)", runs, || async {
        k.pool_fallbacks_between(PORTAL, ls, lu)
            .await
            .unwrap()
            .map_or(0, |m| m.len())
    })
    .await;
    time("  reassigned_between (week)", runs, || async {
        k.reassigned_between(PORTAL, ls, lu).await.unwrap().len()
    })
    .await;
    time("  loops_overdue (now)", runs, || async {
        k.loops_overdue(PORTAL, now_ms).await.unwrap().len()
    })
    .await;
    time("  decision_facts_between (12 weeks)", runs, || async {
        k.decision_facts_between(PORTAL, since, until)
            .await
            .unwrap()
            .len()
    })
    .await;
    time("  last_decision_facts_between (12w)", runs, || async {
        k.last_decision_facts_between(PORTAL, since, until)
            .await
            .unwrap()
            .len()
    })
    .await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let handoffs = arg("--handoffs", 1_000_000);
    let runs = arg("--runs", 5).max(1);
    let loaded = config();
    let explanation = explanation(&loaded);
    println!(
        "review bench: {handoffs} handoffs in portal {PORTAL} (+10% in two other portals), \
         explanation {} bytes, data v{DATA_VERSION}",
        explanation.len()
    );
    if arg("--sqlite", 1) == 1 {
        let (url, size) = sqlite(handoffs, &explanation).await;
        println!("sqlite: {url}, {:.2} GB", size as f64 / 1e9);
        bench("sqlite", &url, &loaded, runs).await;
    }
    if arg("--pg", 1) == 1
        && let Some(server) = pg::Server::from_env()
    {
        let name = format!("handoff_review_v{DATA_VERSION}_{handoffs}");
        let url = server
            .ledger(&name, |url| async move {
                migrate(&url).await;
                let mut conn =
                    seed::Conn::Postgres(sqlx::PgConnection::connect(&url).await.unwrap());
                let started = Instant::now();
                let (d, h) = seed::seed(&mut conn, &explanation, &portals(handoffs)).await;
                eprintln!(
                    "seeded {d} decisions, {h} handoffs in {:.0?}",
                    started.elapsed()
                );
            })
            .await;
        println!("postgres: {}", server.describe(&name).await);
        bench("postgres", &url, &loaded, runs).await;
    }
}
