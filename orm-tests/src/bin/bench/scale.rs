//! How cost grows with the work (`--scale`): select of N rows, eager loading of N parents with 10
//! children each, `insert_many` of N rows and streaming of N rows, for raw sqlx and this ORM, on
//! the SQLite file, PostgreSQL and MariaDB. Each point runs in a process of its own (the program
//! runs itself with `--scale-point`), so its peak RSS (`VmHWM` of `/proc/self/status`) is that
//! point's alone. The parent seeds the tables once per target, runs the points (raw and ORM
//! alternating), and writes one CSV line per point:
//!
//! ```text
//! target,series,n,contender,reps,ns_per_row,peak_rss_kib
//! ```
//!
//! Time per row is the median over the point's repetitions (after one warm-up run, which
//! prepares the statements); peak RSS is the process's, warm-up included.
//! `orm-tests/bench/plot.sh` draws the CSV (gnuplot) into `docs/perf/`.

use crate::{Target, raw};
use orm_core::Backend;
use orm_core::prelude::*;
use sqlx::{Arguments, AssertSqlSafe, Row};
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

/// The table of the select and stream series (the five-column table of issue 12).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "scale_item")]
pub struct Item {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub qty: i32,
    pub price: f64,
    pub note: Option<String>,
}

/// The table `insert_many` writes to (emptied after each run).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "scale_ins")]
pub struct Ins {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub qty: i32,
    pub price: f64,
    pub note: Option<String>,
}

/// A parent of the eager series.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "scale_parent")]
pub struct Parent {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

/// A child of the eager series (10 per parent).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "scale_child")]
pub struct Child {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Parent)]
    pub parent_id: i64,
    pub name: String,
    pub qty: i32,
}

const ITEMS: i64 = 1_000_000;
const PARENTS: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Series {
    Select,
    Eager,
    InsertMany,
    Stream,
}

impl Series {
    const ALL: [Series; 4] = [Series::Select, Series::Eager, Series::InsertMany, Series::Stream];

    fn key(self) -> &'static str {
        match self {
            Series::Select => "select",
            Series::Eager => "eager",
            Series::InsertMany => "insert-many",
            Series::Stream => "stream",
        }
    }

    fn of(key: &str) -> Option<Series> {
        Series::ALL.into_iter().find(|s| s.key() == key)
    }

    fn sizes(self, quick: bool) -> &'static [usize] {
        match (self, quick) {
            (Series::Select, false) => &[10, 100, 1_000, 10_000, 100_000],
            (Series::Eager, false) => &[10, 100, 1_000, 10_000],
            (Series::InsertMany, false) => &[100, 1_000, 10_000, 100_000, 1_000_000],
            (Series::Stream, false) => &[1_000, 10_000, 100_000, 1_000_000],
            (Series::Select, true) => &[10, 100],
            (Series::Eager, true) => &[10],
            (Series::InsertMany, true) => &[100],
            (Series::Stream, true) => &[1_000],
        }
    }

    /// Timed repetitions of a point of size `n` (rows, or parents for the eager series).
    fn reps(self, n: usize) -> usize {
        let rows = if self == Series::Eager { n * 11 } else { n };
        (300_000 / rows).clamp(3, 30)
    }
}

fn target_of(key: &str) -> Target {
    Target::ALL.into_iter().find(|t| t.key() == key).unwrap_or_else(|| panic!("unknown target {key}"))
}

/// The statements that create and fill the scaling tables (literal, generated values).
fn seed_sql(b: Backend) -> Vec<String> {
    let mut out: Vec<String> = ["scale_child", "scale_parent", "scale_ins", "scale_item"]
        .iter()
        .map(|t| format!("DROP TABLE IF EXISTS {t}"))
        .collect();
    out.extend(orm_core::create_table_sql::<Item>(b));
    out.extend(orm_core::create_table_sql::<Ins>(b));
    out.extend(orm_core::create_table_sql::<Parent>(b));
    out.extend(orm_core::create_table_sql::<Child>(b));
    // A row source 1..=n, and string concatenation, per backend.
    type Numbers = Box<dyn Fn(i64) -> String>;
    let (numbers, cat, div): (Numbers, fn(&str, &str) -> String, &str) = match b {
        Backend::Postgres => {
            (Box::new(|n| format!("generate_series(1, {n}) AS s(g)")), |a, b| format!("{a} || {b}"), "/")
        }
        Backend::MySql => (
            Box::new(|n| format!("(SELECT seq AS g FROM seq_1_to_{n}) AS s")),
            |a, b| format!("CONCAT({a}, {b})"),
            "DIV",
        ),
        _ => (
            Box::new(|n| {
                format!(
                    "(WITH RECURSIVE r(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM r WHERE g < {n}) SELECT g FROM r) AS s"
                )
            }),
            |a, b| format!("{a} || {b}"),
            "/",
        ),
    };
    out.push(format!(
        "INSERT INTO scale_item (name, qty, price, note) SELECT {}, g % 1000, (g % 100) * 0.5, \
         CASE WHEN g % 3 = 0 THEN NULL ELSE {} END FROM {} ORDER BY g",
        cat("'item '", "g"),
        cat("'note '", "g"),
        numbers(ITEMS)
    ));
    out.push(format!(
        "INSERT INTO scale_parent (name) SELECT {} FROM {} ORDER BY g",
        cat("'parent '", "g"),
        numbers(PARENTS)
    ));
    out.push(format!(
        "INSERT INTO scale_child (parent_id, name, qty) SELECT (g - 1) {div} 10 + 1, {}, g % 7 FROM {} ORDER BY g",
        cat("'child '", "g"),
        numbers(PARENTS * 10)
    ));
    out.push(match b {
        Backend::MySql => "ANALYZE TABLE scale_item, scale_parent, scale_child".into(),
        _ => "ANALYZE".into(),
    });
    out
}

/// The rows an `insert_many` point writes.
fn ins_rows(n: usize) -> Vec<Ins> {
    (0..n as i64)
        .map(|i| Ins {
            id: 0,
            name: format!("new item {i}"),
            qty: (i % 1000) as i32,
            price: (i % 100) as f64 * 0.5,
            note: (i % 3 != 0).then(|| format!("note {i}")),
        })
        .collect()
}

/// The peak resident set of this process, in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmHWM:").and_then(|v| v.split_whitespace().next()?.parse().ok()))
        })
        .unwrap_or(0)
}

/// `--scale`: seeds each target and runs every point in a child process.
pub fn run_all(targets: &[Target], quick: bool, csv: Option<String>) {
    let csv = csv.unwrap_or_else(|| {
        let dir = std::path::Path::new(&Target::sqlite_path()).parent().unwrap().to_path_buf();
        dir.join("scale.csv").to_string_lossy().into_owned()
    });
    if let Some(dir) = std::path::Path::new(&csv).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    let mut out = std::fs::File::create(&csv).unwrap_or_else(|e| panic!("cannot write {csv}: {e}"));
    writeln!(out, "target,series,n,contender,reps,ns_per_row,peak_rss_kib").unwrap();
    eprintln!("scaling results: {csv}");
    let exe = std::env::current_exe().expect("the program's path");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    for &t in targets {
        if t == Target::SqliteMem {
            continue; // one database per process: the children could not see the seed
        }
        let seeded = rt.block_on(async {
            t.recreate().await?;
            let db = Db::connect(&t.url()).await?;
            for sql in seed_sql(t.backend()) {
                orm_core::raw(&sql).execute(&db).await?;
            }
            db.close().await;
            Ok::<(), orm_core::Error>(())
        });
        if let Err(e) = seeded {
            eprintln!("{}: skipped ({e})", t.key());
            continue;
        }
        for s in Series::ALL {
            // A point whose predecessor took long is skipped (and said so): the cap of the
            // biggest N on slow backends.
            let mut last = Duration::ZERO;
            for (i, &n) in s.sizes(quick).iter().enumerate() {
                if last > Duration::from_secs(40) {
                    eprintln!("{} {} n={n}: skipped (n/10 took {last:?})", t.key(), s.key());
                    println!(
                        "{} {} n={n}: skipped, the previous point took {:.0} s",
                        t.key(),
                        s.key(),
                        last.as_secs_f64()
                    );
                    break;
                }
                let order = if i % 2 == 0 { ["raw", "ours"] } else { ["ours", "raw"] };
                let mut longest = Duration::ZERO;
                for c in order {
                    let started = Instant::now();
                    let line = run_child(&exe, t, s, n, c);
                    longest = longest.max(started.elapsed());
                    match line {
                        Some(l) => {
                            println!("{l}");
                            writeln!(out, "{l}").unwrap();
                        }
                        None => eprintln!("{} {} n={n} {c}: failed", t.key(), s.key()),
                    }
                }
                last = longest;
            }
        }
    }
}

/// Runs one point in a child process (bounded: killed after 10 minutes); its CSV line.
fn run_child(exe: &std::path::Path, t: Target, s: Series, n: usize, c: &str) -> Option<String> {
    let mut child = std::process::Command::new(exe)
        .args(["--scale-point", t.key(), s.key(), &n.to_string(), c])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > Duration::from_secs(600) => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return None,
        }
    }
    let output = child.wait_with_output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()?.lines().find_map(|l| l.strip_prefix("POINT ").map(str::to_owned))
}

/// `--scale-point TARGET SERIES N CONTENDER`: one point, in this process.
pub fn run_point(args: &[String]) {
    let [t, s, n, c] = args else {
        eprintln!("--scale-point TARGET SERIES N CONTENDER");
        std::process::exit(2);
    };
    let t = target_of(t);
    let s = Series::of(s).unwrap_or_else(|| panic!("unknown series {s}"));
    let n: usize = n.parse().expect("N");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let times = rt.block_on(async {
        let mut side = match c.as_str() {
            "raw" => Side::Raw(raw::Raw::connect_pool(t).await),
            _ => Side::Ours(Db::connect_with(&t.url(), orm_core::DbOptions::default()).await.expect("connect")),
        };
        // Warm-up: prepares the statements (for insert_many, the full chunk's; a bigger call's
        // last, partial chunk is prepared in its first timed run).
        side.once(s, n.min(20_000)).await;
        let mut times = Vec::new();
        for _ in 0..s.reps(n) {
            times.push(side.once(s, n).await);
        }
        side.close().await;
        times
    });
    let reps = times.len();
    let mut times = times;
    times.sort();
    let rows = if s == Series::Eager { n * 11 } else { n };
    let ns = times[reps / 2].as_nanos() as f64 / rows as f64;
    println!("POINT {},{},{n},{c},{reps},{ns:.1},{}", t.key(), s.key(), peak_rss_kib());
}

enum Side {
    Raw(raw::Pool),
    Ours(Db),
}

impl Side {
    async fn close(self) {
        match self {
            Side::Raw(p) => raw::close_pool(p).await,
            Side::Ours(db) => db.close().await,
        }
    }

    /// One run of series `s` at size `n`: the time of the work (an insert's cleanup excluded).
    async fn once(&mut self, s: Series, n: usize) -> Duration {
        let rows = if s == Series::InsertMany { ins_rows(n) } else { Vec::new() };
        let started = Instant::now();
        match self {
            Side::Ours(db) => ours_once(db, s, n, &rows).await,
            Side::Raw(p) => raw_once(p, s, n, &rows).await,
        }
        let d = started.elapsed();
        if s == Series::InsertMany {
            let sql = match self {
                Side::Raw(raw::Pool::Sqlite(_)) => "DELETE FROM scale_ins",
                Side::Ours(db) if db.backend() == Backend::Sqlite => "DELETE FROM scale_ins",
                _ => "TRUNCATE TABLE scale_ins",
            };
            match self {
                Side::Ours(db) => {
                    orm_core::raw(sql).execute(&*db).await.unwrap();
                }
                Side::Raw(p) => raw::exec_pool(p, sql).await,
            }
        }
        d
    }
}

async fn ours_once(db: &Db, s: Series, n: usize, rows: &[Ins]) {
    match s {
        Series::Select => {
            let items = Item::query().filter(Item::ID.lte(n as i64)).all(db).await.unwrap();
            assert_eq!(items.len(), n);
            black_box(items);
        }
        Series::Eager => {
            let parents = Parent::query().filter(Parent::ID.lte(n as i64)).all(db).await.unwrap();
            let tree: Vec<(Parent, Vec<Child>)> = parents.with_children::<Child>(db).await.unwrap();
            assert_eq!(tree.len(), n);
            assert_eq!(tree.iter().map(|g| g.1.len()).sum::<usize>(), n * 10);
            black_box(tree);
        }
        Series::InsertMany => {
            let written = Ins::insert_many(db, rows).await.unwrap();
            assert_eq!(written as usize, n);
        }
        Series::Stream => {
            let mut stream = Item::query().filter(Item::ID.lte(n as i64)).stream(db);
            let (mut count, mut sum) = (0usize, 0i64);
            while let Some(item) = stream.try_next().await.unwrap() {
                count += 1;
                sum += item.qty as i64;
                black_box(item);
            }
            assert_eq!(count, n);
            black_box(sum);
        }
    }
}

/// Decodes an item by position, unchecked.
macro_rules! item {
    ($r:expr) => {
        Item {
            id: $r.try_get_unchecked(0).unwrap(),
            name: $r.try_get_unchecked(1).unwrap(),
            qty: $r.try_get_unchecked(2).unwrap(),
            price: $r.try_get_unchecked(3).unwrap(),
            note: $r.try_get_unchecked(4).unwrap(),
        }
    };
}

/// Raw sqlx, written as the best raw formulation of the main benchmark on these workloads
/// (`fetch_all`, then positional `try_get_unchecked`; a `fetch` stream for streaming).
macro_rules! raw_series {
    ($p:expr, $db:ty, $numbered:expr, $children:ident, $s:expr, $n:expr, $rows:expr) => {{
        use futures_util::TryStreamExt;
        let p = $p;
        let n = $n;
        let ph = |i: usize| if $numbered { format!("${i}") } else { "?".to_owned() };
        match $s {
            Series::Select => {
                let sql = format!("SELECT id, name, qty, price, note FROM scale_item WHERE id <= {}", ph(1));
                let rows = sqlx::query::<$db>(AssertSqlSafe(sql)).bind(n as i64).fetch_all(p).await.unwrap();
                let items: Vec<Item> = rows.iter().map(|r| item!(r)).collect();
                assert_eq!(items.len(), n);
                black_box(items);
            }
            Series::Stream => {
                let sql = format!("SELECT id, name, qty, price, note FROM scale_item WHERE id <= {}", ph(1));
                let mut stream = sqlx::query::<$db>(AssertSqlSafe(sql)).bind(n as i64).fetch(p);
                let (mut count, mut sum) = (0usize, 0i64);
                while let Some(r) = stream.try_next().await.unwrap() {
                    let item = item!(r);
                    count += 1;
                    sum += item.qty as i64;
                    black_box(item);
                }
                assert_eq!(count, n);
                black_box(sum);
            }
            Series::Eager => {
                let sql = format!("SELECT id, name FROM scale_parent WHERE id <= {}", ph(1));
                let rows = sqlx::query::<$db>(AssertSqlSafe(sql)).bind(n as i64).fetch_all(p).await.unwrap();
                let parents: Vec<Parent> = rows
                    .iter()
                    .map(|r| Parent { id: r.try_get_unchecked(0).unwrap(), name: r.try_get_unchecked(1).unwrap() })
                    .collect();
                drop(rows);
                let keys: Vec<i64> = parents.iter().map(|p| p.id).collect();
                let children: Vec<Child> = $children(p, &keys).await;
                let mut by_parent = crate::group(children, |c| c.parent_id);
                let tree: Vec<(Parent, Vec<Child>)> = parents
                    .into_iter()
                    .map(|p| {
                        let c = by_parent.remove(&p.id).unwrap_or_default();
                        (p, c)
                    })
                    .collect();
                assert_eq!(tree.len(), n);
                assert_eq!(tree.iter().map(|g| g.1.len()).sum::<usize>(), n * 10);
                black_box(tree);
            }
            Series::InsertMany => {
                let rows: &[Ins] = $rows;
                let max = if $numbered {
                    65535
                } else if stringify!($db).contains("MySql") {
                    65535
                } else {
                    32766
                };
                let per = max / 4;
                let mut tx = if rows.len() > per { Some(p.begin().await.unwrap()) } else { None };
                let mut written = 0;
                for chunk in rows.chunks(per) {
                    let mut sql = String::with_capacity(64 + chunk.len() * 24);
                    sql.push_str("INSERT INTO scale_ins (name, qty, price, note) VALUES ");
                    let mut k = 0;
                    for i in 0..chunk.len() {
                        sql.push_str(if i == 0 { "(" } else { ", (" });
                        for c in 0..4 {
                            if c > 0 {
                                sql.push_str(", ");
                            }
                            k += 1;
                            sql.push_str(&ph(k));
                        }
                        sql.push(')');
                    }
                    let mut a = <$db as sqlx::Database>::Arguments::default();
                    for r in chunk {
                        a.add(&r.name).unwrap();
                        a.add(r.qty).unwrap();
                        a.add(r.price).unwrap();
                        a.add(&r.note).unwrap();
                    }
                    let q = sqlx::query_with::<$db, _>(AssertSqlSafe(sql), a);
                    let done = match tx.as_mut() {
                        Some(tx) => q.execute(&mut **tx).await.unwrap(),
                        None => q.execute(p).await.unwrap(),
                    };
                    written += done.rows_affected();
                }
                if let Some(tx) = tx {
                    tx.commit().await.unwrap();
                }
                assert_eq!(written as usize, rows.len());
            }
        }
    }};
}

async fn raw_once(p: &raw::Pool, s: Series, n: usize, rows: &[Ins]) {
    match p {
        raw::Pool::Sqlite(p) => raw_series!(p, sqlx::Sqlite, false, children_sqlite, s, n, rows),
        raw::Pool::Pg(p) => raw_series!(p, sqlx::Postgres, true, children_pg, s, n, rows),
        raw::Pool::My(p) => raw_series!(p, sqlx::MySql, false, children_mysql, s, n, rows),
    }
}

/// Decodes a child by position, unchecked.
macro_rules! child {
    ($r:expr) => {
        Child {
            id: $r.try_get_unchecked(0).unwrap(),
            parent_id: $r.try_get_unchecked(1).unwrap(),
            name: $r.try_get_unchecked(2).unwrap(),
            qty: $r.try_get_unchecked(3).unwrap(),
        }
    };
}

/// The children of `keys` on PostgreSQL: the keys bound as one array.
async fn children_pg(p: &sqlx::PgPool, keys: &[i64]) -> Vec<Child> {
    let sql = "SELECT id, parent_id, name, qty FROM scale_child WHERE parent_id = ANY($1)";
    let rows = sqlx::query(sql).bind(keys).fetch_all(p).await.unwrap();
    rows.iter().map(|r| child!(r)).collect()
}

/// The children of `keys` with `IN (?, ...)` lists under the bind limit.
macro_rules! children_in {
    ($name:ident, $pool:ty) => {
        async fn $name(p: &$pool, keys: &[i64]) -> Vec<Child> {
            let mut out = Vec::with_capacity(keys.len() * 10);
            for part in keys.chunks(30_000) {
                let list = vec!["?"; part.len()].join(", ");
                let sql = format!("SELECT id, parent_id, name, qty FROM scale_child WHERE parent_id IN ({list})");
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for k in part {
                    q = q.bind(*k);
                }
                let rows = q.fetch_all(p).await.unwrap();
                out.extend(rows.iter().map(|r| child!(r)));
            }
            out
        }
    };
}
children_in!(children_sqlite, sqlx::SqlitePool);
children_in!(children_mysql, sqlx::MySqlPool);
