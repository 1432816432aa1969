//! Connections: [`Db`] (a pool), [`Tx`] (a transaction) and [`Executor`] (either).

use crate::backend::{Backend, DbInner, DbOptions, Exec, TxInner};
use crate::error::Result;
use std::sync::Arc;
use std::sync::atomic::Ordering;

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
    pub async fn begin(&self) -> Result<Tx> {
        let inner = self.inner.begin().await?;
        Ok(Tx { backend: inner.backend, inner: Some(inner), back: None })
    }

    /// TEMP stub (issue 8): runs `f` in a transaction, commits on `Ok`, rolls back on `Err`,
    /// retries three times on deadlocks and serialization failures.
    pub async fn transaction<T, F, Fut>(&self, mut f: F) -> Result<T>
    where
        F: FnMut(Tx) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let retryable =
            |e: &crate::Error| matches!(e, crate::Error::Deadlock { .. } | crate::Error::SerializationFailure { .. });
        let mut attempt = 0;
        loop {
            let slot = Arc::new(std::sync::Mutex::new(None));
            let mut tx = self.begin().await?;
            tx.back = Some(slot.clone());
            let fut = f(tx);
            let r = fut.await;
            let inner = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
            let r = match (r, inner) {
                (Ok(v), Some(i)) => i.commit().await.map(|()| v),
                (Ok(v), None) => Ok(v),
                (Err(e), Some(i)) => {
                    let _ = i.rollback().await;
                    Err(e)
                }
                (Err(e), None) => Err(e),
            };
            match r {
                Err(e) if retryable(&e) && attempt < 3 => attempt += 1,
                r => return r,
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

    /// Closes every connection; later operations fail.
    pub async fn close(&self) {
        self.inner.close().await
    }
}

/// A transaction. Every model operation accepts `&mut Tx` in place of `&Db`.
///
/// Dropping it without [`commit`](Tx::commit) rolls it back.
pub struct Tx {
    inner: Option<TxInner>,
    backend: Backend,
    back: Option<Arc<std::sync::Mutex<Option<TxInner>>>>,
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let (Some(back), Some(inner)) = (self.back.take(), self.inner.take()) {
            *back.lock().unwrap_or_else(|e| e.into_inner()) = Some(inner);
        }
    }
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx").field("backend", &self.backend).finish()
    }
}

impl Tx {
    /// Makes the transaction's changes permanent.
    pub async fn commit(mut self) -> Result<()> {
        self.inner.take().expect("a live transaction").commit().await
    }

    /// Discards the transaction's changes.
    pub async fn rollback(mut self) -> Result<()> {
        self.inner.take().expect("a live transaction").rollback().await
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
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
        Executor(Exec::Tx(tx.inner.as_mut().expect("a live transaction")))
    }
}

impl<'a, 'b> From<&'a mut &'b mut Tx> for Executor<'a> {
    fn from(tx: &'a mut &'b mut Tx) -> Self {
        Executor(Exec::Tx(tx.inner.as_mut().expect("a live transaction")))
    }
}
