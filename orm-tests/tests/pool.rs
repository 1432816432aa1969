//! The connection pool: connections parked after a statement (`backend/hot.rs`) are reused by
//! the next statement, and never keep another path (a transaction, a row stream, a script,
//! another task, `close`) waiting; a statement cancelled midway leaves no trace on the next one.

use futures_util::TryStreamExt;
use orm_core::prelude::*;
use orm_core::{Backend, DbOptions};
use std::time::Duration;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "notes")]
pub struct Note {
    #[orm(primary_key)]
    pub id: i64,
    pub body: String,
}

/// One connection at most, and a short wait for it: a path that waits on a parked connection
/// fails the test in seconds instead of hanging it.
fn one_connection() -> DbOptions {
    DbOptions { max_connections: 1, acquire_timeout: Duration::from_secs(30), ..DbOptions::default() }
}

async fn single_connection_dbs(name: &str) -> Vec<Db> {
    let mut out = Vec::new();
    for b in Backend::ALL {
        if let Some(db) = orm_tests::database_with(b, name, one_connection()).await {
            out.push(db);
        }
    }
    out
}

async fn seed(db: &Db, n: i64) -> Result<()> {
    Note::create_table(db).await?;
    let rows: Vec<Note> = (1..=n).map(|id| Note { id, body: format!("note {id}") }).collect();
    Note::insert_many(db, &rows).await?;
    Ok(())
}

/// The connection's id on the server (SQLite in memory has one connection: always the same).
async fn session_id<'e>(exec: impl Into<Executor<'e>>) -> Result<i64> {
    let exec = exec.into();
    let sql = match exec.backend() {
        Backend::Postgres => "SELECT CAST(pg_backend_pid() AS BIGINT)",
        Backend::MySql => "SELECT CAST(CONNECTION_ID() AS SIGNED)",
        Backend::Sqlite => "SELECT 1",
    };
    Ok(orm_core::raw(sql).fetch_scalar::<i64>(exec).await?.expect("one row"))
}

#[tokio::test]
async fn pool_sequential_statements_reuse_one_connection() {
    // sqlx alone hands a task a different connection for almost every statement (the last one
    // is still being pinged on its way back to the pool); parked connections are reused.
    orm_tests::each_backend!("pool_reuse", |db| {
        let first = session_id(&db).await?;
        for _ in 0..20 {
            assert_eq!(session_id(&db).await?, first);
        }
        Ok(())
    });
}

#[tokio::test]
async fn pool_single_connection_serves_every_path() {
    for db in single_connection_dbs("pool_single_connection").await {
        let backend = db.backend();
        let r: Result<()> = async {
            seed(&db, 50).await?;
            // Each of these runs right after a statement parked the only connection.
            assert!(Note::find(&db, 1).await?.is_some());
            let streamed: Vec<Note> = Note::query().stream(&db).try_collect().await?;
            assert_eq!(streamed.len(), 50);
            assert!(Note::find(&db, 2).await?.is_some());
            let mut tx = db.begin().await?;
            Note { id: 51, body: "in a tx".into() }.insert(&mut tx).await?;
            tx.commit().await?;
            db.execute_script("UPDATE notes SET body = 'scripted' WHERE id = 51").await?;
            assert_eq!(Note::find(&db, 51).await?.map(|n| n.body), Some("scripted".into()));
            let (_, created) = Note::query()
                .filter(Note::ID.eq(52))
                .get_or_create(&db, || Note { id: 52, body: "new".into() })
                .await?;
            assert!(created);
            // A stream, then statements while it is still alive but finished.
            let mut s = Note::query().order_by(Note::ID.asc()).stream(&db);
            let mut n = 0;
            while s.try_next().await?.is_some() {
                n += 1;
            }
            drop(s);
            assert_eq!(n, 52);
            assert_eq!(Note::query().count(&db).await?, 52);
            Ok(())
        }
        .await;
        if let Err(e) = r {
            panic!("[{}] {e}", backend.name());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_tasks_share_one_connection() {
    for db in single_connection_dbs("pool_tasks_share").await {
        let backend = db.backend();
        seed(&db, 20).await.unwrap();
        let mut tasks = Vec::new();
        for t in 0..8i64 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10i64 {
                    assert!(Note::find(&db, i % 20 + 1).await?.is_some());
                    let all: Vec<Note> = Note::query().stream(&db).try_collect().await?;
                    assert!(all.len() >= 20);
                    let mut tx = db.begin().await?;
                    Note { id: 1000 + t * 100 + i, body: format!("task {t}") }.insert(&mut tx).await?;
                    tx.commit().await?;
                }
                Ok::<_, orm_core::Error>(())
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap_or_else(|e| panic!("[{}] {e}", backend.name()));
        }
        assert_eq!(Note::query().count(&db).await.unwrap(), 20 + 80, "[{}]", backend.name());
    }
}

#[tokio::test]
async fn pool_cancelled_statement_leaves_no_trace() {
    for db in single_connection_dbs("pool_cancelled").await {
        let backend = db.backend();
        let r: Result<()> = async {
            seed(&db, 1000).await?;
            // A statement dropped while the server is still running it.
            let slow = match backend {
                Backend::Postgres => "SELECT CAST(1 AS BIGINT) FROM pg_sleep(0.3)",
                Backend::MySql => "SELECT CAST(SLEEP(0.3) AS SIGNED)",
                Backend::Sqlite => {
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) \
                     SELECT max(x) FROM c"
                }
            };
            let cancelled =
                tokio::time::timeout(Duration::from_millis(20), orm_core::raw(slow).fetch_scalar::<i64>(&db)).await;
            assert!(cancelled.is_err(), "the slow statement finished within 20 ms");
            assert_eq!(Note::find(&db, 7).await?.map(|n| n.id), Some(7));
            // A stream dropped after two of its 1,000 rows.
            let mut s = Note::query().order_by(Note::ID.asc()).stream(&db);
            assert_eq!(s.try_next().await?.map(|n| n.id), Some(1));
            assert_eq!(s.try_next().await?.map(|n| n.id), Some(2));
            drop(s);
            assert_eq!(Note::find(&db, 999).await?.map(|n| n.body), Some("note 999".into()));
            // A mapping error midway through a result set.
            let wrong: Result<Vec<i32>> = orm_core::raw("SELECT body FROM notes").fetch_scalars::<i32>(&db).await;
            assert!(matches!(wrong, Err(Error::Decode { .. })), "{wrong:?}");
            assert_eq!(Note::query().count(&db).await?, 1000);
            Ok(())
        }
        .await;
        if let Err(e) = r {
            panic!("[{}] {e}", backend.name());
        }
    }
}

/// `SELECT <the connection's id>` with `n` bound values (`WHERE 1 IN (1, 1, ...)`): a statement
/// whose packet is as large as `n` values make it.
async fn session_id_large<'e>(backend: Backend, exec: impl Into<Executor<'e>>, n: usize) -> Result<i64> {
    let (id, from) = match backend {
        Backend::Postgres => ("CAST(pg_backend_pid() AS BIGINT)", ""),
        Backend::MySql => ("CAST(CONNECTION_ID() AS SIGNED)", " FROM DUAL"),
        Backend::Sqlite => ("1", ""),
    };
    // Placeholders only: no value is written into the SQL.
    let marks: Vec<String> =
        (1..=n).map(|i| if backend == Backend::Postgres { format!("${i}") } else { "?".to_owned() }).collect();
    let mut q = orm_core::raw(format!("SELECT {id}{from} WHERE 1 IN ({})", marks.join(", ")));
    for _ in 0..n {
        q = q.bind(1i64);
    }
    Ok(q.fetch_scalar::<i64>(exec).await?.expect("one row"))
}

#[tokio::test]
async fn pool_large_statements_keep_off_the_hot_connection() {
    // MariaDB/MySQL keep a connection's network buffers at its largest packet for good, and such
    // a connection answers later results more slowly (backend/hot.rs): statements with large
    // packets run on a connection of their own (the bulk lane), reused by the next large one.
    orm_tests::each_backend!("pool_bulk_lane", |db| {
        let b = db.backend();
        let split = b == Backend::MySql;
        Note::create_table(&db).await?;
        let hot = session_id(&db).await?;
        let bulk = session_id_large(b, &db, 9_000).await?;
        assert_eq!(bulk != hot, split, "[{}] the large statement's connection", b.name());
        assert_eq!(session_id_large(b, &db, 9_000).await?, bulk, "the bulk lane reuses its connection");
        assert_eq!(session_id(&db).await?, hot, "the hot connection is kept for the rest");
        // A small IN list stays on the hot connection.
        assert_eq!(session_id_large(b, &db, 100).await?, hot);

        // insert_many's large chunks, one statement or several in a transaction of its own.
        let rows: Vec<Note> = (1..=5_000).map(|id| Note { id, body: format!("note {id}") }).collect();
        assert_eq!(Note::insert_many(&db, &rows).await?, 5_000);
        let more: Vec<Note> = (5_001..=75_000).map(|id| Note { id, body: String::new() }).collect();
        assert_eq!(Note::insert_many(&db, &more).await?, 70_000);
        assert_eq!(session_id(&db).await?, hot, "insert_many kept off the hot connection");
        assert_eq!(Note::query().count(&db).await?, 75_000);

        // A transaction that ran a large statement hands its connection to the bulk lane.
        let mut tx = db.begin().await?;
        let in_tx = session_id(&mut tx).await?;
        assert_eq!(session_id_large(b, &mut tx, 9_000).await?, in_tx);
        tx.commit().await?;
        assert_eq!(session_id_large(b, &db, 9_000).await?, in_tx, "the transaction's connection is in the bulk lane");
        assert_eq!(session_id(&db).await? != in_tx, split, "[{}] the next small statement's connection", b.name());
        Ok(())
    });
}

#[tokio::test]
async fn pool_large_statements_on_a_single_connection() {
    // With one connection there is no second lane: the connection moves between the two, and no
    // statement waits for a connection parked on the other (each step would time out in 30 s).
    for db in single_connection_dbs("pool_bulk_single").await {
        let b = db.backend();
        let r: Result<()> = async {
            seed(&db, 10).await?;
            let only = session_id(&db).await?;
            assert_eq!(session_id_large(b, &db, 9_000).await?, only);
            assert_eq!(session_id(&db).await?, only);
            let rows: Vec<Note> = (11..=3_000).map(|id| Note { id, body: String::new() }).collect();
            Note::insert_many(&db, &rows).await?;
            let mut tx = db.begin().await?;
            assert_eq!(session_id_large(b, &mut tx, 9_000).await?, only);
            tx.commit().await?;
            let stream: Vec<Note> = Note::query()
                .filter(Note::ID.is_in((1..=9_000).collect::<Vec<i64>>()))
                .stream(&db)
                .try_collect()
                .await?;
            assert_eq!(stream.len(), 3_000);
            assert_eq!(session_id(&db).await?, only);
            Ok(())
        }
        .await;
        if let Err(e) = r {
            panic!("[{}] {e}", b.name());
        }
    }
}

#[tokio::test]
async fn pool_close_with_parked_connections() {
    for db in orm_tests::databases("pool_close").await {
        let backend = db.backend();
        seed(&db, 3).await.unwrap();
        assert!(Note::find(&db, 1).await.unwrap().is_some());
        // `close` waits for every connection to come back: parked ones must not keep it waiting.
        tokio::time::timeout(Duration::from_secs(10), db.close())
            .await
            .unwrap_or_else(|_| panic!("[{}] close hung on a parked connection", backend.name()));
        let after = tokio::time::timeout(Duration::from_secs(10), Note::find(&db, 1))
            .await
            .unwrap_or_else(|_| panic!("[{}] a statement after close hung", backend.name()));
        assert!(after.is_err(), "[{}] a statement after close ran: {after:?}", backend.name());
    }
}

#[test]
fn pool_db_dropped_after_its_runtime() {
    // Parked connections outlive the runtime that made them here; dropping them must not panic
    // (sqlx returns a pooled connection from a task spawned on the current runtime).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dbs = rt.block_on(async {
        let dbs = orm_tests::databases("pool_dropped_late").await;
        for db in &dbs {
            seed(db, 3).await.unwrap();
            assert!(Note::find(db, 1).await.unwrap().is_some());
        }
        dbs
    });
    drop(rt);
    drop(dbs);
}
