//! Cancellation at every await point of the ORM (issue 8, part 1 and 2).
//!
//! A request timeout (`tokio::time::timeout`, tower's `TimeoutLayer`) drops the future it wraps
//! at whatever await it has reached. Each test here drops an ORM future at one such point, on
//! purpose and not by luck (polled a given number of times with a no-op waker, then dropped),
//! many rounds over, and then proves that the pool is still sound:
//! * 100 inserts on the same `Db` all return `Ok` and are ALL visible to a second, independent
//!   `Db` (a write acknowledged inside a transaction nobody knows about would be lost);
//! * no session of the database is left idle in a transaction (PostgreSQL `pg_stat_activity`,
//!   MariaDB `information_schema.innodb_trx`; polled, bounded, as connections being cleaned up in
//!   the background may take a moment);
//! * `db.close()` returns (bounded).
//!
//! Every operation is wrapped in `tokio::time::timeout`: a hang fails the test, it never hangs it.
//! SQLite runs on a file (two pools cannot share an in-memory database).

use futures_util::StreamExt;
use orm_core::prelude::*;
use orm_core::{Backend, DbOptions};
use orm_tests::servers::{Target, targets};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "cancel_items")]
pub struct Item {
    #[orm(primary_key)]
    pub id: i64,
    pub phase: String,
    pub n: i64,
}

/// The longest any single operation may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(30);
/// Rounds of each cancellation.
const ROUNDS: i64 = 20;

type Check = std::result::Result<(), String>;

fn item(phase: &str, n: i64) -> Item {
    Item { id: 0, phase: phase.to_owned(), n }
}

/// Runs `f` within [`LIMIT`]: an error or a hang becomes a message naming `what`.
async fn bounded<T>(what: &str, f: impl Future<Output = Result<T>>) -> std::result::Result<T, String> {
    match tokio::time::timeout(LIMIT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: HUNG (no answer within {LIMIT:?})")),
    }
}

/// Polls `f` `polls` times with a no-op waker (1 ms apart, so replies can arrive in between),
/// then drops it where it stands. `Some` if it finished first.
async fn poll_then_drop<F: Future>(f: F, polls: i64) -> Option<F::Output> {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for i in 0..polls {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return Some(v);
        }
        if i + 1 < polls {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    None
}

/// 1, 2 or 3 polls before the drop, by round.
fn polls(round: i64) -> i64 {
    round % 3 + 1
}

async fn count_phase(db: &Db, phase: &str) -> std::result::Result<u64, String> {
    bounded(&format!("count the `{phase}` rows"), Item::query().filter(Item::PHASE.eq(phase)).count(db)).await
}

/// Sessions of this database inside a transaction and idle (0 on SQLite, where the second
/// pool's visibility check is the proof).
async fn idle_in_transaction(other: &Db) -> std::result::Result<i64, String> {
    let sql = match other.backend() {
        Backend::Postgres => {
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND state LIKE 'idle in transaction%'"
        }
        Backend::MySql => {
            "SELECT COUNT(*) FROM information_schema.innodb_trx t \
             JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id WHERE p.db = DATABASE()"
        }
        Backend::Sqlite => return Ok(0),
    };
    Ok(bounded("count sessions idle in transaction", orm_core::raw(sql).fetch_scalar::<i64>(other)).await?.unwrap_or(0))
}

/// The check that follows every cancellation: 100 acknowledged inserts, all visible to a second
/// pool, and no session left idle in a transaction.
async fn writes_survive(t: &Target, phase: &str) -> Check {
    for n in 0..100 {
        bounded(&format!("insert {n} of 100 after the cancellations"), item(phase, n).insert(&t.db)).await?;
    }
    let other = bounded("open a second pool", t.reopen(DbOptions::default())).await?;
    let seen = count_phase(&other, phase).await?;
    let mut idle = 0;
    for _ in 0..100 {
        idle = idle_in_transaction(&other).await?;
        if idle == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if tokio::time::timeout(LIMIT, other.close()).await.is_err() {
        return Err("closing the second pool HUNG".into());
    }
    if seen != 100 {
        return Err(format!(
            "DATA LOSS: only {seen} of 100 acknowledged inserts are visible to another connection \
             (they went into a transaction left open on a pooled connection)"
        ));
    }
    if idle != 0 {
        return Err(format!("{idle} session(s) still idle in transaction after 10 s"));
    }
    Ok(())
}

/// Runs `$body` (a `Check`) on every backend's target, then [`writes_survive`] and a bounded
/// `close`; collects every backend's failure and panics with all of them at the end.
macro_rules! each_target {
    ($name:expr, $options:expr, |$t:ident| $body:expr) => {{
        let mut failures = Vec::new();
        for target in targets($name, $options).await {
            let t = &target;
            let $t = &target;
            let r: Check = async {
                bounded("create the table", Item::create_table(&$t.db)).await?;
                $body
            }
            .await;
            let r = match r {
                Ok(()) => writes_survive(t, "after").await,
                e => e,
            };
            let r = match (r, tokio::time::timeout(LIMIT, t.db.close()).await) {
                (Ok(()), Err(_)) => Err("db.close() HUNG".to_owned()),
                (r, _) => r,
            };
            match r {
                Ok(()) => eprintln!("[{}] {}: ok", t.label, $name),
                Err(e) => failures.push(format!("[{}] {e}", t.label)),
            }
        }
        assert!(failures.is_empty(), "{}:\n{}", $name, failures.join("\n"));
    }};
}

/// The commit that follows a cancelled statement of a transaction which had inserted one
/// `kept` row (number `round`) before, if `kept`: either it commits (and the row is there), or
/// it reports `TransactionAborted` (and nothing of the transaction is there). Rounds alternate
/// with a plain drop of the transaction.
async fn commit_after_cancel(db: &Db, tx: Tx, round: i64, kept: bool) -> Check {
    if round % 2 == 0 {
        drop(tx);
        return Ok(());
    }
    let committed = match tokio::time::timeout(LIMIT, tx.commit()).await {
        Err(_) => return Err("commit after a cancelled statement HUNG".into()),
        Ok(Ok(())) => true,
        Ok(Err(Error::TransactionAborted { .. })) => false,
        Ok(Err(e)) => {
            return Err(format!("commit after a cancelled statement: expected Ok or TransactionAborted: {e}"));
        }
    };
    let q = Item::query().filter(Item::PHASE.eq("kept").and(Item::N.eq(round)));
    let n = bounded("count the kept row", q.count(db)).await?;
    if n != u64::from(committed && kept) {
        return Err(format!("commit after a cancelled statement returned {committed:?} but {n} kept row(s) exist"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_dropped_begin() {
    each_target!("cancel_begin", DbOptions::default(), |t| {
        for round in 0..ROUNDS {
            // Every other round a statement first, so that a warm connection is parked and
            // `begin` sends BEGIN at its first poll (the case of issue 8); the others drop
            // `begin` right after the last one.
            if round % 2 == 0 {
                bounded("count", Item::query().count(&t.db)).await?;
            }
            if let Some(r) = poll_then_drop(t.db.begin(), polls(round)).await {
                drop(r.map_err(|e| format!("begin: {e}"))?);
            }
        }
        Ok(())
    });
}

/// The reproduction of issue 8 as filed: one statement parks a warm connection, then 50
/// `begin`s are each polled once and dropped (BEGIN sent, its reply not read), then 100 inserts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_dropped_begin_as_reported() {
    each_target!("cancel_begin_report", DbOptions::default(), |t| {
        bounded("count", Item::query().count(&t.db)).await?;
        for _ in 0..50 {
            if let Some(r) = poll_then_drop(t.db.begin(), 1).await {
                drop(r.map_err(|e| format!("begin: {e}"))?);
            }
        }
        Ok(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_dropped_first_statement_in_tx() {
    each_target!("cancel_first_stmt", DbOptions::default(), |t| {
        for round in 0..ROUNDS {
            let mut tx = bounded("begin", t.db.begin()).await?;
            let mut it = item("cancelled", round);
            poll_then_drop(it.insert(&mut tx), polls(round)).await;
            // No `kept` row was inserted: a commit must leave none either way.
            commit_after_cancel(&t.db, tx, round, false).await?;
        }
        Ok(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_dropped_later_statement_in_tx() {
    each_target!("cancel_later_stmt", DbOptions::default(), |t| {
        for round in 0..ROUNDS {
            let mut tx = bounded("begin", t.db.begin()).await?;
            bounded("insert the kept row", item("kept", round).insert(&mut tx)).await?;
            let mut it = item("cancelled", round);
            if round % 4 == 3 {
                // A query, not a write, as the cancelled statement.
                poll_then_drop(Item::query().all(&mut tx), polls(round)).await;
            } else {
                poll_then_drop(it.insert(&mut tx), polls(round)).await;
            }
            commit_after_cancel(&t.db, tx, round, true).await?;
        }
        Ok(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_dropped_commit() {
    each_target!("cancel_commit", DbOptions::default(), |t| {
        for round in 0..ROUNDS {
            let mut tx = bounded("begin", t.db.begin()).await?;
            bounded("insert", item("commit-dropped", round).insert(&mut tx)).await?;
            // The outcome of a dropped commit is unknown: only the pool's health is checked.
            poll_then_drop(tx.commit(), polls(round)).await;
        }
        Ok(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_dropped_rollback() {
    each_target!("cancel_rollback", DbOptions::default(), |t| {
        for round in 0..ROUNDS {
            let mut tx = bounded("begin", t.db.begin()).await?;
            bounded("insert", item("rolled-back", round).insert(&mut tx)).await?;
            poll_then_drop(tx.rollback(), polls(round)).await;
        }
        // A dropped rollback still rolls back: these rows were never committed, also not by
        // a later statement that ran on the same connection.
        writes_survive(t, "rollback-probe").await?;
        let n = count_phase(&t.db, "rolled-back").await?;
        if n != 0 {
            return Err(format!("{n} row(s) of transactions whose rollback was dropped were committed"));
        }
        Ok(())
    });
}

async fn seed(db: &Db) -> Check {
    let rows: Vec<Item> = (0..300).map(|n| item("seed", n)).collect();
    bounded("seed", Item::insert_many(db, &rows)).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_dropped_stream_on_db() {
    each_target!("cancel_stream_db", DbOptions::default(), |t| {
        seed(&t.db).await?;
        for round in 0..ROUNDS {
            let mut s = Item::query().order_by(Item::ID.asc()).stream(&t.db);
            match round % 4 {
                0 => drop(poll_then_drop(s.next(), polls(round)).await),
                k => {
                    for _ in 0..k {
                        bounded("read a streamed row", async { s.try_next().await }).await?;
                    }
                }
            }
            drop(s);
            // The next statement on the pool.
            bounded("count after a dropped stream", Item::query().count(&t.db)).await?;
        }
        Ok(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_dropped_stream_in_tx() {
    each_target!("cancel_stream_tx", DbOptions::default(), |t| {
        seed(&t.db).await?;
        for round in 0..ROUNDS {
            let mut tx = bounded("begin", t.db.begin()).await?;
            bounded("insert the kept row", item("kept", round).insert(&mut tx)).await?;
            {
                let mut s = Item::query().order_by(Item::ID.asc()).stream(&mut tx);
                match round % 4 {
                    0 => drop(poll_then_drop(s.next(), polls(round)).await),
                    k => {
                        for _ in 0..k {
                            bounded("read a streamed row", async { s.try_next().await }).await?;
                        }
                    }
                }
            }
            commit_after_cancel(&t.db, tx, round, true).await?;
        }
        Ok(())
    });
}

/// Timeouts swept over 0-3 ms and over 0-3 times an uncancelled unit's duration around whole units of work;
/// every unit that returned `Ok` is acknowledged and must be there at the end; rolled-back work
/// never is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_random_timeouts() {
    each_target!("cancel_random", DbOptions::default(), |t| {
        seed(&t.db).await?;
        let db = &t.db;
        let mut acked = Vec::new();
        let mut cancelled = 0;
        let mut unit = LIMIT;
        for n in 0..5 {
            let start = std::time::Instant::now();
            let mut tx = bounded("begin", db.begin()).await?;
            bounded("insert", item("random-warmup", n).insert(&mut tx)).await?;
            bounded("commit", tx.commit()).await?;
            unit = unit.min(start.elapsed());
        }
        for i in 0..240_i64 {
            // Every other one 0-3 ms; the others from 0 to 3 times what a whole unit of work
            // took here uncancelled, so that cancellations fall at every await whatever the
            // machine's speed (a cancelled statement closes its connection: the next is slower).
            let d = if i % 2 == 0 {
                Duration::from_micros(((i * 37) % 3000) as u64)
            } else {
                unit * ((i * 7) % 90) as u32 / 30
            };
            let r = match i % 5 {
                0 => tokio::time::timeout(d, async {
                    let mut tx = db.begin().await?;
                    item("random", i).insert(&mut tx).await?;
                    tx.commit().await
                })
                .await
                .map(|r| r.map(|()| true)),
                1 => tokio::time::timeout(d, async { item("random", i).insert(db).await })
                    .await
                    .map(|r| r.map(|()| true)),
                2 => tokio::time::timeout(d, async {
                    let mut s = Item::query().stream(db);
                    while s.try_next().await?.is_some() {}
                    Ok(())
                })
                .await
                .map(|r| r.map(|()| false)),
                3 => tokio::time::timeout(d, async {
                    let mut tx = db.begin().await?;
                    item("random-rolled-back", i).insert(&mut tx).await?;
                    Item::query().count(&mut tx).await?;
                    tx.rollback().await
                })
                .await
                .map(|r| r.map(|()| false)),
                _ => tokio::time::timeout(d, async {
                    let mut tx = db.begin().await?;
                    let mut s = Item::query().stream(&mut tx);
                    s.try_next().await?;
                    drop(s);
                    item("random", i).insert(&mut tx).await?;
                    tx.commit().await
                })
                .await
                .map(|r| r.map(|()| true)),
            };
            match r {
                Ok(Ok(true)) => acked.push(i),
                Ok(Ok(false)) => {}
                // Operation 4 drops a half-read stream inside its transaction: a statement
                // cancelled mid-flight, after which the transaction can only roll back.
                Ok(Err(Error::TransactionAborted { .. })) if i % 5 == 4 => {}
                Ok(Err(e)) => return Err(format!("operation {i} failed (not cancelled): {e}")),
                Err(_) => cancelled += 1,
            }
        }
        eprintln!(
            "[{}] random timeouts (0 to 3 x {unit:?}): {} acknowledged writes, {cancelled} cancelled operations",
            t.label,
            acked.len()
        );
        writes_survive(t, "after-random").await?;
        let other = bounded("open a second pool", t.reopen(DbOptions::default())).await?;
        let q = Item::query().filter(Item::PHASE.eq("random").and(Item::N.is_in(acked.clone())));
        let seen = bounded("count acknowledged random writes", q.count(&other)).await?;
        let rolled = count_phase(&other, "random-rolled-back").await?;
        let _ = tokio::time::timeout(LIMIT, other.close()).await;
        if seen != acked.len() as u64 {
            return Err(format!(
                "DATA LOSS: {seen} of {} acknowledged writes survived the random timeouts",
                acked.len()
            ));
        }
        if rolled != 0 {
            return Err(format!("{rolled} row(s) of rolled-back or cancelled transactions were committed"));
        }
        Ok(())
    });
}

/// Issue 8, part 2: on a pool of ONE connection, a first statement of a transaction polled once
/// and dropped with its transaction must not take the connection with it (MariaDB hung here).
/// Each round opens a fresh pool, so the INSERT was never prepared on its connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_one_connection_pool_survives() {
    let one = || DbOptions { max_connections: 1, acquire_timeout: Duration::from_secs(5), ..DbOptions::default() };
    each_target!("cancel_one_conn", one(), |t| {
        for round in 0..6 {
            let db = bounded("open a one-connection pool", t.reopen(one())).await?;
            bounded("warm up the connection", Item::query().count(&db)).await?;
            let mut tx = bounded("begin", db.begin()).await?;
            let mut it = item("cancelled", round);
            poll_then_drop(it.insert(&mut tx), 1 + round % 2).await;
            drop(tx);
            bounded(
                &format!("round {round}: the next statement on the one-connection pool"),
                item("one-conn", round).insert(&db),
            )
            .await?;
            bounded("count", Item::query().count(&db)).await?;
            if tokio::time::timeout(LIMIT, db.close()).await.is_err() {
                return Err(format!("round {round}: close() of the one-connection pool HUNG"));
            }
        }
        let n = count_phase(&t.db, "one-conn").await?;
        if n != 6 {
            return Err(format!("DATA LOSS: {n} of 6 acknowledged one-connection inserts are there"));
        }
        Ok(())
    });
}

/// A statement that runs longer than `DbOptions::statement_timeout` fails with `Error::Timeout`
/// (bounded here at 20 s, far above the 1 s asked for), and its connection does not come back
/// to serve another statement in an unknown state. The pool with the timeout serves only these
/// statements: the setup and the checks run on a pool without one (on a loaded machine even a
/// CREATE TABLE may take longer than a short timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_statement_timeout_is_a_timeout_error() {
    let timed = DbOptions { statement_timeout: Some(Duration::from_secs(1)), ..DbOptions::default() };
    each_target!("cancel_stmt_timeout", DbOptions::default(), |t| {
        let db = bounded("open a pool with a statement timeout", t.reopen(timed.clone())).await?;
        // Portable and slow (seconds, not more: should the timeout not work, the server must not
        // be kept busy for long): 100 million rows of a cross join counted. The recursion stays
        // within MariaDB's max_recursive_iterations (1000).
        let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) \
                    SELECT COUNT(*) FROM c c1, c c2, (SELECT x FROM c WHERE x <= 100) c3";
        for round in 0..3 {
            let r = tokio::time::timeout(Duration::from_secs(20), orm_core::raw(slow).fetch_scalar::<i64>(&db)).await;
            match r {
                Ok(Err(Error::Timeout { .. })) => {}
                Ok(other) => {
                    return Err(format!("round {round}: a slow statement returned {other:?}, not Error::Timeout"));
                }
                Err(_) => {
                    return Err(format!("round {round}: statement_timeout did not stop a slow statement within 20 s"));
                }
            }
            // The next statement on that pool works (a quick one; retried should a loaded
            // machine make even it outlast the timeout).
            let mut next = Err(String::new());
            for _ in 0..3 {
                match tokio::time::timeout(LIMIT, Item::query().count(&db)).await {
                    Ok(Ok(_)) => {
                        next = Ok(());
                        break;
                    }
                    Ok(Err(Error::Timeout { .. })) => next = Err("timed out three times".into()),
                    Ok(Err(e)) => return Err(format!("round {round}: the statement after the timeout: {e}")),
                    Err(_) => return Err(format!("round {round}: the statement after the timeout HUNG")),
                }
            }
            next.map_err(|e| format!("round {round}: the statement after the timeout {e}"))?;
        }
        // A stream's wait for its server's next row is bounded the same way, on the Db (its
        // connection closed) and in a transaction (which can then only be rolled back).
        {
            let mut rows = orm_core::raw(slow).fetch_stream::<(i64,)>(&db);
            match tokio::time::timeout(Duration::from_secs(20), rows.next()).await {
                Ok(Some(Err(Error::Timeout { .. }))) => {}
                Ok(other) => return Err(format!("a slow stream on the Db gave {other:?}, not Error::Timeout")),
                Err(_) => return Err("statement_timeout did not stop a slow stream on the Db within 20 s".into()),
            }
        }
        let mut tx = bounded("begin", db.begin()).await?;
        {
            let mut rows = orm_core::raw(slow).fetch_stream::<(i64,)>(&mut tx);
            match tokio::time::timeout(Duration::from_secs(20), rows.next()).await {
                Ok(Some(Err(Error::Timeout { .. }))) => {}
                Ok(other) => return Err(format!("a slow stream in a Tx gave {other:?}, not Error::Timeout")),
                Err(_) => return Err("statement_timeout did not stop a slow stream in a Tx within 20 s".into()),
            }
        }
        match tokio::time::timeout(LIMIT, tx.commit()).await {
            Ok(Err(Error::TransactionAborted { .. })) => {}
            other => return Err(format!("commit after a timed-out stream: {other:?}, not TransactionAborted")),
        }
        match tokio::time::timeout(LIMIT, Item::query().count(&db)).await {
            Ok(Ok(_)) | Ok(Err(Error::Timeout { .. })) => {}
            other => return Err(format!("the statement after the timed-out streams: {other:?}")),
        }
        if tokio::time::timeout(LIMIT, db.close()).await.is_err() {
            return Err("close() of the pool with a statement timeout HUNG".into());
        }
        Ok(())
    });
}

/// `db.close()` returns within `close_timeout` even while a transaction (or a stream) still
/// holds a connection; the holder's later statements fail instead of hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_close_is_bounded_while_connections_are_held() {
    let mut failures = Vec::new();
    let options = DbOptions { close_timeout: Duration::from_secs(1), ..DbOptions::default() };
    for t in targets("cancel_close_bounded", options).await {
        let r: Check = async {
            bounded("create the table", Item::create_table(&t.db)).await?;
            let mut tx = bounded("begin", t.db.begin()).await?;
            bounded("insert in the held transaction", item("held", 0).insert(&mut tx)).await?;
            if tokio::time::timeout(Duration::from_secs(15), t.db.close()).await.is_err() {
                return Err("db.close() HUNG while a transaction held a connection (close_timeout 1 s)".into());
            }
            // The transaction's connection may be closed under it: an error, or Ok, never a hang.
            let _ = tokio::time::timeout(LIMIT, tx.commit()).await.map_err(|_| "commit after close HUNG".to_owned())?;
            Ok(())
        }
        .await;
        if let Err(e) = r {
            failures.push(format!("[{}] {e}", t.label));
        }
    }
    assert!(failures.is_empty(), "cancel_close_bounded:\n{}", failures.join("\n"));
}
