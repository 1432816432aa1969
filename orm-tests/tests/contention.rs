//! Transactions that survive contention (issue 8, part 5): `Db::transaction` retries a
//! transaction that lost a deadlock or a serialization conflict, and both finish.

use orm_core::prelude::*;
use orm_core::{Backend, DbOptions};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::Barrier;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "contention_accounts")]
pub struct Account {
    #[orm(primary_key)]
    pub id: i64,
    pub balance: i64,
}

const LIMIT: Duration = Duration::from_secs(60);

/// Waits for the other transaction at `barrier`, but not forever: where the backend serializes
/// the two transactions (SQLite), the other one cannot get there before this one ends.
async fn meet(barrier: &Barrier, met: &AtomicBool) {
    if tokio::time::timeout(Duration::from_secs(3), barrier.wait()).await.is_err() {
        met.store(false, Ordering::Relaxed);
    }
}

/// A transaction adding 1 to `first` then to `second`; on its first attempt it waits after the
/// first update until the other transaction holds its own first row.
fn crossing(
    db: &Db,
    first: i64,
    second: i64,
    barrier: Arc<Barrier>,
    met: Arc<AtomicBool>,
    tries: Arc<AtomicU32>,
) -> impl Future<Output = Result<()>> + Send + 'static {
    let db = db.clone();
    async move {
        db.transaction(move |mut tx| {
            let (barrier, met, tries) = (barrier.clone(), met.clone(), tries.clone());
            async move {
                let attempt = tries.fetch_add(1, Ordering::Relaxed);
                let bump = "UPDATE contention_accounts SET balance = balance + 1 WHERE id = ?";
                orm_core::raw(bump).bind(first).execute(&mut tx).await?;
                if attempt < 2 {
                    meet(&barrier, &met).await;
                }
                orm_core::raw(bump).bind(second).execute(&mut tx).await?;
                Ok(())
            }
        })
        .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contention_deadlock_is_retried_and_both_finish() {
    for b in Backend::ALL {
        let options = DbOptions { acquire_timeout: Duration::from_secs(30), ..DbOptions::default() };
        let Some(db) = orm_tests::database_with(b, "contention_deadlock", options).await else { continue };
        let what = b.name();
        Account::create_table(&db).await.unwrap_or_else(|e| panic!("[{what}] {e}"));
        Account::insert_many(&db, &[Account { id: 1, balance: 0 }, Account { id: 2, balance: 0 }])
            .await
            .unwrap_or_else(|e| panic!("[{what}] {e}"));
        let barrier = Arc::new(Barrier::new(2));
        let met = Arc::new(AtomicBool::new(true));
        let tries = Arc::new(AtomicU32::new(0));
        let a = tokio::spawn(crossing(&db, 1, 2, barrier.clone(), met.clone(), tries.clone()));
        let b2 = tokio::spawn(crossing(&db, 2, 1, barrier.clone(), met.clone(), tries.clone()));
        let ra = tokio::time::timeout(LIMIT, a).await.expect("transaction A HUNG").expect("A panicked");
        let rb = tokio::time::timeout(LIMIT, b2).await.expect("transaction B HUNG").expect("B panicked");
        assert!(ra.is_ok() && rb.is_ok(), "[{what}] both transactions must finish: A {ra:?}, B {rb:?}");
        let rows =
            Account::query().order_by(Account::ID.asc()).all(&db).await.unwrap_or_else(|e| panic!("[{what}] {e}"));
        assert_eq!(
            rows.iter().map(|a| a.balance).collect::<Vec<_>>(),
            vec![2, 2],
            "[{what}] each transaction counted once"
        );
        let tries = tries.load(Ordering::Relaxed);
        eprintln!(
            "[{what}] deadlock: {tries} attempts, both transactions met in the crossing: {}",
            met.load(Ordering::Relaxed)
        );
        if met.load(Ordering::Relaxed) {
            // Both held their first row and wanted the other's: a deadlock, one victim, one retry.
            assert_eq!(tries, 3, "[{what}] expected exactly one retry of the deadlock's victim");
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), db.close()).await;
    }
}

/// Write skew under SERIALIZABLE on PostgreSQL: each transaction reads the sum, then updates
/// its own row. One of them must fail with a serialization failure (40001) and be retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contention_serializable_conflict_on_postgres_is_retried() {
    let Some(db) = orm_tests::database(Backend::Postgres, "contention_serializable").await else { return };
    Account::create_table(&db).await.expect("create table");
    Account::insert_many(&db, &[Account { id: 1, balance: 100 }, Account { id: 2, balance: 100 }]).await.expect("seed");
    let barrier = Arc::new(Barrier::new(2));
    let met = Arc::new(AtomicBool::new(true));
    let tries = Arc::new(AtomicU32::new(0));
    let skew = |id: i64| {
        let (db, barrier, met, tries) = (db.clone(), barrier.clone(), met.clone(), tries.clone());
        async move {
            db.transaction(move |mut tx| {
                let (barrier, met, tries) = (barrier.clone(), met.clone(), tries.clone());
                async move {
                    let attempt = tries.fetch_add(1, Ordering::Relaxed);
                    orm_core::raw("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE").execute(&mut tx).await?;
                    let sum: i64 = orm_core::raw("SELECT CAST(SUM(balance) AS BIGINT) FROM contention_accounts")
                        .fetch_scalar(&mut tx)
                        .await?
                        .unwrap_or(0);
                    if attempt < 2 {
                        meet(&barrier, &met).await;
                    }
                    orm_core::raw("UPDATE contention_accounts SET balance = ? WHERE id = ?")
                        .bind(sum + 10)
                        .bind(id)
                        .execute(&mut tx)
                        .await?;
                    Ok(sum)
                }
            })
            .await
        }
    };
    let a = tokio::spawn(skew(1));
    let b = tokio::spawn(skew(2));
    let ra = tokio::time::timeout(LIMIT, a).await.expect("A HUNG").expect("A panicked");
    let rb = tokio::time::timeout(LIMIT, b).await.expect("B HUNG").expect("B panicked");
    let (sa, sb) = match (ra, rb) {
        (Ok(sa), Ok(sb)) => (sa, sb),
        (ra, rb) => panic!("both transactions must finish: A {ra:?}, B {rb:?}"),
    };
    let tries = tries.load(Ordering::Relaxed);
    eprintln!("[PostgreSQL] serializable write skew: {tries} attempts; sums read {sa} and {sb}");
    assert!(met.load(Ordering::Relaxed), "both transactions read before either wrote");
    assert_eq!(tries, 3, "exactly one retry");
    // Serializable: the retried one saw the other's write (its row went from 100 to 210).
    let mut sums = [sa, sb];
    sums.sort();
    assert_eq!(sums, [200, 310], "the two transactions ran as if one after the other");
    let mut rows: Vec<i64> =
        Account::query().all(&db).await.expect("read back").into_iter().map(|a| a.balance).collect();
    rows.sort();
    assert_eq!(rows, vec![210, 320], "both updates are there");
    let _ = tokio::time::timeout(Duration::from_secs(10), db.close()).await;
}
