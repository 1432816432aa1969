//! The benchmark program of issue 4: times each workload on a Chinook-like schema
//! (artist -> album -> track) for raw sqlx (hand-written SQL, positional unchecked decoding: the
//! floor), this ORM, and, built with `--features peers`, SeaORM, Diesel and ormlite; on SQLite in
//! memory, a SQLite file, the local PostgreSQL and the local MariaDB/MySQL. Contenders alternate
//! within each round so drift hits all alike; the table shows medians and the ratio to raw sqlx
//! (with 3 rounds or more, a second table the fastest round of each).
//!
//! ```text
//! cargo run --release -p orm-tests --bin bench                      # raw sqlx and this ORM
//! cargo run --release -p orm-tests --features peers --bin bench     # and the peers
//! cargo run --release -p orm-tests --bin bench -- --quick           # a smoke run (BENCH_QUICK=1)
//!   --rounds N            rounds per workload (default 5, quick 1)
//!   --targets a,b         sqlite-mem, sqlite-file, postgres, mysql (default: all)
//!   --only w1,w2          workloads by key (insert1, insert-tx, insert-many, find, select,
//!                         update, update-set, delete, eager)
//!   --contenders a,b      raw (fetch_all, then try_get_unchecked by position), raw-map (try_map +
//!                         fetch_all), raw-stream (fetch), raw-as (query_as + FromRow),
//!                         ours, ours-pgbouncer (PostgreSQL only: DbOptions::pgbouncer),
//!                         ours-trace-info, ours-trace-debug (a tracing subscriber at that level,
//!                         writing nowhere), seaorm, diesel, ormlite
//!   --scale               the scaling runs instead (see scale.rs; --csv FILE, default BENCH_DIR)
//!   --handoff             also run the SQLite worker-thread hand-off probe (see handoff.rs)
//!   --multi-thread        run on tokio's multi-thread runtime (default: current-thread)
//! ```
//! Servers: `BENCH_POSTGRES` (default postgres://postgres@127.0.0.1:5432) and `BENCH_MYSQL`
//! (default mysql://root@127.0.0.1:3306); the program (re)creates the database `orm_bench`
//! (`BENCH_DB` to name another) on each.
//! `BENCH_EACH=1` prints every timed run as it ends (its wall clock, and the process's CPU time
//! over the whole run, setup included; Linux only, in 10 ms ticks): a contender slow in every
//! round shows there.
//! The SQLite file target lives in `BENCH_DIR` (default: `orm_bench/` in the system's temporary
//! folder, created when missing; the program prints where).

mod cg;
mod handoff;
mod ours;
#[cfg(feature = "peers")]
mod peers;
mod raw;
mod scale;

use orm_core::{Backend, Model};
use std::collections::HashMap;
use std::time::Duration;

// --- the schema -------------------------------------------------------------------------------

/// An artist (Chinook's `Artist`).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "artist")]
pub struct Artist {
    #[orm(primary_key)]
    pub artist_id: i64,
    pub name: String,
}

/// An album (Chinook's `Album`).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "album")]
pub struct Album {
    #[orm(primary_key)]
    pub album_id: i64,
    pub title: String,
    #[orm(belongs_to = Artist)]
    pub artist_id: i64,
}

/// A track (Chinook's `Track`, without the genre and media type).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "track")]
pub struct Track {
    #[orm(primary_key)]
    pub track_id: i64,
    pub name: String,
    #[orm(belongs_to = Album)]
    pub album_id: i64,
    pub composer: Option<String>,
    pub milliseconds: i32,
    pub bytes: i32,
    pub unit_price: f64,
}

pub const ARTISTS: i64 = 100;
pub const ALBUMS: i64 = 1_000;
pub const TRACKS: i64 = 10_000;
/// Keys of the rows the delete workload creates (far above every generated key).
pub const DELETE_BASE: i64 = 10_000_000;

/// The seeded track with key `i` (1-based).
pub fn track(i: i64) -> Track {
    Track {
        track_id: i,
        name: format!("Track {i}"),
        album_id: (i - 1) / 10 + 1,
        composer: (i % 3 != 0).then(|| format!("Composer {}", i % 50)),
        milliseconds: 200_000 + ((i * 37) % 100_000) as i32,
        bytes: 5_000_000 + ((i * 13) % 1_000_000) as i32,
        unit_price: if i % 2 == 0 { 0.99 } else { 1.99 },
    }
}

/// The statements that create and fill the schema (literal values: generated here, not input).
pub fn schema_sql(b: Backend) -> Vec<String> {
    let mut out = vec!["DROP TABLE IF EXISTS track".to_owned(), "DROP TABLE IF EXISTS album".into()];
    out.push("DROP TABLE IF EXISTS artist".into());
    out.extend(orm_core::create_table_sql::<Artist>(b));
    out.extend(orm_core::create_table_sql::<Album>(b));
    out.extend(orm_core::create_table_sql::<Track>(b));
    let rows = |head: &str, n: i64, f: &dyn Fn(i64) -> String| -> Vec<String> {
        (1..=n)
            .collect::<Vec<_>>()
            .chunks(1000)
            .map(|c| format!("{head} VALUES {}", c.iter().map(|&i| f(i)).collect::<Vec<_>>().join(", ")))
            .collect()
    };
    out.extend(rows("INSERT INTO artist (name)", ARTISTS, &|i| format!("('Artist {i}')")));
    out.extend(rows("INSERT INTO album (title, artist_id)", ALBUMS, &|i| {
        format!("('Album {i}', {})", (i - 1) / 10 + 1)
    }));
    out.extend(rows("INSERT INTO track (name, album_id, composer, milliseconds, bytes, unit_price)", TRACKS, &|i| {
        let t = track(i);
        let composer = t.composer.map_or("NULL".to_owned(), |c| format!("'{c}'"));
        format!("('{}', {}, {composer}, {}, {}, {})", t.name, t.album_id, t.milliseconds, t.bytes, t.unit_price)
    }));
    // Fresh statistics, as a maintained database has: without them PostgreSQL may plan the
    // eager workload's `IN (...)` as a scan of the whole table.
    out.push(match b {
        Backend::MySql => "ANALYZE TABLE artist, album, track".into(),
        _ => "ANALYZE".into(),
    });
    out
}

/// Whether pools ping a connection each time they hand one out (`BENCH_PREPING=1`): sqlx's
/// default; this ORM's default is not to (see `DbOptions::test_before_acquire`), and the raw
/// sqlx contender mirrors this ORM's pool settings.
pub fn preping() -> bool {
    std::env::var_os("BENCH_PREPING").is_some_and(|v| v != "0")
}

/// Removes what a round of a workload added.
pub const CLEANUP: [&str; 2] = ["DELETE FROM track WHERE track_id > 10000", "DELETE FROM artist WHERE artist_id > 100"];

/// The statement that creates the rows the delete workload deletes.
pub fn delete_setup_sql(n: usize) -> String {
    let values: Vec<String> = (0..n as i64).map(|i| format!("({}, 'Doomed {i}')", DELETE_BASE + i)).collect();
    format!("INSERT INTO artist (artist_id, name) VALUES {}", values.join(", "))
}

/// Groups children by parent key (every contender's eager workload ends with this).
pub fn group<T>(children: Vec<T>, key: impl Fn(&T) -> i64) -> HashMap<i64, Vec<T>> {
    let mut map: HashMap<i64, Vec<T>> = HashMap::new();
    for c in children {
        map.entry(key(&c)).or_default().push(c);
    }
    map
}

// --- targets, workloads, sizes ----------------------------------------------------------------

/// The name of the benchmark database on the servers: `BENCH_DB` (letters, digits and `_`),
/// default `orm_bench`. Two runs at once need two names (each drops and re-creates its own).
fn db_name() -> String {
    match std::env::var("BENCH_DB") {
        Ok(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => n,
        _ => "orm_bench".into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    SqliteMem,
    SqliteFile,
    Postgres,
    MySql,
}

impl Target {
    const ALL: [Target; 4] = [Target::SqliteMem, Target::SqliteFile, Target::Postgres, Target::MySql];

    fn key(self) -> &'static str {
        match self {
            Target::SqliteMem => "sqlite-mem",
            Target::SqliteFile => "sqlite-file",
            Target::Postgres => "postgres",
            Target::MySql => "mysql",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Target::SqliteMem => "SQLite in memory",
            Target::SqliteFile => "SQLite file (WAL, synchronous=NORMAL)",
            Target::Postgres => "PostgreSQL",
            Target::MySql => "MariaDB",
        }
    }

    pub fn backend(self) -> Backend {
        match self {
            Target::SqliteMem | Target::SqliteFile => Backend::Sqlite,
            Target::Postgres => Backend::Postgres,
            Target::MySql => Backend::MySql,
        }
    }

    /// Whether every contender has its own database (SQLite in memory) rather than sharing one.
    pub fn private(self) -> bool {
        self == Target::SqliteMem
    }

    /// The SQLite file target's database: in `BENCH_DIR`, else a directory of the system's
    /// temporary folder that the program creates (any `CARGO_TARGET_DIR`, any checkout).
    pub fn sqlite_path() -> String {
        static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        PATH.get_or_init(|| {
            let dir = std::env::var_os("BENCH_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| std::env::temp_dir().join("orm_bench"));
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
            let path = dir.join("orm_bench.sqlite");
            eprintln!("SQLite file target: {}", path.display());
            path.to_string_lossy().into_owned()
        })
        .clone()
    }

    fn server(self) -> String {
        let (var, default) = match self {
            Target::Postgres => ("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
            _ => ("BENCH_MYSQL", "mysql://root@127.0.0.1:3306"),
        };
        std::env::var(var).unwrap_or_else(|_| default.to_owned()).trim_end_matches('/').to_owned()
    }

    /// The URL of the benchmark database.
    pub fn url(self) -> String {
        match self {
            Target::SqliteMem => "sqlite::memory:".into(),
            Target::SqliteFile => format!("sqlite://{}", Target::sqlite_path()),
            Target::Postgres | Target::MySql => format!("{}/{}", self.server(), db_name()),
        }
    }

    /// Drops and re-creates the benchmark database (servers) or file.
    async fn recreate(self) -> orm_core::Result<()> {
        match self {
            Target::SqliteMem => {}
            Target::SqliteFile => {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", Target::sqlite_path()));
                }
            }
            Target::Postgres | Target::MySql => {
                let admin = orm_core::Db::connect(&format!("{}/test", self.server())).await?;
                let name = db_name();
                let (drop, create) = if self == Target::Postgres {
                    (format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), format!("CREATE DATABASE {name}"))
                } else {
                    (
                        format!("DROP DATABASE IF EXISTS {name}"),
                        format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
                    )
                };
                orm_core::raw(&drop).execute(&admin).await?;
                orm_core::raw(&create).execute(&admin).await?;
                admin.close().await;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    InsertOne,
    InsertTx,
    InsertMany,
    Find,
    Select,
    Update,
    UpdateSet,
    Delete,
    Eager,
}

impl Work {
    const ALL: [Work; 9] = [
        Work::InsertOne,
        Work::InsertTx,
        Work::InsertMany,
        Work::Find,
        Work::Select,
        Work::Update,
        Work::UpdateSet,
        Work::Delete,
        Work::Eager,
    ];

    fn key(self) -> &'static str {
        match self {
            Work::InsertOne => "insert1",
            Work::InsertTx => "insert-tx",
            Work::InsertMany => "insert-many",
            Work::Find => "find",
            Work::Select => "select",
            Work::Update => "update",
            Work::UpdateSet => "update-set",
            Work::Delete => "delete",
            Work::Eager => "eager",
        }
    }

    fn label(self, s: &Sizes) -> String {
        match self {
            Work::InsertOne => format!("insert 1 row x{}", s.insert_one),
            Work::InsertTx => format!("{} single inserts in a tx", s.insert_many),
            Work::InsertMany => format!("insert_many {} rows", s.insert_many),
            Work::Find => format!("find by key x{}", s.find),
            Work::Select => format!("select 1,000 rows x{}", s.select),
            Work::Update => format!("update by key x{}", s.update),
            Work::UpdateSet => "set-based update of 10,000 rows".into(),
            Work::Delete => format!("delete by key x{}", s.delete),
            Work::Eager => format!("100 albums + their tracks x{}", s.eager),
        }
    }
}

/// How much each workload does.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub insert_one: usize,
    pub insert_many: usize,
    pub find: usize,
    pub select: usize,
    pub update: usize,
    pub delete: usize,
    pub eager: usize,
}

impl Sizes {
    const FULL: Sizes = Sizes {
        insert_one: 2_000,
        insert_many: 10_000,
        find: 10_000,
        select: 200,
        update: 2_000,
        delete: 2_000,
        eager: 100,
    };
    const QUICK: Sizes =
        Sizes { insert_one: 200, insert_many: 10_000, find: 1_000, select: 20, update: 200, delete: 200, eager: 10 };
}

// --- contenders -------------------------------------------------------------------------------

/// One library under test, connected to one target. Every workload method times only the work
/// itself; setup and cleanup happen outside the timed part.
pub enum Contender {
    /// Raw sqlx, reading rows one of the [`raw::Form`] ways.
    Raw(raw::Raw),
    Ours(ours::Ours),
    /// This ORM with a `tracing` subscriber installed (for this contender's turns only) at the
    /// given level, formatting to nowhere: at INFO the statement spans (DEBUG) are filtered out,
    /// at DEBUG they are built, recorded and closed.
    OursTraced(ours::Ours, tracing::Dispatch, &'static str),
    /// This ORM in its PgBouncer mode (`DbOptions::pgbouncer`), talking to PostgreSQL directly:
    /// what that mode costs (no prepared-statement cache, BEGIN/COMMIT around each statement).
    OursPooler(ours::Ours),
    #[cfg(feature = "peers")]
    Sea(peers::sea::Sea),
    #[cfg(feature = "peers")]
    Diesel(peers::dsl::Diesel),
    #[cfg(feature = "peers")]
    Ormlite(peers::lite::Lite),
}

macro_rules! each {
    ($c:expr, |$x:ident| $body:expr) => {
        match $c {
            Contender::Raw($x) => $body,
            Contender::Ours($x) => $body,
            Contender::OursTraced($x, _, _) => $body,
            Contender::OursPooler($x) => $body,
            #[cfg(feature = "peers")]
            Contender::Sea($x) => $body,
            #[cfg(feature = "peers")]
            Contender::Diesel($x) => $body,
            #[cfg(feature = "peers")]
            Contender::Ormlite($x) => $body,
        }
    };
}

const CONTENDERS: [&str; 11] = [
    "raw",
    "raw-map",
    "raw-stream",
    "raw-as",
    "ours",
    "ours-pgbouncer",
    "ours-trace-info",
    "ours-trace-debug",
    "seaorm",
    "diesel",
    "ormlite",
];

/// The contenders run unless `--contenders` names others.
const DEFAULT_CONTENDERS: [&str; 10] = [
    "raw",
    "raw-map",
    "raw-stream",
    "raw-as",
    "ours",
    "ours-pgbouncer",
    "ours-trace-info",
    "seaorm",
    "diesel",
    "ormlite",
];

/// Whether a contender is one of raw sqlx's ways of reading rows.
pub fn is_raw(key: &str) -> bool {
    key.starts_with("raw")
}

fn contender_label(key: &str) -> &'static str {
    match key {
        "raw" => "raw: fetch_all+get",
        "raw-map" => "raw: try_map",
        "raw-stream" => "raw: fetch stream",
        "raw-as" => "raw: query_as",
        "ours" => "this ORM",
        "ours-trace-info" => "this ORM, tracing at INFO",
        "ours-trace-debug" => "this ORM, tracing at DEBUG",
        "ours-pgbouncer" => "this ORM, pgbouncer mode",
        "seaorm" => "SeaORM",
        "diesel" => "Diesel",
        _ => "ormlite",
    }
}

impl Contender {
    async fn connect(key: &str, t: Target) -> Option<Contender> {
        Some(match key {
            k if raw::Form::of(k).is_some() => Contender::Raw(raw::Raw::connect(t, raw::Form::of(k)?).await),
            "ours" => Contender::Ours(ours::Ours::connect(t).await),
            "ours-trace-info" | "ours-trace-debug" => {
                let (level, key) = if key == "ours-trace-info" {
                    (tracing::Level::INFO, "ours-trace-info")
                } else {
                    (tracing::Level::DEBUG, "ours-trace-debug")
                };
                let subscriber = tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::sink).finish();
                Contender::OursTraced(ours::Ours::connect(t).await, tracing::Dispatch::new(subscriber), key)
            }
            "ours-pgbouncer" if t == Target::Postgres => Contender::OursPooler(ours::Ours::connect_pooler(t).await),
            #[cfg(feature = "peers")]
            "seaorm" => Contender::Sea(peers::sea::Sea::connect(t).await?),
            #[cfg(feature = "peers")]
            "diesel" => Contender::Diesel(peers::dsl::Diesel::connect(t).await?),
            #[cfg(feature = "peers")]
            "ormlite" => Contender::Ormlite(peers::lite::Lite::connect(t).await?),
            _ => return None,
        })
    }

    fn key(&self) -> &'static str {
        match self {
            Contender::Raw(r) => r.form.key(),
            Contender::Ours(_) => "ours",
            Contender::OursTraced(_, _, key) => key,
            Contender::OursPooler(_) => "ours-pgbouncer",
            #[cfg(feature = "peers")]
            Contender::Sea(_) => "seaorm",
            #[cfg(feature = "peers")]
            Contender::Diesel(_) => "diesel",
            #[cfg(feature = "peers")]
            Contender::Ormlite(_) => "ormlite",
        }
    }

    async fn exec(&mut self, sql: &str) {
        each!(self, |c| c.exec(sql).await)
    }

    /// Runs one round of `w`; `None` when the contender cannot do it. `salt` makes the values
    /// each run writes differ from the previous run's (MySQL skips rewriting unchanged rows).
    async fn run(&mut self, t: Target, w: Work, s: &Sizes, salt: usize) -> Option<Duration> {
        if let Contender::Raw(r) = self
            && !r.runs(w)
        {
            return None;
        }
        // The subscriber of a traced contender, for its turn only (the thread's default: the
        // ORM's spans are made on the caller's thread).
        let _trace = match self {
            Contender::OursTraced(_, d, _) => Some(tracing::dispatcher::set_default(d)),
            _ => None,
        };
        let d = match w {
            Work::InsertOne => {
                let rows: Vec<Artist> =
                    (0..s.insert_one).map(|i| Artist { artist_id: 0, name: format!("New artist {i}") }).collect();
                each!(self, |c| c.insert_one(&rows).await)
            }
            Work::InsertTx | Work::InsertMany => {
                let rows: Vec<Track> =
                    (1..=s.insert_many as i64).map(|i| Track { track_id: 0, album_id: ALBUMS, ..track(i) }).collect();
                if w == Work::InsertTx {
                    each!(self, |c| c.insert_tx(&rows).await)
                } else {
                    #[cfg(feature = "peers")]
                    if let Contender::Ormlite(l) = self
                        && !l.insert_many_works()
                    {
                        return None;
                    }
                    each!(self, |c| c.insert_many(&rows).await)
                }
            }
            Work::Find => {
                let ids: Vec<i64> = (0..s.find as i64).map(|i| (i * 7919) % TRACKS + 1).collect();
                each!(self, |c| c.find(&ids).await)
            }
            Work::Select => each!(self, |c| c.select(s.select, 100).await),
            Work::Update => {
                let rows: Vec<Track> = (1..=s.update as i64)
                    .map(|i| {
                        let mut t = track(i);
                        t.milliseconds += salt as i32 + 1;
                        t
                    })
                    .collect();
                each!(self, |c| c.update(&rows).await)
            }
            Work::UpdateSet => each!(self, |c| c.update_set(ALBUMS, salt as i32).await)?,
            Work::Delete => {
                self.exec(&delete_setup_sql(s.delete)).await;
                if t == Target::Postgres {
                    // Fresh statistics for the 2,000 new rows. Each delete's foreign-key trigger
                    // looks the key up in `artist` again through a plan cached by the server
                    // connection; one made while the table held 100 rows (a warm-up round) is a
                    // sequential scan, which then reads all 2,100 rows on every delete (~130 µs)
                    // until statistics change. Which connections hold such a plan depends on
                    // their history, not on the client: the contender connected second measured
                    // 1.9x the first with the same code. ANALYZE invalidates every connection's.
                    self.exec("ANALYZE artist").await;
                }
                let ids: Vec<i64> = (0..s.delete as i64).map(|i| DELETE_BASE + i).collect();
                each!(self, |c| c.delete(&ids).await)
            }
            Work::Eager => each!(self, |c| c.eager(s.eager, 100).await),
        };
        for sql in CLEANUP {
            self.exec(sql).await;
        }
        // The local PostgreSQL runs with autovacuum off: without this, dead rows pile up round
        // after round (each round deletes 10,000 tracks and thousands of artists) and point
        // deletes of keys deleted before slow down several times over, for whoever comes later.
        // (Not in PgBouncer mode, which wraps every statement in a transaction, where VACUUM
        // cannot run: the other contenders' VACUUM cleans the same tables.)
        if t == Target::Postgres && !matches!(self, Contender::OursPooler(_)) {
            self.exec("VACUUM (ANALYZE) artist, album, track").await;
        }
        Some(d)
    }
}

// --- the harness ------------------------------------------------------------------------------

struct Cfg {
    rounds: usize,
    sizes: Sizes,
    targets: Vec<Target>,
    works: Vec<Work>,
    contenders: Vec<&'static str>,
    handoff: bool,
    multi_thread: bool,
    quick: bool,
    scale: bool,
    csv: Option<String>,
}

fn list(arg: Option<String>) -> Option<Vec<String>> {
    arg.map(|s| s.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect())
}

fn parse_args() -> Cfg {
    let mut args = std::env::args().skip(1);
    let mut quick = std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0");
    let (mut rounds, mut targets, mut only, mut contenders) = (None, None, None, None);
    let (mut handoff, mut multi_thread, mut scale, mut csv) = (false, false, false, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--rounds" => rounds = args.next().and_then(|n| n.parse().ok()),
            "--targets" => targets = list(args.next()),
            "--only" => only = list(args.next()),
            "--contenders" => contenders = list(args.next()),
            "--handoff" => handoff = true,
            "--multi-thread" => multi_thread = true,
            "--scale" => scale = true,
            "--csv" => csv = args.next(),
            "--scale-point" => {
                scale::run_point(&args.collect::<Vec<_>>());
                std::process::exit(0);
            }
            "--callgrind-report" => {
                cg::report(&args.next().unwrap_or_else(|| ".".into()));
                std::process::exit(0);
            }
            "--bench" => {} // what `cargo bench` passes
            other => {
                eprintln!("unknown argument {other}; see the top of orm-tests/src/bin/bench/main.rs");
                std::process::exit(2);
            }
        }
    }
    let pick = |keys: &Option<Vec<String>>, k: &str| keys.as_ref().is_none_or(|v| v.iter().any(|x| x == k));
    Cfg {
        rounds: rounds.unwrap_or(if quick { 1 } else { 5 }).max(1),
        sizes: if quick { Sizes::QUICK } else { Sizes::FULL },
        targets: Target::ALL.into_iter().filter(|t| pick(&targets, t.key())).collect(),
        works: Work::ALL.into_iter().filter(|w| pick(&only, w.key())).collect(),
        contenders: CONTENDERS
            .into_iter()
            .filter(|c| match &contenders {
                Some(v) => v.iter().any(|x| x == c),
                None => DEFAULT_CONTENDERS.contains(c),
            })
            .collect(),
        handoff,
        multi_thread,
        quick,
        scale,
        csv,
    }
}

pub fn target_rank(key: &str) -> usize {
    Target::ALL.iter().position(|t| t.key() == key).unwrap_or(99)
}

pub fn work_rank(key: &str) -> usize {
    Work::ALL.iter().position(|w| w.key() == key).unwrap_or(99)
}

/// Prints one table of the target's results: `stat` of each contender's rounds per workload, and
/// its ratio to the best raw formulation's.
fn print_table(
    cfg: &Cfg,
    keys: &[&'static str],
    times: &mut HashMap<(usize, &'static str), Vec<Duration>>,
    stat: fn(&mut [Duration]) -> Duration,
) {
    print!("| workload | best raw |");
    for k in keys {
        print!(" {} |", contender_label(k));
    }
    println!();
    println!("|---|---|{}", "---|".repeat(keys.len()));
    for (wi, w) in cfg.works.iter().enumerate() {
        let stats: HashMap<&str, Duration> =
            keys.iter().filter_map(|k| Some((*k, stat(times.get_mut(&(wi, *k))?)))).collect();
        // The best raw formulation of this workload on this target, measured in this run.
        let best = stats.iter().filter(|(k, _)| is_raw(k)).min_by_key(|(_, d)| **d).map(|(k, d)| (*k, *d));
        print!("| {} |", w.label(&cfg.sizes));
        match best {
            Some((k, _)) => print!(" {} |", contender_label(k).trim_start_matches("raw: ")),
            None => print!(" n/a |"),
        }
        for k in keys {
            match (stats.get(k), best) {
                (Some(m), Some((_, b))) => print!(" {} ({:.2}) |", fmt_ms(*m), m.as_secs_f64() / b.as_secs_f64()),
                (Some(m), None) => print!(" {} |", fmt_ms(*m)),
                (None, _) => print!(" — |"),
            }
        }
        println!();
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2 }
}

/// The CPU time this process has used, in ms (user + system, from `/proc/self/stat`, which
/// counts in 10 ms ticks); 0 where there is no `/proc`.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) * 10.0
}

fn fmt_ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

async fn bench_target(t: Target, cfg: &Cfg) {
    if let Err(e) = t.recreate().await {
        println!("\n## {}\n\nskipped: {e}", t.label());
        return;
    }
    let mut cs = Vec::new();
    for key in &cfg.contenders {
        match Contender::connect(key, t).await {
            Some(c) => cs.push(c),
            None => eprintln!("{}: {key} is not built in or cannot run on {}", t.key(), t.label()),
        }
    }
    let schema = schema_sql(t.backend());
    for (i, c) in cs.iter_mut().enumerate() {
        if i == 0 || t.private() {
            for sql in &schema {
                c.exec(sql).await;
            }
        }
    }
    cg::set_label(String::new());
    // Warm-up: one quick round of everything (statement caches, buffers, server caches).
    // insert_many at full size, several times: its big statements are prepared and cached on
    // each connection before timing. A pool hands a single task a different connection for
    // almost every statement (a released connection goes back to the pool in a spawned task,
    // which has not run yet when the next statement asks for one), so every connection of a
    // pool of 10 must have seen the statement; preparing a 60,000-parameter INSERT costs as much
    // as running it (~100M instructions on MySQL). Steady state is what this program measures.
    let warm = Sizes { insert_one: 20, find: 100, select: 2, update: 20, delete: 20, eager: 2, ..cfg.sizes };
    let warm_many = if t.private() || cfg.rounds < 3 { 2 } else { 11 };
    for w in &cfg.works {
        for (k, c) in cs.iter_mut().enumerate() {
            for _ in 0..if *w == Work::InsertMany { warm_many } else { 1 } {
                c.run(t, *w, &warm, k).await;
            }
        }
    }
    let mut times: HashMap<(usize, &'static str), Vec<Duration>> = HashMap::new();
    for round in 0..cfg.rounds {
        for (wi, w) in cfg.works.iter().enumerate() {
            let n = cs.len();
            for k in 0..n {
                let c = &mut cs[(k + round + wi) % n];
                if *w == Work::InsertMany && cg::on_valgrind() {
                    // Under valgrind everything is ~50x slower: connections parked by this ORM
                    // expire (30 s) and pools rotate, so the big statement may meet a connection
                    // that has not prepared it. Run it once untimed, right before: steady state.
                    cg::set_label(String::new());
                    c.run(t, *w, &cfg.sizes, 16 * (round + 1) + k).await;
                }
                cg::set_label(format!("{}|{}|{}", t.key(), w.key(), c.key()));
                let cpu0 = cpu_ms();
                if let Some(d) = c.run(t, *w, &cfg.sizes, 16 * (round + 1) + k).await {
                    if std::env::var_os("BENCH_EACH").is_some() {
                        eprintln!(
                            "  {} {} {}: {:.1} ms, cpu {:.1} ms",
                            t.key(),
                            w.key(),
                            c.key(),
                            d.as_secs_f64() * 1e3,
                            cpu_ms() - cpu0
                        );
                    }
                    times.entry((wi, c.key())).or_default().push(d);
                }
            }
        }
        eprintln!("{}: round {}/{} done", t.key(), round + 1, cfg.rounds);
    }

    let keys: Vec<&str> = cs.iter().map(|c| c.key()).collect();
    println!("\n### {}\n", t.label());
    print_table(cfg, &keys, &mut times, median);
    if cfg.rounds >= 3 {
        // Interference only ever adds time, and on this kind of machine it comes in modes (a
        // run of point queries whose threads keep meeting on one core takes a quarter of the
        // time of one whose hand-offs wake an idle core): the fastest round is the other
        // estimate of what the code costs. Both are printed; neither is picked after the fact.
        println!("\nFastest round of each contender ({} rounds; ratio to the fastest raw round):\n", cfg.rounds);
        print_table(cfg, &keys, &mut times, |v| v.iter().copied().min().unwrap_or_default());
    }
    for c in cs {
        each!(c, |x| x.close().await);
    }
}

fn main() {
    let cfg = parse_args();
    if cfg.scale {
        scale::run_all(&cfg.targets, cfg.quick, cfg.csv.clone());
        return;
    }
    let rt = if cfg.multi_thread {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    }
    .expect("tokio runtime");
    println!(
        "# orm benchmark: {} round(s), medians, (ratio to raw sqlx); tokio {} runtime",
        cfg.rounds,
        if cfg.multi_thread { "multi-thread" } else { "current-thread" }
    );
    rt.block_on(async {
        for t in &cfg.targets {
            bench_target(*t, &cfg).await;
        }
    });
    if cfg.handoff {
        handoff::run(&cfg.sizes);
    }
}
