//! A connection taken out of the pool for the migrator: its session holds the lock, its
//! transaction is begun and ended by hand (SQLite's foreign-key pragma must run on the same
//! connection before BEGIN and after COMMIT), and it never goes back to the pool in an unknown
//! state. Dropped dirty (inside a transaction, holding the lock, foreign keys off, a statement in
//! flight), a server connection is closed (the server rolls back and releases the lock); a SQLite
//! connection is never closed (the only connection of `sqlite::memory:` holds the database):
//! a task of its own undoes what the session changed (ROLLBACK, foreign keys back on), bounded
//! in time, and gives the connection back, as backend/tx.rs does for a dropped transaction.

use super::driver::{Exec, Pool, control};
use super::{Args, Backend, RowRef};
use crate::error::{Error, Result};
use crate::value::Value;
use std::time::Duration;

/// How long the statements undoing a dropped SQLite session may take (each).
const UNDO_TIMEOUT: Duration = Duration::from_secs(5);

enum Conn {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    #[cfg(feature = "mysql")]
    MySql(sqlx::pool::PoolConnection<sqlx::MySql>),
}

/// One connection of a `Db`, for the migrator alone.
pub(crate) struct Dedicated {
    /// `None` once `Drop` has handed it to the undo task.
    conn: Option<Conn>,
    pub(crate) backend: Backend,
    /// Set before a state change that must not reach the pool (BEGIN, taking the lock, turning
    /// foreign keys off), cleared once it is undone: a dropped connection that is dirty is closed
    /// (a server's) or cleaned up by running its `undo` statements (SQLite's).
    dirty: u32,
    /// What puts the session back, newest last: registered by [`Dedicated::enter`] before the
    /// change is sent, removed by [`Dedicated::leave`] once it is undone.
    undo: Vec<&'static str>,
}

fn sql_of(s: String) -> sqlx::SqlStr {
    use sqlx::{AssertSqlSafe, SqlSafeStr};
    // SAFETY (injection): migration DDL rendered by backend/ddl.rs from quoted identifiers, the
    // text of migration files (trusted like any script of the application), and fixed queries
    // with bound values.
    AssertSqlSafe(s).into_sql_str()
}

impl Dedicated {
    /// Takes a connection out of `exec`'s pool.
    pub(crate) async fn acquire(exec: Exec<'_>) -> Result<Dedicated> {
        let Exec::Db(d) = exec else {
            return Err(Error::Unsupported("the migrator needs a Db, not a transaction".into()));
        };
        let conn = match &d.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => Conn::Sqlite(p.acquire().await?.take().0),
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => Conn::Postgres(p.acquire().await?.take().0),
            #[cfg(feature = "mysql")]
            Pool::MySql(p) => Conn::MySql(p.acquire().await?.take().0),
        };
        Ok(Dedicated { conn: Some(conn), backend: d.backend, dirty: 0, undo: Vec::new() })
    }

    /// Marks the start (`true`) or the end of a state the pool must never see.
    pub(crate) fn dirty(&mut self, on: bool) {
        if on {
            self.dirty += 1;
        } else {
            self.dirty = self.dirty.saturating_sub(1);
        }
    }

    /// Runs `sql`, a change of the session's state (`BEGIN`, `PRAGMA foreign_keys = OFF`) that
    /// `undo` reverts; the connection is dirty until [`leave`](Dedicated::leave) runs `undo` (or
    /// what ends it, such as COMMIT). `undo` is registered before `sql` is sent, so a future
    /// dropped meanwhile still undoes it (an undo of nothing fails harmlessly).
    pub(crate) async fn enter(&mut self, sql: &str, undo: &'static str) -> Result<()> {
        self.dirty(true);
        self.undo.push(undo);
        let r = self.script(sql).await;
        if r.is_err() && !self.backend.closes_cancelled_connections() {
            // SQLite answered: nothing changed (a failed BEGIN leaves no transaction).
            self.forget(undo);
        }
        r
    }

    /// Runs `sql`, which ends the state that [`enter`](Dedicated::enter) registered with
    /// `undo` (`COMMIT` or `ROLLBACK` for `BEGIN`; the undo statement itself otherwise); once
    /// it succeeded, the connection is that much cleaner.
    pub(crate) async fn leave(&mut self, sql: &str, undo: &'static str) -> Result<()> {
        let r = self.script(sql).await;
        if r.is_ok() {
            self.forget(undo);
        }
        r
    }

    fn forget(&mut self, undo: &'static str) {
        if let Some(i) = self.undo.iter().rposition(|u| *u == undo) {
            self.undo.remove(i);
            self.dirty(false);
        }
    }

    /// Runs trusted text as one unprepared statement (DDL, pragmas, BEGIN/COMMIT).
    pub(crate) async fn script(&mut self, sql: &str) -> Result<()> {
        let q = sqlx::raw_sql(sql_of(sql.to_owned()));
        // Dirty while in flight: dropped before its reply, the connection is closed.
        self.dirty(true);
        let r = self.script_inner(q).await;
        self.dirty(false);
        r
    }

    async fn script_inner(&mut self, q: sqlx::RawSql) -> Result<()> {
        match self.conn.as_mut().expect("a live connection") {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => q.execute(&mut **c).await.map(|_| ())?,
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => q.execute(&mut **c).await.map(|_| ())?,
            #[cfg(feature = "mysql")]
            Conn::MySql(c) => q.execute(&mut **c).await.map(|_| ())?,
        }
        Ok(())
    }

    fn args(&self, values: Vec<Value>) -> Result<Args> {
        let mut a = Args::new(self.backend);
        for v in values {
            a.push_value(v)?;
        }
        Ok(a)
    }

    /// Runs a statement with `?` placeholders and bound values; the rows affected.
    pub(crate) async fn execute(&mut self, sql: &str, values: Vec<Value>) -> Result<u64> {
        let sql = sql_of(self.backend.rewrite_placeholders(sql));
        let args = self.args(values)?;
        self.dirty(true);
        let r = self.execute_inner(sql, args).await;
        self.dirty(false);
        r
    }

    async fn execute_inner(&mut self, sql: sqlx::SqlStr, args: Args) -> Result<u64> {
        Ok(match (self.conn.as_mut().expect("a live connection"), args) {
            #[cfg(feature = "sqlite")]
            (Conn::Sqlite(c), Args::Sqlite(a)) => sqlx::query_with(sql, a).execute(&mut **c).await?.rows_affected(),
            #[cfg(feature = "postgres")]
            (Conn::Postgres(c), Args::Postgres(a)) => sqlx::query_with(sql, a).execute(&mut **c).await?.rows_affected(),
            #[cfg(feature = "mysql")]
            (Conn::MySql(c), Args::MySql(a)) => sqlx::query_with(sql, a).execute(&mut **c).await?.rows_affected(),
            #[allow(unreachable_patterns)]
            _ => return Err(Error::Unsupported("arguments of another backend".into())),
        })
    }

    /// Runs a query with `?` placeholders and bound values, mapping every row with `f`.
    pub(crate) async fn query<T>(
        &mut self,
        sql: &str,
        values: Vec<Value>,
        mut f: impl FnMut(&RowRef<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let sql = sql_of(self.backend.rewrite_placeholders(sql));
        let args = self.args(values)?;
        self.dirty(true);
        let r = self.query_inner(sql, args, &mut f).await;
        self.dirty(false);
        r
    }

    async fn query_inner<T>(
        &mut self,
        sql: sqlx::SqlStr,
        args: Args,
        f: &mut impl FnMut(&RowRef<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        match (self.conn.as_mut().expect("a live connection"), args) {
            #[cfg(feature = "sqlite")]
            (Conn::Sqlite(c), Args::Sqlite(a)) => {
                for r in sqlx::query_with(sql, a).fetch_all(&mut **c).await? {
                    out.push(f(&RowRef::Sqlite(&r))?);
                }
            }
            #[cfg(feature = "postgres")]
            (Conn::Postgres(c), Args::Postgres(a)) => {
                for r in sqlx::query_with(sql, a).fetch_all(&mut **c).await? {
                    out.push(f(&RowRef::Postgres(&r))?);
                }
            }
            #[cfg(feature = "mysql")]
            (Conn::MySql(c), Args::MySql(a)) => {
                for r in sqlx::query_with(sql, a).fetch_all(&mut **c).await? {
                    out.push(f(&RowRef::MySql(&r))?);
                }
            }
            #[allow(unreachable_patterns)]
            _ => return Err(Error::Unsupported("arguments of another backend".into())),
        }
        Ok(out)
    }

    /// Closes the connection instead of returning it to the pool (releasing whatever its
    /// session held).
    pub(crate) fn discard(mut self) {
        self.dirty = self.dirty.max(1);
    }
}

/// Runs the undo statements (newest first) from a task of its own, each bounded by
/// [`UNDO_TIMEOUT`], errors ignored (a ROLLBACK with no transaction fails harmlessly), then gives
/// the connection back to the pool. Outside a runtime the connection is closed.
macro_rules! undo_then_return {
    ($conn:expr, $undo:expr) => {{
        let mut conn = $conn;
        let undo: Vec<&'static str> = $undo;
        match tokio::runtime::Handle::try_current() {
            Err(_) => {
                conn.close_on_drop();
                super::hot::discard(conn);
            }
            Ok(rt) => {
                rt.spawn(async move {
                    for sql in undo.into_iter().rev() {
                        let _ = tokio::time::timeout(UNDO_TIMEOUT, async { control!(&mut *conn, sql) }).await;
                    }
                    drop(conn);
                });
            }
        }
    }};
}

impl Drop for Dedicated {
    fn drop(&mut self) {
        if self.dirty == 0 {
            return;
        }
        let Some(conn) = self.conn.take() else { return };
        let undo = std::mem::take(&mut self.undo);
        macro_rules! finish {
            ($c:ident) => {{
                let mut c = $c;
                if self.backend.closes_cancelled_connections() {
                    c.close_on_drop();
                    super::hot::discard(c);
                } else {
                    undo_then_return!(c, undo);
                }
            }};
        }
        match conn {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => finish!(c),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => finish!(c),
            #[cfg(feature = "mysql")]
            Conn::MySql(c) => finish!(c),
        }
    }
}
