//! Connections: [`Db`] (a pool), [`Tx`] (a transaction) and [`Executor`] (either).

use crate::backend::{Backend, DbInner, DbOptions, Exec, TxInner};
use crate::error::{Error, Result};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// A database: a pool of connections to one SQLite file or in-memory database, PostgreSQL or
/// MySQL/MariaDB server, chosen by the URL's scheme.
///
/// Cheap to clone and `Send + Sync`: share one among many tasks.
#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.inner.backend).finish()
    }
}

impl Db {
    /// Connects with default [`DbOptions`].
    ///
    /// * `sqlite::memory:` — one in-memory database shared by every user of this `Db`;
    /// * `sqlite://path/app.db` (or `sqlite:app.db`) — a file, created when missing, in WAL mode
    ///   with a busy timeout so concurrent writers wait for each other;
    /// * `postgres://user@host:port/db` (or `postgresql://`);
    /// * `mysql://user:password@host:port/db` (or `mariadb://`).
    ///
    /// A malformed URL or unknown scheme is [`Error::InvalidUrl`](crate::Error::InvalidUrl); a
    /// server that cannot be reached is [`Error::Connect`](crate::Error::Connect) once
    /// [`DbOptions::acquire_timeout`] has passed.
    pub async fn connect(url: &str) -> Result<Db> {
        Db::connect_with(url, DbOptions::default()).await
    }

    /// Connects with the given pool settings.
    pub async fn connect_with(url: &str, options: DbOptions) -> Result<Db> {
        let inner = crate::backend::driver::connect(url, &options).await?;
        Ok(Db { inner: Arc::new(inner) })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// Starts a transaction. Dropping the [`Tx`] without [`Tx::commit`] rolls it back.
    ///
    /// Safe to cancel at any point (e.g. by a request timeout): a transaction whose `BEGIN`,
    /// statement, `COMMIT` or `ROLLBACK` was dropped before its reply arrived can only be rolled
    /// back, and its connection is closed rather than reused, so no later statement ever runs
    /// inside a transaction nobody will commit.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(Tx { inner: Some(self.inner.begin().await?), handback: None, backend: self.inner.backend })
    }

    /// Runs `f` in a transaction: commits when it returns `Ok`, rolls back when it returns `Err`,
    /// and runs it again (a new transaction, up to [`DbOptions::transaction_retries`] times)
    /// when it or the commit fails with a deadlock or serialization failure
    /// ([`Error::is_retryable`](crate::Error::is_retryable)).
    ///
    /// `f` gets the transaction by value, so the closure needs no boxing: `|mut tx| async move
    /// { ...; Ok(value) }`. It may also commit or roll back `tx` itself.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug, Clone)] struct Account { #[orm(primary_key)] id: i64, balance: i64 }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Account::create_table(&db).await?;
    /// # Account { id: 1, balance: 10 }.insert(&db).await?;
    /// # Account { id: 2, balance: 0 }.insert(&db).await?;
    /// let moved = db
    ///     .transaction(|mut tx| async move {
    ///         let mut from = Account::find(&mut tx, 1).await?.ok_or(Error::NotFound { table: "account".into() })?;
    ///         let mut to = Account::find(&mut tx, 2).await?.ok_or(Error::NotFound { table: "account".into() })?;
    ///         from.balance -= 5;
    ///         to.balance += 5;
    ///         from.update(&mut tx).await?;
    ///         to.update(&mut tx).await?;
    ///         Ok(5)
    ///     })
    ///     .await?;
    /// assert_eq!(moved, 5);
    /// # Ok(()) }
    /// ```
    pub async fn transaction<T, F, Fut>(&self, mut f: F) -> Result<T>
    where
        F: FnMut(Tx) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempt = 0;
        loop {
            let slot = Arc::new(Mutex::new(Handback::Lent));
            let tx = Tx {
                inner: Some(self.inner.begin().await?),
                handback: Some(slot.clone()),
                backend: self.inner.backend,
            };
            let result = f(tx).await;
            let back = std::mem::replace(&mut *slot.lock().unwrap_or_else(|e| e.into_inner()), Handback::Lent);
            let outcome = match (result, back) {
                (Ok(v), Handback::Returned(inner)) => inner.commit().await.map(|()| v),
                (Ok(v), Handback::Ended) => Ok(v),
                (Ok(_), Handback::Lent) => Err(Error::TransactionAborted {
                    reason: "the closure of Db::transaction kept its Tx (moved it elsewhere): it was not committed"
                        .into(),
                }),
                // Rolled back before a retry starts, so that the locks it holds (the other side
                // of a deadlock) are released first.
                (Err(e), Handback::Returned(inner)) => {
                    let _ = inner.rollback().await;
                    Err(e)
                }
                (Err(e), _) => Err(e),
            };
            match outcome {
                Err(e) if e.is_retryable() && attempt < self.inner.transaction_retries => {
                    attempt += 1;
                    // A short, growing pause with a little jitter, so two retried transactions
                    // do not meet again in lockstep.
                    let jitter = u64::from(std::time::Instant::now().elapsed().subsec_nanos() % 7);
                    tokio::time::sleep(std::time::Duration::from_millis((5 << attempt.min(6)) + jitter)).await;
                }
                outcome => return outcome,
            }
        }
    }

    /// Runs a script of several `;`-separated SQL statements (a schema dump, a seed file) as one
    /// unprepared batch, in order, stopping at the first error. What an error leaves behind
    /// differs: PostgreSQL runs a batch without its own `BEGIN`/`COMMIT` as one implicit
    /// transaction, so nothing of it stays; SQLite and MySQL keep the statements before the
    /// failing one (and MySQL commits around every DDL statement anyway).
    ///
    /// **The text is trusted**: it reaches the database verbatim, with no parameters, so it must
    /// come from you (a file in your repository), never from user data; for values use
    /// [`raw`](crate::raw) with bound parameters. Commands of a command-line client (`DELIMITER`,
    /// psql's `\c`) are not SQL, and `USE db` would switch only one connection of the pool:
    /// remove them first.
    ///
    /// ```no_run
    /// # async fn f(db: &orm_core::Db) -> orm_core::Result<()> {
    /// db.execute_script("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2);").await?;
    /// # Ok(()) }
    /// ```
    pub async fn execute_script(&self, sql: &str) -> Result<()> {
        crate::backend::driver::execute_script(Exec::Db(&self.inner), sql.to_owned()).await
    }

    /// How many statements this `Db` (and its transactions) has sent so far; for tests that
    /// check how many queries an operation takes.
    pub fn statement_count(&self) -> u64 {
        self.inner.statements.load(Ordering::Relaxed)
    }

    /// Closes every connection; later operations fail. Waits for connections still in use (a
    /// live [`Tx`], a stream) at most [`DbOptions::close_timeout`].
    pub async fn close(&self) {
        self.inner.close().await
    }
}

/// A transaction. Every model operation accepts `&mut Tx` in place of `&Db`.
///
/// Dropping it without [`commit`](Tx::commit) rolls it back. A transaction one of whose
/// statements was cancelled mid-flight, or failed in a way that aborts it on the server
/// (PostgreSQL: any error, until `ROLLBACK TO SAVEPOINT`; MySQL: a deadlock), refuses further
/// statements and its `commit` is [`Error::TransactionAborted`](crate::Error::TransactionAborted):
/// nothing is committed.
pub struct Tx {
    inner: Option<TxInner>,
    /// Set for the `Tx` lent to the closure of [`Db::transaction`]: dropped, it hands its
    /// transaction back there instead of rolling it back.
    handback: Option<Arc<Mutex<Handback>>>,
    backend: Backend,
}

/// What the closure of [`Db::transaction`] left of its `Tx`.
enum Handback {
    /// Still out (or moved somewhere it was not dropped).
    Lent,
    /// Dropped: the transaction is here, to commit or roll back.
    Returned(TxInner),
    /// Committed or rolled back by the closure itself.
    Ended,
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").field("backend", &self.backend()).finish()
    }
}

impl Tx {
    fn take(&mut self) -> TxInner {
        if let Some(slot) = &self.handback {
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Handback::Ended;
        }
        self.inner.take().expect("a Tx holds its transaction until commit or rollback consume it")
    }

    fn inner(&mut self) -> &mut TxInner {
        self.inner.as_mut().expect("a Tx holds its transaction until commit or rollback consume it")
    }

    /// Makes the transaction's changes permanent.
    ///
    /// [`Error::TransactionAborted`](crate::Error::TransactionAborted) if the transaction could
    /// no longer commit (see [`Tx`]), [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) if
    /// the connection was lost with the COMMIT on its way.
    pub async fn commit(mut self) -> Result<()> {
        self.take().commit().await
    }

    /// Discards the transaction's changes.
    pub async fn rollback(mut self) -> Result<()> {
        self.take().rollback().await
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let (Some(slot), Some(inner)) = (&self.handback, self.inner.take()) {
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Handback::Returned(inner);
        }
    }
}

/// Where an operation runs: `&Db` or `&mut Tx` convert into it.
pub struct Executor<'a>(pub(crate) Exec<'a>);

impl Executor<'_> {
    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.0.backend()
    }
}

impl<'a> From<&'a Db> for Executor<'a> {
    fn from(db: &'a Db) -> Self {
        Executor(Exec::Db(&db.inner))
    }
}

impl<'a> From<&'a mut Tx> for Executor<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        Executor(Exec::Tx(tx.inner()))
    }
}

impl<'a, 'b> From<&'a mut &'b mut Tx> for Executor<'a> {
    fn from(tx: &'a mut &'b mut Tx) -> Self {
        Executor(Exec::Tx(tx.inner()))
    }
}
