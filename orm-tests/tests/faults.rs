//! Server restarts under load, and load alone (issue 8, part 4).
//!
//! * A private PostgreSQL is stopped `fast` and `immediate`, a private MariaDB killed with
//!   SIGTERM and SIGKILL, each while 16 writers insert through one `Db`, and started again: the
//!   `Db` recovers by itself within a bounded time, and no acknowledged write is lost (every
//!   insert that returned `Ok` is in the table afterwards). An insert that returned an error but
//!   whose row is there anyway (its commit reply was lost) must have said so:
//!   `Error::OutcomeUnknown`.
//! * 200 tasks x 50 inserts on a pool of 10 lose nothing, on every backend.
//!
//! The private servers live in temporary directories on free loopback ports and are removed at
//! the end (orm-tests/src/servers.rs); the shared servers are never touched.

use orm_core::DbOptions;
use orm_core::prelude::*;
use orm_tests::servers::{PgStop, PrivateMariaDb, PrivatePostgres, Signal};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "fault_writes")]
pub struct Write {
    #[orm(primary_key)]
    pub id: i64,
    pub writer: i32,
    pub seq: i32,
    #[orm(unique, max_length = 40)]
    pub tag: String,
}

const WRITERS: i32 = 16;
/// The longest one insert may take (a hang fails the test).
const OP_LIMIT: Duration = Duration::from_secs(60);
/// How long the `Db` may take to serve writes again after the server is back.
const RECOVERY_LIMIT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Log {
    acked: HashSet<String>,
    /// Tag -> the error its insert returned.
    failed: HashMap<String, String>,
    outcome_unknown: HashSet<String>,
}

struct Run {
    log: Mutex<Log>,
    stop: AtomicBool,
    ok_count: AtomicU64,
}

async fn writer(db: Db, w: i32, run: Arc<Run>) {
    let mut seq = 0;
    // Bounded: the test stops the writers long before this.
    while !run.stop.load(Ordering::Relaxed) && seq < 20_000 {
        let tag = format!("{w}-{seq}");
        let mut row = Write { id: 0, writer: w, seq, tag: tag.clone() };
        let r = tokio::time::timeout(OP_LIMIT, row.insert(&db)).await;
        let failed = !matches!(r, Ok(Ok(())));
        {
            let mut log = run.log.lock().unwrap();
            match r {
                Ok(Ok(())) => {
                    log.acked.insert(tag);
                    run.ok_count.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Err(e)) => {
                    if e.outcome_unknown() {
                        log.outcome_unknown.insert(tag.clone());
                    }
                    log.failed.insert(tag, e.to_string());
                }
                Err(_) => {
                    log.failed.insert(tag, format!("HUNG for {OP_LIMIT:?}"));
                }
            }
        }
        if failed {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        seq += 1;
    }
}

/// Runs 16 writers on `url`, calls `restart` (blocking: stop and start the server) once they
/// are busy, and checks recovery and that nothing acknowledged is lost; `Err` lists what failed.
async fn restart_under_writers(url: &str, what: &str, restart: impl FnOnce() + Send + 'static) -> Result<(), String> {
    let options = DbOptions { max_connections: 16, acquire_timeout: Duration::from_secs(5), ..DbOptions::default() };
    let db = Db::connect_with(url, options).await.unwrap_or_else(|e| panic!("[{what}] connect: {e}"));
    Write::create_table(&db).await.unwrap_or_else(|e| panic!("[{what}] create table: {e}"));
    let run =
        Arc::new(Run { log: Mutex::new(Log::default()), stop: AtomicBool::new(false), ok_count: AtomicU64::new(0) });
    let tasks: Vec<_> = (0..WRITERS).map(|w| tokio::spawn(writer(db.clone(), w, run.clone()))).collect();

    // Busy first.
    let start = Instant::now();
    while run.ok_count.load(Ordering::Relaxed) < 200 && start.elapsed() < OP_LIMIT {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before = run.ok_count.load(Ordering::Relaxed);
    assert!(before >= 200, "[{what}] the writers did not get going: {before} inserts");
    tokio::task::spawn_blocking(restart).await.expect("the restart panicked");
    let back = Instant::now();
    let at_restart = run.ok_count.load(Ordering::Relaxed);
    // Recovered: 16 x 20 more acknowledged inserts after the server is back.
    let mut recovered = None;
    while back.elapsed() < RECOVERY_LIMIT {
        let n = run.ok_count.load(Ordering::Relaxed);
        if recovered.is_none() && n > at_restart {
            recovered = Some(back.elapsed());
        }
        if n >= at_restart + 320 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    run.stop.store(true, Ordering::Relaxed);
    for t in tasks {
        tokio::time::timeout(OP_LIMIT * 2, t).await.expect("a writer HUNG").expect("a writer panicked");
    }
    let after = run.ok_count.load(Ordering::Relaxed);
    let recovered = recovered.unwrap_or_else(|| panic!("[{what}] the Db did not recover within {RECOVERY_LIMIT:?}"));
    assert!(after >= at_restart + 320, "[{what}] only {} inserts after the restart", after - at_restart);

    // What is in the table, seen by a fresh pool.
    let check = Db::connect(url).await.unwrap_or_else(|e| panic!("[{what}] connect after: {e}"));
    let stored: HashSet<String> = Write::query()
        .all(&check)
        .await
        .unwrap_or_else(|e| panic!("[{what}] read back: {e}"))
        .into_iter()
        .map(|w| w.tag)
        .collect();
    check.close().await;
    let _ = tokio::time::timeout(Duration::from_secs(10), db.close()).await;

    let log = run.log.lock().unwrap();
    let lost: Vec<&String> = log.acked.iter().filter(|t| !stored.contains(*t)).collect();
    let committed_errors: Vec<(&String, &String)> = log.failed.iter().filter(|(t, _)| stored.contains(*t)).collect();
    let unflagged: Vec<&(&String, &String)> =
        committed_errors.iter().filter(|(t, _)| !log.outcome_unknown.contains(*t)).collect();
    eprintln!(
        "[{what}] {} acknowledged inserts ({before} before the restart), {} errors ({} OutcomeUnknown, {} of \
         them committed anyway), recovered {recovered:?} after the server was back; lost: {}",
        log.acked.len(),
        log.failed.len(),
        log.outcome_unknown.len(),
        committed_errors.len(),
        lost.len()
    );
    let sample: Vec<&String> = log.failed.values().take(3).collect();
    eprintln!("[{what}] sample errors: {sample:?}");
    let mut failures = Vec::new();
    if !lost.is_empty() {
        failures.push(format!("[{what}] DATA LOSS: {} acknowledged inserts are missing: {lost:?}", lost.len()));
    }
    if !unflagged.is_empty() {
        failures.push(format!(
            "[{what}] {} insert(s) returned an error that did not say the outcome is unknown (Error::OutcomeUnknown), \
             but were committed: {unflagged:?}",
            unflagged.len()
        ));
    }
    if failures.is_empty() { Ok(()) } else { Err(failures.join("\n")) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faults_postgres_restarts_lose_no_acknowledged_write() {
    let Some(pg) = PrivatePostgres::start("faults_pg") else { return };
    let pg = Arc::new(pg);
    let mut failures = Vec::new();
    for (i, mode) in [PgStop::Fast, PgStop::Immediate, PgStop::Fast, PgStop::Immediate].into_iter().enumerate() {
        let url = pg.create_database(&format!("faults_pg_{i}")).await;
        let server = pg.clone();
        let r = restart_under_writers(&url, &format!("PostgreSQL stop -m {mode:?} #{i}"), move || {
            server.stop(mode);
            std::thread::sleep(Duration::from_millis(500));
            server.start_again();
        })
        .await;
        failures.extend(r.err());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faults_mariadb_kills_lose_no_acknowledged_write() {
    let Some(my) = PrivateMariaDb::start("faults_my", &[]) else { return };
    let my = Arc::new(my);
    let mut failures = Vec::new();
    for (i, signal) in [Signal::Term, Signal::Kill, Signal::Term, Signal::Kill].into_iter().enumerate() {
        let url = my.create_database(&format!("faults_my_{i}")).await;
        let server = my.clone();
        let r = restart_under_writers(&url, &format!("MariaDB kill -{signal:?} #{i}"), move || {
            server.kill(signal);
            std::thread::sleep(Duration::from_millis(500));
            server.start_again();
        })
        .await;
        failures.extend(r.err());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// 200 tasks x 50 inserts through a pool of 10: every insert returns Ok with its own key, and
/// all 10,000 rows are there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faults_load_200_tasks_on_a_pool_of_10_lose_nothing() {
    let options = DbOptions { max_connections: 10, acquire_timeout: Duration::from_secs(60), ..DbOptions::default() };
    for b in orm_core::Backend::ALL {
        let Some(db) = orm_tests::database_with(b, "faults_load", options.clone()).await else { continue };
        let what = b.name();
        Write::create_table(&db).await.unwrap_or_else(|e| panic!("[{what}] {e}"));
        let tasks: Vec<_> = (0..200)
            .map(|w| {
                let db = db.clone();
                tokio::spawn(async move {
                    let mut ids = Vec::new();
                    for seq in 0..50 {
                        let mut row = Write { id: 0, writer: w, seq, tag: format!("{w}-{seq}") };
                        tokio::time::timeout(OP_LIMIT, row.insert(&db))
                            .await
                            .map_err(|_| "HUNG".to_owned())?
                            .map_err(|e| e.to_string())?;
                        ids.push(row.id);
                    }
                    Ok::<_, String>(ids)
                })
            })
            .collect();
        let mut ids = HashSet::new();
        for t in tasks {
            let mine = t.await.expect("a task panicked").unwrap_or_else(|e| panic!("[{what}] insert failed: {e}"));
            ids.extend(mine);
        }
        assert_eq!(ids.len(), 10_000, "[{what}] every insert got its own key");
        let n = Write::query().count(&db).await.unwrap_or_else(|e| panic!("[{what}] {e}"));
        assert_eq!(n, 10_000, "[{what}] rows lost under load");
        eprintln!("[{what}] 200 tasks x 50 inserts on a pool of 10: 10000 of 10000 rows");
        let _ = tokio::time::timeout(Duration::from_secs(10), db.close()).await;
    }
}
