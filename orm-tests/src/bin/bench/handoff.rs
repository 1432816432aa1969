//! The SQLite worker-thread hand-off probe (`--handoff`).
//!
//! sqlx runs every SQLite connection on a worker thread of its own: each statement is sent to it
//! over a channel and every result row comes back over another. Diesel (and rusqlite) call
//! SQLite on the caller's thread. This probe times the same point query and the same 1,000-row
//! select on one in-memory database, several ways:
//!
//! * `sqlx, pool`: `query(..).fetch_optional(&pool)`, what raw sqlx and this ORM do;
//! * `sqlx, held connection`: the same on a `PoolConnection` acquired once (no pool checkout);
//! * `sqlx, row_channel_size 1024`: a bigger row channel (the worker blocks less often);
//! * `FFI, lock per statement`: `SqliteConnection::lock_handle()` around each statement, then the
//!   statement run through `libsqlite3-sys` on the caller's thread (the one way sqlx 0.9 offers to
//!   skip the worker, and it still costs a round trip to the worker to take the lock);
//! * `FFI, lock held`: the lock taken once for the whole loop, statements run on the caller's
//!   thread: the floor, i.e. what a synchronous driver such as Diesel's pays;
//! * `this ORM`: `Track::find` / `Track::query().filter(..).all`.
//!
//! Each is run on tokio's current-thread and multi-thread runtimes.

use crate::{Sizes, Target, Track, schema_sql};
use libsqlite3_sys as ffi;
use orm_core::Model;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Row};
use std::ffi::{c_char, c_int};
use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

const FIND: &str =
    "SELECT track_id, name, album_id, composer, milliseconds, bytes, unit_price FROM track WHERE track_id = ?";
const SELECT: &str =
    "SELECT track_id, name, album_id, composer, milliseconds, bytes, unit_price FROM track WHERE album_id <= ?";

/// A prepared statement on a handle whose lock the caller holds.
struct Stmt(*mut ffi::sqlite3_stmt);

impl Stmt {
    fn prepare(db: *mut ffi::sqlite3, sql: &str) -> Stmt {
        let mut stmt = std::ptr::null_mut();
        // SAFETY: `db` is a live handle locked away from sqlx's worker by the caller.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db,
                sql.as_ptr() as *const c_char,
                sql.len() as c_int,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        assert_eq!(rc, ffi::SQLITE_OK, "prepare {sql}");
        Stmt(stmt)
    }

    /// Binds `v` to the first parameter and collects every row.
    fn rows(&self, v: i64, mut f: impl FnMut(&Stmt)) {
        // SAFETY: the statement is live and its connection is locked by the caller.
        unsafe {
            ffi::sqlite3_reset(self.0);
            ffi::sqlite3_bind_int64(self.0, 1, v);
            loop {
                match ffi::sqlite3_step(self.0) {
                    ffi::SQLITE_ROW => f(self),
                    ffi::SQLITE_DONE => break,
                    rc => panic!("sqlite3_step: {rc}"),
                }
            }
        }
    }

    fn text(&self, i: c_int) -> Option<String> {
        // SAFETY: called on a row of a live statement; SQLite owns the text until the next step.
        unsafe {
            let p = ffi::sqlite3_column_text(self.0, i);
            if p.is_null() {
                return None;
            }
            let n = ffi::sqlite3_column_bytes(self.0, i) as usize;
            Some(std::str::from_utf8(std::slice::from_raw_parts(p, n)).expect("utf-8").to_owned())
        }
    }

    fn track(&self) -> Track {
        // SAFETY: as for `text`.
        unsafe {
            Track {
                track_id: ffi::sqlite3_column_int64(self.0, 0),
                name: self.text(1).expect("name"),
                album_id: ffi::sqlite3_column_int64(self.0, 2),
                composer: self.text(3),
                milliseconds: ffi::sqlite3_column_int(self.0, 4),
                bytes: ffi::sqlite3_column_int(self.0, 5),
                unit_price: ffi::sqlite3_column_double(self.0, 6),
            }
        }
    }

    fn finalize(self) {
        // SAFETY: finalized once, under the caller's lock.
        unsafe { ffi::sqlite3_finalize(self.0) };
    }
}

macro_rules! track {
    ($r:expr) => {
        Track {
            track_id: $r.try_get_unchecked(0)?,
            name: $r.try_get_unchecked(1)?,
            album_id: $r.try_get_unchecked(2)?,
            composer: $r.try_get_unchecked(3)?,
            milliseconds: $r.try_get_unchecked(4)?,
            bytes: $r.try_get_unchecked(5)?,
            unit_price: $r.try_get_unchecked(6)?,
        }
    };
}

async fn pool(row_channel: usize, ping: bool) -> SqlitePool {
    let co = SqliteConnectOptions::from_str("sqlite::memory:")
        .unwrap()
        .statement_cache_capacity(256)
        .row_buffer_size(row_channel);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .test_before_acquire(ping)
        .connect_with(co)
        .await
        .unwrap();
    for sql in schema_sql(orm_core::Backend::Sqlite) {
        sqlx::raw_sql(AssertSqlSafe(sql)).execute(&pool).await.unwrap();
    }
    pool
}

/// Times `finds` point queries and `selects` 1,000-row selects each way.
async fn probe(finds: usize, selects: usize) -> Vec<(&'static str, Duration, Duration)> {
    let ids: Vec<i64> = (0..finds as i64).map(|i| (i * 7919) % 10_000 + 1).collect();
    let mut out = Vec::new();

    // sqlx through the pool, and on a held connection.
    for (label, channel, ping) in [
        ("sqlx, pool (pings each checkout: sqlx's default)", 50, true),
        ("sqlx, pool without the ping", 50, false),
        ("sqlx, pool without the ping, row_buffer_size 1024", 1024, false),
    ] {
        let p = pool(channel, ping).await;
        let t = Instant::now();
        for &id in &ids {
            let tr =
                sqlx::query(FIND).bind(id).try_map(|r: sqlx::sqlite::SqliteRow| Ok(track!(r))).fetch_optional(&p).await;
            black_box(tr.unwrap().expect("track"));
        }
        let find = t.elapsed();
        let t = Instant::now();
        for _ in 0..selects {
            let rows: Vec<Track> = sqlx::query(SELECT)
                .bind(100)
                .try_map(|r: sqlx::sqlite::SqliteRow| Ok(track!(r)))
                .fetch_all(&p)
                .await
                .unwrap();
            assert_eq!(rows.len(), 1000);
        }
        out.push((label, find, t.elapsed()));
        if channel == 50 && !ping {
            let mut c = p.acquire().await.unwrap();
            let t = Instant::now();
            for &id in &ids {
                let tr = sqlx::query(FIND)
                    .bind(id)
                    .try_map(|r: sqlx::sqlite::SqliteRow| Ok(track!(r)))
                    .fetch_optional(&mut *c)
                    .await;
                black_box(tr.unwrap().expect("track"));
            }
            let find = t.elapsed();
            let t = Instant::now();
            for _ in 0..selects {
                let rows: Vec<Track> = sqlx::query(SELECT)
                    .bind(100)
                    .try_map(|r: sqlx::sqlite::SqliteRow| Ok(track!(r)))
                    .fetch_all(&mut *c)
                    .await
                    .unwrap();
                assert_eq!(rows.len(), 1000);
            }
            out.push(("sqlx, held connection", find, t.elapsed()));
        }
        p.close().await;
    }

    // FFI on the caller's thread: the lock taken per statement, then held.
    let p = pool(50, false).await;
    let mut c = p.acquire().await.unwrap();
    let (find_stmt, select_stmt) = {
        let mut h = c.lock_handle().await.unwrap();
        let db = h.as_raw_handle().as_ptr();
        (Stmt::prepare(db, FIND), Stmt::prepare(db, SELECT))
    };
    // sqlx 0.9.0: taking the lock again and again stalls after a few rounds (the worker thread
    // waits in `futures_executor::block_on` for a lock the caller's next `lock_handle` queued for
    // itself first); a timeout turns the stall into a "stalled after N statements" row.
    let t = Instant::now();
    let mut stalled = None;
    for (i, &id) in ids.iter().enumerate() {
        let Ok(h) = tokio::time::timeout(Duration::from_secs(2), c.lock_handle()).await else {
            stalled = Some(i);
            break;
        };
        let _h = h.unwrap();
        let mut got = None;
        find_stmt.rows(id, |s| got = Some(s.track()));
        black_box(got.expect("track"));
    }
    let find = t.elapsed();
    if let Some(i) = stalled {
        out.push(("FFI, lock per statement: STALLED", Duration::from_secs(i as u64), Duration::ZERO));
        // The connection cannot be used any more; leak it rather than wait for it.
        std::mem::forget(c);
        std::mem::forget(p);
        // (the statements stay unfinalized with it: `Stmt` has no destructor)
        let _ = (find_stmt, select_stmt);
        return out;
    }
    let t = Instant::now();
    for _ in 0..selects {
        let _h = c.lock_handle().await.unwrap();
        let mut rows = Vec::new();
        select_stmt.rows(100, |s| rows.push(s.track()));
        assert_eq!(rows.len(), 1000);
    }
    out.push(("FFI, lock per statement", find, t.elapsed()));
    {
        let _h = c.lock_handle().await.unwrap();
        let t = Instant::now();
        for &id in &ids {
            let mut got = None;
            find_stmt.rows(id, |s| got = Some(s.track()));
            black_box(got.expect("track"));
        }
        let find = t.elapsed();
        let t = Instant::now();
        for _ in 0..selects {
            let mut rows = Vec::new();
            select_stmt.rows(100, |s| rows.push(s.track()));
            assert_eq!(rows.len(), 1000);
        }
        out.push(("FFI, lock held (driver floor)", find, t.elapsed()));
        find_stmt.finalize();
        select_stmt.finalize();
    }
    drop(c);
    p.close().await;

    // This ORM.
    let db = orm_core::Db::connect(&Target::SqliteMem.url()).await.unwrap();
    for sql in schema_sql(orm_core::Backend::Sqlite) {
        orm_core::raw(sql).execute(&db).await.unwrap();
    }
    let t = Instant::now();
    for &id in &ids {
        black_box(Track::find(&db, id).await.unwrap().expect("track"));
    }
    let find = t.elapsed();
    let t = Instant::now();
    for _ in 0..selects {
        let rows = Track::query().filter(Track::ALBUM_ID.lte(100)).all(&db).await.unwrap();
        assert_eq!(rows.len(), 1000);
    }
    out.push(("this ORM", find, t.elapsed()));
    db.close().await;
    out
}

pub fn run(s: &Sizes) {
    let (finds, selects) = (s.find, s.select);
    println!("\n### SQLite in memory: the worker-thread hand-off\n");
    println!("| way | runtime | find by key, µs/op | select 1,000 rows, ms/op |");
    println!("|---|---|---|---|");
    for multi in [false, true] {
        let rt = if multi {
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()
        } else {
            tokio::runtime::Builder::new_current_thread().enable_all().build()
        }
        .unwrap();
        // Best of three runs of each way (the probe runs the ways one after the other).
        let mut best: Vec<(&str, Duration, Duration)> = Vec::new();
        for _ in 0..3 {
            let r = rt.block_on(probe(finds, selects));
            if best.is_empty() {
                best = r;
            } else {
                for (b, x) in best.iter_mut().zip(r) {
                    b.1 = b.1.min(x.1);
                    b.2 = b.2.min(x.2);
                }
            }
        }
        for (label, find, select) in best {
            println!(
                "| {label} | {} | {:.2} | {:.3} |",
                if multi { "multi-thread" } else { "current-thread" },
                find.as_secs_f64() * 1e6 / finds as f64,
                select.as_secs_f64() * 1e3 / selects as f64
            );
        }
    }
}
