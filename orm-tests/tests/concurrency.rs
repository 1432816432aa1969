//! Many tasks sharing one cloned `Db`: no lost row, no "database is locked", on an in-memory and
//! a file SQLite database, PostgreSQL and MariaDB.

use orm_core::Backend;
use orm_core::prelude::*;
use std::collections::HashSet;
use std::path::PathBuf;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "writes")]
pub struct Write {
    #[orm(primary_key)]
    pub id: i64,
    pub writer: i32,
    pub seq: i32,
    #[orm(unique)]
    pub tag: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "counters")]
pub struct Counter {
    #[orm(primary_key)]
    pub id: i64,
    pub value: i64,
}

/// A SQLite file in the temp directory, removed (with its WAL files) on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!("orm_tests_{name}_{}_{nanos}.db", std::process::id()));
        TempFile(path)
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.0.display())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The harness's databases plus a fresh SQLite file (which must be created, as it is missing).
async fn all_dbs(name: &str, file: &TempFile) -> Vec<Db> {
    assert!(!file.0.exists());
    let db = Db::connect(&file.url()).await.expect("a missing SQLite file is created");
    assert!(file.0.exists(), "{} was created", file.0.display());
    let mut dbs = orm_tests::databases(name).await;
    dbs.insert(1, db);
    dbs
}

fn label(db: &Db, i: usize) -> String {
    match (db.backend(), i) {
        (Backend::Sqlite, 0) => "SQLite (memory)".into(),
        (Backend::Sqlite, _) => "SQLite (file)".into(),
        (b, _) => b.name().into(),
    }
}

const WRITERS: i32 = 50;
const ROWS_EACH: i32 = 4;

async fn concurrent_writers(db: &Db, what: &str) -> Result<()> {
    Write::create_table(db).await?;
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for seq in 0..ROWS_EACH {
                let mut w = Write { id: 0, writer, seq, tag: format!("{writer}-{seq}") };
                w.save(&db).await?;
                mine.push(w);
            }
            Ok::<_, Error>(mine)
        }));
    }
    let mut written = Vec::new();
    for t in tasks {
        written.extend(t.await.expect("writer task panicked")?);
    }
    let total = (WRITERS * ROWS_EACH) as usize;
    let ids: HashSet<i64> = written.iter().map(|w| w.id).collect();
    assert_eq!(ids.len(), total, "[{what}] every insert read back its own, distinct key");
    assert_eq!(Write::query().count(db).await?, total as u64, "[{what}] no lost row");
    // Each generated key belongs to the row that received it.
    let mut stored = Write::query().order_by(Write::ID.asc()).all(db).await?;
    written.sort_by_key(|w| w.id);
    stored.sort_by_key(|w| w.id);
    assert_eq!(stored, written, "[{what}] keys read back match the stored rows");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_fifty_writers_lose_no_row() {
    let file = TempFile::new("writers");
    for (i, db) in all_dbs("concurrency_writers", &file).await.into_iter().enumerate() {
        let what = label(&db, i);
        if let Err(e) = concurrent_writers(&db, &what).await {
            panic!("[{what}] {e}");
        }
        db.close().await;
    }
}

/// Transactions that read, then write: on SQLite they must wait for each other (not fail with
/// "database is locked"), and, serialized, lose no update of the counter.
async fn read_then_write_transactions(db: &Db, what: &str) -> Result<()> {
    Counter::create_table(db).await?;
    Write::create_table(db).await?;
    let mut c = Counter { id: 0, value: 0 };
    c.save(db).await?;
    let id = c.id;
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await?;
            let seen = Write::query().count(&mut tx).await?;
            let mut c = Counter::find(&mut tx, id).await?.expect("counter");
            c.value += 1;
            c.save(&mut tx).await?;
            let mut w = Write { id: 0, writer, seq: seen as i32, tag: format!("tx-{writer}") };
            w.insert(&mut tx).await?;
            tx.commit().await?;
            Ok::<_, Error>(())
        }));
    }
    for t in tasks {
        t.await.expect("transaction task panicked")?;
    }
    assert_eq!(Write::query().count(db).await?, WRITERS as u64, "[{what}] every transaction committed");
    let value = Counter::find(db, id).await?.expect("counter").value;
    if db.backend() == Backend::Sqlite {
        // BEGIN IMMEDIATE serializes SQLite writers: no lost update.
        assert_eq!(value, WRITERS as i64, "[{what}] lost updates");
    } else {
        // PostgreSQL and MariaDB run these concurrently (no row lock was asked for).
        assert!((1..=WRITERS as i64).contains(&value), "[{what}] counter {value}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_read_then_write_transactions() {
    let file = TempFile::new("transactions");
    for (i, db) in all_dbs("concurrency_transactions", &file).await.into_iter().enumerate() {
        let what = label(&db, i);
        if let Err(e) = read_then_write_transactions(&db, &what).await {
            panic!("[{what}] {e}");
        }
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_sqlite_file_is_shared_and_persists() {
    let file = TempFile::new("shared");
    let db = Db::connect(&file.url()).await.expect("connect");
    Write::create_table(&db).await.expect("create");
    // A second, independent Db on the same file sees the first one's writes, and both write.
    let other = Db::connect(&file.url()).await.expect("connect again");
    let mut tasks = Vec::new();
    for (n, handle) in [db.clone(), other.clone()].into_iter().cycle().take(20).enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut w = Write { id: 0, writer: n as i32, seq: 0, tag: format!("p{n}") };
            w.save(&handle).await
        }));
    }
    for t in tasks {
        t.await.expect("task panicked").expect("write");
    }
    assert_eq!(Write::query().count(&other).await.expect("count"), 20);
    db.close().await;
    other.close().await;
    // Reopened: the rows are on disk.
    let db = Db::connect(&file.url()).await.expect("reopen");
    assert_eq!(Write::query().count(&db).await.expect("count"), 20);
    db.close().await;
}
