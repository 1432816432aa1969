//! Transactions: this crate's own BEGIN / COMMIT / ROLLBACK on a connection leased from the hot
//! pool, and what becomes of that connection on every path, including a future dropped at any
//! of its awaits.
//!
//! sqlx's `Transaction` is not used: in sqlx 0.9 a `begin` dropped after sending BEGIN but before
//! reading its reply records no transaction, so nothing rolls it back and the connection goes
//! back to the pool inside a transaction that swallows every later write (sqlx#4385). Here the
//! state of the connection is tracked by [`TxState`], set to `Broken` before anything is sent
//! and set back only when the reply has been read, so a future dropped mid-flight leaves
//! `Broken` behind, and a `Broken` connection is closed, never reused (on SQLite, whose
//! connections are in-process and finish what they were sent, it is rolled back instead).

use super::driver::{DbInner, Pool, control, with_timeout};
use super::hot::{Lane, discard};
use crate::Backend;
use crate::error::{Error, Result};
use sqlx::pool::PoolConnection;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How long a ROLLBACK run for a dropped transaction may take before its connection is closed.
const ROLLBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Rolls back a dropped transaction from a task of its own (a `Drop` cannot wait), then returns
/// the connection to sqlx; a ROLLBACK that fails or takes longer than [`ROLLBACK_TIMEOUT`] closes
/// the connection when `close_on_failure`. Outside a runtime the connection is closed.
macro_rules! spawn_rollback {
    ($conn:expr, $close_on_failure:expr) => {
        spawn_rollback!($conn, $close_on_failure, false)
    };
    // `$close_after`: closed after the ROLLBACK, too (a connection of the bulk lane).
    ($conn:expr, $close_on_failure:expr, $close_after:expr) => {{
        let mut conn = $conn;
        let close_on_failure = $close_on_failure;
        let close_after = $close_after;
        match tokio::runtime::Handle::try_current() {
            Err(_) => discard(conn),
            Ok(rt) => {
                rt.spawn(async move {
                    let rolled_back = matches!(
                        tokio::time::timeout(ROLLBACK_TIMEOUT, async { control!(&mut *conn, "ROLLBACK") }).await,
                        Ok(Ok(()))
                    );
                    if (!rolled_back && close_on_failure) || close_after {
                        conn.close_on_drop();
                    }
                    drop(conn);
                });
            }
        }
    }};
}

/// A transaction's connection.
pub(crate) enum TxConn {
    #[cfg(feature = "sqlite")]
    Sqlite(PoolConnection<sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(PoolConnection<sqlx::Postgres>),
    #[cfg(feature = "mysql")]
    MySql(PoolConnection<sqlx::MySql>),
}

/// What is known of a transaction's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxState {
    /// Inside the transaction, every statement so far answered.
    Open,
    /// Inside a transaction that the server has aborted (PostgreSQL after an error, MySQL after a
    /// deadlock): it can only be rolled back (on PostgreSQL, also to a savepoint).
    Failed,
    /// Unknown: something was sent and its reply not read (a dropped future, a lost
    /// connection, a timeout). The connection must never serve another statement.
    Broken,
    /// COMMIT or ROLLBACK answered: the connection is idle, outside any transaction.
    Ended,
}

impl TxState {
    /// The error for a statement that this state refuses.
    pub(crate) fn unusable(self) -> Error {
        let reason = match self {
            TxState::Broken => {
                "a statement of this transaction was cancelled before it finished, or lost its connection; \
                 nothing of it is committed"
            }
            TxState::Failed => "a statement of this transaction failed and the database rolled the transaction back",
            TxState::Ended | TxState::Open => "the transaction has already ended",
        };
        Error::TransactionAborted { reason: reason.into() }
    }

    /// Checks that a statement may be sent; returns the state to restore once it has answered.
    #[inline]
    pub(crate) fn before_statement(self, backend: Backend) -> Result<TxState> {
        match self {
            TxState::Open => Ok(self),
            // PostgreSQL refuses every statement itself until ROLLBACK TO SAVEPOINT, which must
            // get through; on MySQL the server has already rolled back, so a statement would
            // run outside any transaction (autocommit): refuse it here.
            TxState::Failed if backend.recovers_aborted_transactions() => Ok(self),
            _ => Err(self.unusable()),
        }
    }

    /// The state after a statement that started in state `self` answered with `result`.
    pub(crate) fn after_statement<T>(self, backend: Backend, result: &Result<T>) -> TxState {
        match result {
            // Only ROLLBACK TO SAVEPOINT succeeds in an aborted PostgreSQL transaction.
            Ok(_) => TxState::Open,
            Err(e) if e.is_connection_failure() => TxState::Broken,
            Err(e) if super::errors::aborts_transaction(backend, e) => TxState::Failed,
            Err(_) => self,
        }
    }
}

/// What a `Tx` holds.
pub(crate) struct TxInner {
    /// `None` once the transaction has handed its connection back.
    pub(super) conn: Option<TxConn>,
    pub(super) state: TxState,
    pub(super) db: Arc<DbInner>,
    pub(crate) backend: Backend,
    /// When the hot pool first took the connection from sqlx (see `hot::MAX_HELD`).
    since: Instant,
    /// The transaction's span, parent of its statements' (backend/trace.rs).
    #[cfg(feature = "tracing")]
    pub(super) span: tracing::Span,
    /// When `DbOptions::transaction_timeout` runs out, and that timeout.
    pub(super) deadline: Option<(Instant, Duration)>,
    /// Whether a statement of the transaction had large packets ([`Lane::Bulk`]): its connection
    /// then goes to the hot pool's bulk lane when the transaction ends, and is closed rather
    /// than handed back to sqlx.
    pub(super) bulky: bool,
}

/// The time limit of a statement in a transaction: the statement timeout, cut to what is left of
/// the transaction's; [`Error::Timeout`] when the transaction is already over.
#[inline]
pub(crate) fn statement_limit(
    statement: Option<Duration>,
    deadline: Option<(Instant, Duration)>,
) -> Result<(Option<Duration>, &'static str)> {
    let Some((at, after)) = deadline else { return Ok((statement, "statement")) };
    let left = at.checked_duration_since(Instant::now()).filter(|d| !d.is_zero());
    let Some(left) = left else { return Err(Error::Timeout { what: "transaction", after }) };
    Ok(match statement {
        Some(s) if s <= left => (Some(s), "statement"),
        _ => (Some(left), "transaction"),
    })
}

impl DbInner {
    /// Starts a transaction on a connection of the pool.
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<TxInner> {
        self.begin_in(Lane::Hot).await
    }

    /// [`DbInner::begin`] on a connection of `lane` (a transaction of statements with large
    /// packets, such as a multi-statement `insert_many`, is begun on the bulk lane).
    pub(crate) async fn begin_in(self: &Arc<Self>, lane: Lane) -> Result<TxInner> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "tracing")]
        let span = super::trace::transaction(self.backend);
        let (conn, since) = match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => {
                let (c, since) = p.acquire_in(lane).await?.take();
                (TxConn::Sqlite(c), since)
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => {
                let (c, since) = p.acquire_in(lane).await?.take();
                (TxConn::Postgres(c), since)
            }
            #[cfg(feature = "mysql")]
            Pool::MySql(p) => {
                let (c, since) = p.acquire_in(lane).await?.take();
                (TxConn::MySql(c), since)
            }
        };
        // Broken until BEGIN has answered: dropped before, the connection is never reused.
        let deadline = self.transaction_timeout.map(|t| (Instant::now() + t, t));
        let mut tx = TxInner {
            conn: Some(conn),
            state: TxState::Broken,
            db: self.clone(),
            backend: self.backend,
            since,
            deadline: None,
            bulky: lane == Lane::Bulk,
            #[cfg(feature = "tracing")]
            span,
        };
        #[cfg(feature = "tracing")]
        let begin = {
            let span = tx.span.clone();
            tracing::Instrument::instrument(tx.control(self.backend.begin_sql()), span).await
        };
        #[cfg(not(feature = "tracing"))]
        let begin = tx.control(self.backend.begin_sql()).await;
        begin?;
        tx.state = TxState::Open;
        tx.deadline = deadline;
        Ok(tx)
    }
}

impl TxInner {
    /// Sends a transaction-control statement, bounded by the statement timeout.
    async fn control(&mut self, sql: &'static str) -> Result<()> {
        // A ROLLBACK is never refused: it is what ends an expired transaction.
        let deadline = if sql == "ROLLBACK" { None } else { self.deadline };
        let (limit, _) = statement_limit(self.db.statement_timeout, deadline)?;
        match self.conn.as_mut() {
            #[cfg(feature = "sqlite")]
            Some(TxConn::Sqlite(c)) => {
                with_timeout(limit, "transaction control", async { control!(&mut **c, sql) }).await
            }
            #[cfg(feature = "postgres")]
            Some(TxConn::Postgres(c)) => {
                with_timeout(limit, "transaction control", async { control!(&mut **c, sql) }).await
            }
            #[cfg(feature = "mysql")]
            Some(TxConn::MySql(c)) => {
                with_timeout(limit, "transaction control", async { control!(&mut **c, sql) }).await
            }
            None => Err(TxState::Ended.unusable()),
        }
    }

    /// Commits. A transaction that can no longer commit ([`TxState::Failed`] or `Broken`) is
    /// rolled back and reported as [`Error::TransactionAborted`]; a connection lost while the
    /// COMMIT was on its way is [`Error::OutcomeUnknown`].
    pub(crate) async fn commit(mut self) -> Result<()> {
        self.db.statements.fetch_add(1, Ordering::Relaxed);
        match self.state {
            TxState::Open => {}
            TxState::Failed => {
                let e = self.state.unusable();
                #[cfg(feature = "tracing")]
                super::trace::transaction_ended(&self.span, "rolled back (aborted)");
                self.end("ROLLBACK").await?;
                return Err(e);
            }
            // Dropped Broken: the connection is closed, which rolls the transaction back.
            state => return Err(state.unusable()),
        }
        let r = self.end("COMMIT").await.map_err(Error::outcome_unknown_if_lost);
        #[cfg(feature = "tracing")]
        super::trace::transaction_ended(&self.span, if r.is_ok() { "commit" } else { "commit failed" });
        r
    }

    /// Rolls back.
    pub(crate) async fn rollback(mut self) -> Result<()> {
        self.db.statements.fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "tracing")]
        super::trace::transaction_ended(&self.span, "rollback");
        match self.state {
            TxState::Open | TxState::Failed => self.end("ROLLBACK").await,
            // Dropped Broken, the connection is closed: the server rolls back.
            TxState::Broken => Ok(()),
            TxState::Ended => Err(TxState::Ended.unusable()),
        }
    }

    /// COMMIT or ROLLBACK; `Ended` when it answered, else dropped `Broken` or `Failed`.
    async fn end(&mut self, sql: &'static str) -> Result<()> {
        self.state = TxState::Broken;
        match self.control(sql).await {
            Ok(()) => {
                self.state = TxState::Ended;
                Ok(())
            }
            // The server answered (a deferred constraint, a serialization failure at commit):
            // the transaction is over or aborted; a ROLLBACK on drop makes sure.
            Err(e) if e.is_reported_by_database() => {
                self.state = TxState::Failed;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }
}

impl Drop for TxInner {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let lane = if self.bulky { Lane::Bulk } else { Lane::Hot };
        #[cfg(feature = "tracing")]
        if self.state != TxState::Ended {
            super::trace::transaction_ended(&self.span, "dropped (rolled back)");
        }
        macro_rules! finish {
            ($c:ident, $pool:ident) => {
                match self.state {
                    TxState::Ended => match self.db.pool.$pool() {
                        Some(p) => p.park_in(lane, $c, self.since),
                        None => discard($c),
                    },
                    TxState::Open | TxState::Failed => {
                        spawn_rollback!($c, self.db.close_on_failure(), lane == Lane::Bulk)
                    }
                    TxState::Broken if !self.backend.closes_cancelled_connections() => spawn_rollback!($c, false),
                    TxState::Broken => {
                        let mut c = $c;
                        c.close_on_drop();
                        discard(c);
                    }
                }
            };
        }
        match conn {
            #[cfg(feature = "sqlite")]
            TxConn::Sqlite(c) => finish!(c, sqlite),
            #[cfg(feature = "postgres")]
            TxConn::Postgres(c) => finish!(c, postgres),
            #[cfg(feature = "mysql")]
            TxConn::MySql(c) => finish!(c, mysql),
        }
    }
}

impl DbInner {
    /// Whether a connection whose ROLLBACK failed is closed (not on SQLite, whose in-memory
    /// database lives in its one connection, and whose ROLLBACK fails harmlessly when a
    /// dropped COMMIT had already ended the transaction).
    fn close_on_failure(&self) -> bool {
        self.backend.closes_cancelled_connections()
    }
}
