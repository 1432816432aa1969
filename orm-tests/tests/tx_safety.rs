//! Transactions that cannot lose acknowledged writes: a `begin` dropped after BEGIN was sent, a
//! transaction the server aborted, `Db::transaction`'s commit / rollback / retry (issue 8).

use orm_core::prelude::*;
use orm_core::{Backend, DbOptions};
use orm_tests::each_backend;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};
use std::time::Duration;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "txs_rows")]
struct Row {
    #[orm(primary_key)]
    id: i64,
    n: i64,
}

/// Polls `fut` once (sending whatever it sends before its first wait), then drops it.
fn poll_once_and_drop<F: Future>(fut: F) {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    let _ = fut.as_mut().poll(&mut cx);
}

/// Rows of `txs_rows` as another pool sees them.
async fn count_elsewhere(db: &Db, name: &str) -> i64 {
    let other = orm_tests::database_url(db.backend(), name);
    let other = Db::connect(&other).await.expect("second pool");
    let n = orm_core::raw("SELECT COUNT(*) FROM txs_rows").fetch_scalar::<i64>(&other).await.unwrap().unwrap();
    other.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn txs_dropped_begin_loses_no_later_write() {
    each_backend!("txs_dropped_begin", |db| {
        Row::create_table(&db).await?;
        // Warm connections are parked, so the first poll of `begin` already sends BEGIN.
        for _ in 0..3 {
            Row::query().count(&db).await?;
        }
        for _ in 0..50 {
            poll_once_and_drop(db.begin());
            tokio::task::yield_now().await;
        }
        for i in 0..100 {
            Row { id: 0, n: i }.insert(&db).await?;
        }
        if db.backend() != Backend::Sqlite {
            assert_eq!(
                count_elsewhere(&db, "txs_dropped_begin").await,
                100,
                "[{}] acknowledged writes lost",
                db.backend().name()
            );
        } else {
            assert_eq!(Row::query().count(&db).await?, 100);
        }
        tokio::time::timeout(Duration::from_secs(30), db.close()).await.expect("close hangs");
        Ok(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn txs_one_connection_cancelled_first_statement_in_tx() {
    let opts = DbOptions { max_connections: 1, acquire_timeout: Duration::from_secs(5), ..DbOptions::default() };
    for backend in Backend::ALL {
        let Some(db) = orm_tests::database_with(backend, "txs_one_conn", opts.clone()).await else { continue };
        Row::create_table(&db).await.unwrap();
        for round in 0..5 {
            let mut tx = db.begin().await.unwrap();
            poll_once_and_drop(Row { id: 0, n: round }.insert(&mut tx));
            drop(tx);
            let r = tokio::time::timeout(Duration::from_secs(20), Row { id: 0, n: 100 + round }.insert(&db)).await;
            assert!(matches!(r, Ok(Ok(_))), "[{}] round {round}: {r:?}", backend.name());
        }
        assert_eq!(Row::query().count(&db).await.unwrap(), 5, "[{}]", backend.name());
        tokio::time::timeout(Duration::from_secs(30), db.close()).await.expect("close hangs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn txs_failed_statement_then_commit() {
    each_backend!("txs_failed_commit", |db| {
        Row::create_table(&db).await?;
        Row { id: 1, n: 1 }.insert(&db).await?;
        let mut tx = db.begin().await?;
        Row { id: 2, n: 2 }.insert(&mut tx).await?;
        let dup = Row { id: 1, n: 9 }.insert(&mut tx).await;
        assert!(matches!(dup, Err(Error::UniqueViolation(_))), "{dup:?}");
        let committed = tx.commit().await;
        match db.backend() {
            // PostgreSQL aborted the transaction: its COMMIT would silently roll back.
            Backend::Postgres => {
                assert!(matches!(committed, Err(Error::TransactionAborted { .. })), "{committed:?}");
                assert_eq!(Row::query().count(&db).await?, 1);
            }
            _ => {
                committed?;
                assert_eq!(Row::query().count(&db).await?, 2);
            }
        }
        Ok(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn txs_transaction_closure_commits_rolls_back_and_retries() {
    each_backend!("txs_closure", |db| {
        Row::create_table(&db).await?;
        let n = db
            .transaction(|mut tx| async move {
                Row { id: 0, n: 1 }.insert(&mut tx).await?;
                Row { id: 0, n: 2 }.insert(&mut tx).await?;
                Row::query().count(&mut tx).await
            })
            .await?;
        assert_eq!(n, 2);
        let failed: Result<()> = db
            .transaction(|mut tx| async move {
                Row { id: 0, n: 3 }.insert(&mut tx).await?;
                Err(Error::InvalidValue("no".into()))
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(Row::query().count(&db).await?, 2);
        // A retryable error runs the closure again, in a new transaction.
        let mut calls = 0;
        let r = db
            .transaction(|mut tx| {
                calls += 1;
                let first = calls == 1;
                async move {
                    Row { id: 0, n: 4 }.insert(&mut tx).await?;
                    if first {
                        return Err(Error::Deadlock { source: sqlx_like_error() });
                    }
                    Ok(())
                }
            })
            .await;
        r?;
        assert_eq!(calls, 2);
        assert_eq!(Row::query().filter(Row::N.eq(4)).count(&db).await?, 1);
        Ok(())
    });
}

fn sqlx_like_error() -> sqlx::Error {
    sqlx::Error::Protocol("simulated deadlock".into())
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "a_table_whose_name_is_long_enough_to_push_index_names_past_sixty")]
struct LongNames {
    #[orm(primary_key)]
    id: i64,
    #[orm(index)]
    a_column_with_a_rather_long_name_too: i64,
    #[orm(index)]
    a_column_with_a_rather_long_name_two: i64,
}

/// Index names longer than PostgreSQL's 63 bytes (MySQL's 64) are shortened with a hash, so two
/// long names neither fail (MySQL) nor get truncated into one (PostgreSQL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn txs_long_index_names_fit_every_backend() {
    each_backend!("txs_long_index", |db| {
        LongNames::create_table(&db).await?;
        let sql = orm_core::create_table_sql::<LongNames>(db.backend()).join(";\n");
        assert!(sql.contains("_idx") || sql.contains("a_table_whose_name_is_long"), "{sql}");
        LongNames { id: 1, a_column_with_a_rather_long_name_too: 2, a_column_with_a_rather_long_name_two: 3 }
            .insert(&db)
            .await?;
        assert_eq!(LongNames::query().count(&db).await?, 1);
        Ok(())
    });
}

/// `DbOptions::transaction_timeout`: once a transaction has lasted longer, its statements and its
/// commit fail with `Error::Timeout` and nothing of it is committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn txs_transaction_timeout() {
    let opts = DbOptions { transaction_timeout: Some(Duration::from_millis(300)), ..DbOptions::default() };
    for backend in Backend::ALL {
        let Some(db) = orm_tests::database_with(backend, "txs_tx_timeout", opts.clone()).await else { continue };
        Row::create_table(&db).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        Row { id: 0, n: 1 }.insert(&mut tx).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        let late = Row { id: 0, n: 2 }.insert(&mut tx).await;
        assert!(matches!(late, Err(Error::Timeout { what: "transaction", .. })), "[{}] {late:?}", backend.name());
        let commit = tx.commit().await;
        assert!(commit.is_err(), "[{}] {commit:?}", backend.name());
        let n = tokio::time::timeout(Duration::from_secs(20), Row::query().count(&db)).await.unwrap().unwrap();
        assert_eq!(n, 0, "[{}] an expired transaction committed", backend.name());
        // A transaction within its time commits.
        let mut tx = db.begin().await.unwrap();
        Row { id: 0, n: 3 }.insert(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(Row::query().count(&db).await.unwrap(), 1);
    }
}
