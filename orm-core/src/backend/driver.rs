//! sqlx pools, transactions, arguments and rows of each backend, behind one set of enums.
//!
//! This is the one audited place where SQL text is handed to sqlx (`AssertSqlSafe`): every
//! statement passing through here was rendered by this crate from identifiers it quotes and
//! placeholders; user values travel only as bound [`Args`].

use super::Backend;
use super::hot::{self, HotPool};
use super::tx::{TxConn, TxInner, TxState, statement_limit};
use crate::error::{Error, Result};
use crate::value::{SqlKind, Value};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!("orm-core needs at least one of the features `sqlite`, `postgres`, `mysql`");

/// SQL text built by this crate: shared (cached per model) or rendered for one call.
#[derive(Debug, Clone)]
pub(crate) enum SqlText {
    Static(&'static str),
    Shared(Arc<str>),
    Owned(String),
}

impl SqlText {
    fn into_sqlx(self) -> sqlx::SqlStr {
        use sqlx::{AssertSqlSafe, SqlSafeStr};
        // SAFETY (injection): see the module docs; only crate-rendered SQL reaches here.
        match self {
            SqlText::Static(s) => s.into_sql_str(),
            SqlText::Shared(s) => AssertSqlSafe(s).into_sql_str(),
            SqlText::Owned(s) => AssertSqlSafe(s).into_sql_str(),
        }
    }
}

/// Pool settings for [`crate::Db::connect_with`].
///
/// Build it with struct update syntax, so that settings added later keep their defaults:
/// `DbOptions { max_connections: 4, ..DbOptions::default() }`.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Most connections the pool opens (default 10; 1 for `sqlite::memory:`).
    pub max_connections: u32,
    /// How long to wait for a connection from the pool (default 10 s). The first connection is
    /// opened by `connect` itself: a server that refuses it fails at once with the cause.
    pub acquire_timeout: Duration,
    /// How long a SQLite writer waits for a lock held by another (default 30 s).
    pub sqlite_busy_timeout: Duration,
    /// Prepared statements cached per connection (default 256).
    pub statement_cache_capacity: usize,
    /// Whether the pool pings a connection each time it hands one out (default `false`).
    ///
    /// sqlx pings by default: one more round trip for every statement run on `&Db` (to the
    /// server, or to SQLite's worker thread), which doubles the latency of a point query
    /// (docs/performance.md). Without it, a connection the server has dropped while idle fails
    /// the statement that next uses it; turn it on where that happens (e.g. behind a proxy that
    /// cuts idle connections). Idle connections are closed after 10 minutes either way. SQLite
    /// connections live in the process and are never pinged.
    ///
    /// Off, a connection that has just run a statement is also kept for the next one rather than
    /// returned to sqlx's pool, which pings every connection coming back to it (see the guide).
    pub test_before_acquire: bool,
    /// PostgreSQL behind PgBouncer (or another pooler) in transaction mode (default `false`;
    /// also turned on by `?pgbouncer=true` in the URL).
    ///
    /// A transaction-mode pooler hands each transaction, and each statement outside one, to
    /// whichever server connection is free, so a statement prepared on one may be executed on
    /// another (another client's statement of the same name, with this one's parameters). In
    /// this mode no statement is named or cached, the `extra_float_digits` startup parameter
    /// is not sent, and every statement outside a transaction runs inside its own
    /// `BEGIN`/`COMMIT`, so that its parse and its execution reach the same server connection.
    /// It costs two round trips a statement and a parse per execution (docs/performance.md).
    pub pgbouncer: bool,
    /// The longest a statement may run (default: no limit). A statement that takes longer
    /// fails with [`Error::Timeout`](crate::Error::Timeout); its connection is closed, never
    /// reused, and a transaction it ran in can only be rolled back. On a stream it bounds each
    /// wait for the server's next row, not the time the caller takes between rows.
    pub statement_timeout: Option<Duration>,
    /// The longest a transaction may last, from `begin` (default: no limit). Its statements and
    /// its `commit` fail with [`Error::Timeout`](crate::Error::Timeout) once it is over (a
    /// statement running then is cut short, its connection closed), and it is rolled back: a
    /// transaction left open by a stuck task cannot hold its locks forever.
    pub transaction_timeout: Option<Duration>,
    /// The longest [`Db::close`](crate::Db::close) waits for connections still in use to come
    /// back (default 5 s); then it closes what it has and returns.
    pub close_timeout: Duration,
    /// How many times [`Db::transaction`](crate::Db::transaction) runs a transaction again
    /// after a deadlock or serialization failure (default 3).
    pub transaction_retries: u32,
    /// With the `tracing` feature: a statement that takes at least this long is logged as a
    /// `warn!` event "slow statement" with its SQL text (never its values) and duration (default
    /// `None`: no warning). Without the feature it has no effect.
    pub slow_statement_threshold: Option<Duration>,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
            sqlite_busy_timeout: Duration::from_secs(30),
            statement_cache_capacity: 256,
            test_before_acquire: false,
            pgbouncer: false,
            statement_timeout: None,
            transaction_timeout: None,
            close_timeout: Duration::from_secs(5),
            transaction_retries: 3,
            slow_statement_threshold: None,
        }
    }
}

/// The pool of one backend.
pub(crate) enum Pool {
    #[cfg(feature = "sqlite")]
    Sqlite(HotPool<sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(HotPool<sqlx::Postgres>),
    #[cfg(feature = "mysql")]
    MySql(HotPool<sqlx::MySql>),
}

/// What a `Db` holds.
pub(crate) struct DbInner {
    pub(crate) pool: Pool,
    pub(crate) backend: Backend,
    pub(crate) statements: Arc<AtomicU64>,
    /// Behind a transaction-mode pooler: statements are neither named nor cached, and each one
    /// outside a transaction gets its own BEGIN/COMMIT ([`DbOptions::pgbouncer`]).
    pub(crate) pooler: bool,
    pub(crate) statement_timeout: Option<Duration>,
    pub(crate) transaction_timeout: Option<Duration>,
    pub(crate) close_timeout: Duration,
    pub(crate) transaction_retries: u32,
    /// [`DbOptions::slow_statement_threshold`].
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) slow_statement_threshold: Option<Duration>,
}

impl Pool {
    #[cfg(feature = "sqlite")]
    #[allow(unreachable_patterns)]
    pub(super) fn sqlite(&self) -> Option<&HotPool<sqlx::Sqlite>> {
        match self {
            Pool::Sqlite(p) => Some(p),
            _ => None,
        }
    }
    #[cfg(feature = "postgres")]
    #[allow(unreachable_patterns)]
    pub(super) fn postgres(&self) -> Option<&HotPool<sqlx::Postgres>> {
        match self {
            Pool::Postgres(p) => Some(p),
            _ => None,
        }
    }
    #[cfg(feature = "mysql")]
    #[allow(unreachable_patterns)]
    pub(super) fn mysql(&self) -> Option<&HotPool<sqlx::MySql>> {
        match self {
            Pool::MySql(p) => Some(p),
            _ => None,
        }
    }
}

/// Where a statement runs.
pub(crate) enum Exec<'a> {
    Db(&'a Arc<DbInner>),
    Tx(&'a mut TxInner),
}

impl Exec<'_> {
    /// A shorter-lived copy, to run several statements on the same executor.
    pub(crate) fn reborrow(&mut self) -> Exec<'_> {
        match self {
            Exec::Db(d) => Exec::Db(d),
            Exec::Tx(t) => Exec::Tx(t),
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Exec::Db(d) => d.backend,
            Exec::Tx(t) => t.backend,
        }
    }

    fn db(&self) -> &DbInner {
        match self {
            Exec::Db(d) => d,
            Exec::Tx(t) => &t.db,
        }
    }

    fn count(&self) {
        self.db().statements.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether a statement may be prepared once and kept in the connection's cache.
    fn caches_statements(&self) -> bool {
        !self.db().pooler
    }
}

fn mismatch() -> Error {
    Error::Unsupported("arguments were built for another backend than the connection's".into())
}

/// Runs `fut`, failing with [`Error::Timeout`] after `limit` (dropping `fut`, so its connection
/// is discarded by whoever holds it).
pub(super) async fn with_timeout<T>(
    limit: Option<Duration>,
    what: &'static str,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    match limit {
        None => fut.await,
        Some(after) => match tokio::time::timeout(after, fut).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout { what, after }),
        },
    }
}

/// Runs a transaction-control statement (BEGIN, COMMIT, ...) as a simple query on a connection
/// (`&mut` of a backend's connection type); a macro, as sqlx's executor traits do not generalize
/// over the connection's lifetime in a `Send` future.
macro_rules! control {
    ($conn:expr, $sql:expr) => {
        sqlx::raw_sql($sql).execute($conn).await.map(|_| ()).map_err(crate::error::Error::from)
    };
}
pub(super) use control;

/// Bound parameters of one statement.
#[doc(hidden)]
pub enum Args {
    #[cfg(feature = "sqlite")]
    #[doc(hidden)]
    Sqlite(sqlx::sqlite::SqliteArguments),
    #[cfg(feature = "postgres")]
    #[doc(hidden)]
    Postgres(sqlx::postgres::PgArguments),
    #[cfg(feature = "mysql")]
    #[doc(hidden)]
    MySql(sqlx::mysql::MySqlArguments),
}

/// One row of a result, borrowed.
#[doc(hidden)]
pub enum RowRef<'r> {
    #[cfg(feature = "sqlite")]
    #[doc(hidden)]
    Sqlite(&'r sqlx::sqlite::SqliteRow),
    #[cfg(feature = "postgres")]
    #[doc(hidden)]
    Postgres(&'r sqlx::postgres::PgRow),
    #[cfg(feature = "mysql")]
    #[doc(hidden)]
    MySql(&'r sqlx::mysql::MySqlRow),
}

impl RowRef<'_> {
    /// Whether column `idx` holds NULL.
    #[inline]
    pub fn is_null(&self, idx: usize) -> Result<bool> {
        use sqlx::{Row, ValueRef};
        Ok(match self {
            #[cfg(feature = "sqlite")]
            RowRef::Sqlite(r) => r.try_get_raw(idx)?.is_null(),
            #[cfg(feature = "postgres")]
            RowRef::Postgres(r) => r.try_get_raw(idx)?.is_null(),
            #[cfg(feature = "mysql")]
            RowRef::MySql(r) => r.try_get_raw(idx)?.is_null(),
        })
    }

    /// How many columns the row has.
    pub fn len(&self) -> usize {
        use sqlx::Row;
        match self {
            #[cfg(feature = "sqlite")]
            RowRef::Sqlite(r) => r.len(),
            #[cfg(feature = "postgres")]
            RowRef::Postgres(r) => r.len(),
            #[cfg(feature = "mysql")]
            RowRef::MySql(r) => r.len(),
        }
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of column `idx`, for error messages.
    pub(crate) fn column_name(&self, idx: usize) -> String {
        use sqlx::{Column, Row};
        let name = match self {
            #[cfg(feature = "sqlite")]
            RowRef::Sqlite(r) => r.columns().get(idx).map(|c| c.name().to_owned()),
            #[cfg(feature = "postgres")]
            RowRef::Postgres(r) => r.columns().get(idx).map(|c| c.name().to_owned()),
            #[cfg(feature = "mysql")]
            RowRef::MySql(r) => r.columns().get(idx).map(|c| c.name().to_owned()),
        };
        name.unwrap_or_else(|| format!("#{idx}"))
    }
}

impl Args {
    /// Empty arguments for `backend`.
    pub(crate) fn new(backend: Backend) -> Args {
        match backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => Args::Sqlite(Default::default()),
            #[cfg(feature = "postgres")]
            Backend::Postgres => Args::Postgres(Default::default()),
            #[cfg(feature = "mysql")]
            Backend::MySql => Args::MySql(Default::default()),
            #[allow(unreachable_patterns)]
            _ => unreachable!("a Db of a backend that is not compiled in cannot exist"),
        }
    }

    /// Empty arguments for `backend` with room for `n` values.
    pub(crate) fn with_capacity(backend: Backend, n: usize) -> Args {
        use sqlx::Arguments;
        let mut a = Args::new(backend);
        match &mut a {
            #[cfg(feature = "sqlite")]
            Args::Sqlite(x) => x.reserve(n, 0),
            // PostgreSQL also sizes its byte buffer: 4 bytes of length plus ~8 of data a value.
            #[cfg(feature = "postgres")]
            Args::Postgres(x) => x.reserve(n, n * 12),
            #[cfg(feature = "mysql")]
            Args::MySql(x) => x.reserve(n, n * 8),
        }
        a
    }

    /// How many values are bound.
    pub(crate) fn count(&self) -> usize {
        use sqlx::Arguments;
        match self {
            #[cfg(feature = "sqlite")]
            Args::Sqlite(a) => a.len(),
            #[cfg(feature = "postgres")]
            Args::Postgres(a) => a.len(),
            #[cfg(feature = "mysql")]
            Args::MySql(a) => a.len(),
        }
    }

    /// The backend these arguments are for.
    pub(crate) fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "sqlite")]
            Args::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            Args::Postgres(_) => Backend::Postgres,
            #[cfg(feature = "mysql")]
            Args::MySql(_) => Backend::MySql,
        }
    }

    /// Binds a typed NULL.
    pub fn push_null(&mut self, kind: SqlKind) -> Result<()> {
        self.push_value(Value::Null(kind))
    }
}

/// Adds one value to sqlx arguments, mapping the encoder's error. Inlined into each type's
/// bind: a call a value was ~10% of a multi-row INSERT's client instructions on MariaDB.
#[inline]
pub(super) fn add<'t, A, T>(args: &mut A, v: T) -> Result<()>
where
    A: sqlx::Arguments,
    T: sqlx::Encode<'t, A::Database> + sqlx::Type<A::Database>,
{
    args.add(v).map_err(encode_error)
}

/// The error of [`add`], out of line (binding is on every statement's hot path).
#[cold]
#[inline(never)]
fn encode_error(e: sqlx::error::BoxDynError) -> Error {
    Error::InvalidValue(e.to_string())
}

/// Runs `$body` with `$e` bound to the sqlx connection and `$a` to the arguments of the same
/// backend, and `$row` to the `RowRef` constructor of that backend, on a connection of the
/// executor:
/// * `&Db`: a connection leased from the hot pool, parked again when the statement ran to
///   completion, returned to sqlx after an error, and closed when the statement's future was
///   dropped mid-flight or its connection failed. A failed connection makes the error
///   [`Error::OutcomeUnknown`]: the statement may have been applied.
/// * `&mut Tx`: the transaction's connection, whose state is tracked ([`TxState`]): a
///   statement dropped mid-flight leaves the transaction `Broken` (it can only be rolled back,
///   and its connection is never reused).
///
/// `DbOptions::statement_timeout` bounds the statement in both cases.
macro_rules! dispatch {
    // With the SQL text (`&str`): in the statement's span with the `tracing` feature (backend/trace.rs).
    (traced $exec:ident, $sql:expr, $args:expr, |$e:ident, $a:ident, $row:ident| $body:expr) => {{
        let args = $args;
        // Statements with large packets run on the hot pool's bulk lane (backend/hot.rs).
        let lane = super::hot::Lane::of($exec.backend(), $sql.len(), args.count());
        #[cfg(feature = "tracing")]
        let result = {
            let statement = super::trace::Statement::start(&$exec, $sql);
            // Pinned where it is built: moved by value into the span's `Instrumented` wrapper,
            // the statement's future (the largest of the backends' arms) was copied on every
            // statement: ~50,000 instructions of memcpy a point query under callgrind, 2.6x raw
            // sqlx's count (docs/performance.md).
            let fut = std::pin::pin!(async { dispatch!($exec, args, lane, |$e, $a, $row| $body) });
            statement.run_pinned(fut).await
        };
        #[cfg(not(feature = "tracing"))]
        let result = dispatch!($exec, args, lane, |$e, $a, $row| $body);
        result
    }};
    ($exec:expr, $args:expr, $lane:expr, |$e:ident, $a:ident, $row:ident| $body:expr) => {
        match ($exec, $args) {
            #[cfg(feature = "sqlite")]
            (Exec::Db(d), Args::Sqlite($a)) => match d.pool.sqlite() {
                Some(p) => {
                    let $row = row_sqlite;
                    dispatch!(@db d, p, $lane, |$e| $body)
                }
                None => Err(mismatch()),
            },
            #[cfg(feature = "postgres")]
            (Exec::Db(d), Args::Postgres($a)) => match d.pool.postgres() {
                Some(p) => {
                    let $row = row_postgres;
                    dispatch!(@db d, p, $lane, |$e| $body)
                }
                None => Err(mismatch()),
            },
            #[cfg(feature = "mysql")]
            (Exec::Db(d), Args::MySql($a)) => match d.pool.mysql() {
                Some(p) => {
                    let $row = row_mysql;
                    dispatch!(@db d, p, $lane, |$e| $body)
                }
                None => Err(mismatch()),
            },
            (Exec::Tx(t), args) => {
                let TxInner { conn, state, db, backend, deadline, bulky, .. } = t;
                // Its connection goes to the bulk lane when the transaction ends.
                *bulky |= $lane == super::hot::Lane::Bulk;
                match (conn, args) {
                    #[cfg(feature = "sqlite")]
                    (Some(TxConn::Sqlite(c)), Args::Sqlite($a)) => {
                        let $row = row_sqlite;
                        dispatch!(@tx state, deadline, *backend, db, c, |$e| $body)
                    }
                    #[cfg(feature = "postgres")]
                    (Some(TxConn::Postgres(c)), Args::Postgres($a)) => {
                        let $row = row_postgres;
                        dispatch!(@tx state, deadline, *backend, db, c, |$e| $body)
                    }
                    #[cfg(feature = "mysql")]
                    (Some(TxConn::MySql(c)), Args::MySql($a)) => {
                        let $row = row_mysql;
                        dispatch!(@tx state, deadline, *backend, db, c, |$e| $body)
                    }
                    (None, _) => Err(TxState::Ended.unusable()),
                    #[allow(unreachable_patterns)]
                    _ => Err(mismatch()),
                }
            }
            #[allow(unreachable_patterns)]
            _ => Err(mismatch()),
        }
    };
    (@db $d:ident, $p:ident, $lane:expr, |$e:ident| $body:expr) => {{
        let mut lease = $p.acquire_in($lane).await?;
        let pooler = $d.pooler;
        let result = with_timeout($d.statement_timeout, "statement", async {
            let conn = lease.conn();
            if pooler {
                control!(&mut *conn, "BEGIN")?;
            }
            let result = {
                let $e = &mut *conn;
                async { $body }.await
            };
            if pooler {
                control!(&mut *conn, if result.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
            }
            result
        })
        .await;
        match &result {
            Ok(_) => lease.keep(),
            // The lease drops in flight: the connection is closed.
            Err(e) if e.is_connection_failure() => {}
            Err(_) => lease.release(),
        }
        result.map_err(Error::outcome_unknown_if_lost)
    }};
    (@tx $state:ident, $deadline:ident, $backend:expr, $db:ident, $c:ident, |$e:ident| $body:expr) => {{
        // Two plain matches: through `and_then` and a closure this cost ~110 instructions a
        // statement (callgrind).
        match $state.before_statement($backend) {
            Err(e) => Err(e),
            Ok(prev) => match statement_limit($db.statement_timeout, *$deadline) {
                Err(e) => Err(e),
                Ok((limit, what)) => {
                    // Until the statement is known to have finished: dropped here, the
                    // transaction stays Broken.
                    *$state = TxState::Broken;
                    let result = with_timeout(limit, what, async {
                        let $e = &mut **$c;
                        $body
                    })
                    .await;
                    *$state = prev.after_statement($backend, &result);
                    result
                }
            },
        }
    }};
}

#[cfg(feature = "sqlite")]
fn row_sqlite(r: &sqlx::sqlite::SqliteRow) -> RowRef<'_> {
    RowRef::Sqlite(r)
}

#[cfg(feature = "postgres")]
fn row_postgres(r: &sqlx::postgres::PgRow) -> RowRef<'_> {
    RowRef::Postgres(r)
}

#[cfg(feature = "mysql")]
fn row_mysql(r: &sqlx::mysql::MySqlRow) -> RowRef<'_> {
    RowRef::MySql(r)
}

thread_local! {
    /// The columns (bit `i`: column `i`, for the first 64) of the result set being mapped whose
    /// type an earlier row of it already checked against the field reading it: on PostgreSQL and
    /// MySQL every row of a result set has the same column types (and on SQLite, tables with a type
    /// affinity hold values of that type), so later rows skip sqlx's type check (which costs more
    /// than decoding most values). Set only around the synchronous mapping
    /// of one row ([`MapRow`]): each result set keeps its own set between rows, across awaits.
    pub(super) static CHECKED_COLUMNS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Maps one row with the result set's checked columns in [`CHECKED_COLUMNS`], and stores what
/// the mapping checked back into the result set's own set (also when the mapping panics).
struct MapRow<'a>(&'a mut u64);

impl<'a> MapRow<'a> {
    fn new(checked: &'a mut u64) -> Self {
        CHECKED_COLUMNS.set(*checked);
        MapRow(checked)
    }

    fn run<T>(self, f: impl FnOnce() -> T) -> T {
        f()
    }
}

impl Drop for MapRow<'_> {
    fn drop(&mut self) {
        *self.0 = CHECKED_COLUMNS.replace(0);
    }
}

/// What an executed statement reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueryOutcome {
    pub(crate) rows_affected: u64,
    /// The generated key of the last inserted row (SQLite rowid, MySQL LAST_INSERT_ID of this
    /// very statement on this very connection).
    pub(crate) last_insert_id: Option<i64>,
}

trait Outcome {
    fn outcome(&self) -> QueryOutcome;
}
#[cfg(feature = "sqlite")]
impl Outcome for sqlx::sqlite::SqliteQueryResult {
    fn outcome(&self) -> QueryOutcome {
        QueryOutcome { rows_affected: self.rows_affected(), last_insert_id: Some(self.last_insert_rowid()) }
    }
}
#[cfg(feature = "postgres")]
impl Outcome for sqlx::postgres::PgQueryResult {
    fn outcome(&self) -> QueryOutcome {
        QueryOutcome { rows_affected: self.rows_affected(), last_insert_id: None }
    }
}
#[cfg(feature = "mysql")]
impl Outcome for sqlx::mysql::MySqlQueryResult {
    fn outcome(&self) -> QueryOutcome {
        QueryOutcome { rows_affected: self.rows_affected(), last_insert_id: i64::try_from(self.last_insert_id()).ok() }
    }
}

/// Runs a statement that returns no rows.
pub(crate) async fn execute(exec: Exec<'_>, sql: SqlText, args: Args) -> Result<QueryOutcome> {
    execute_with(exec, sql, args, true).await
}

/// [`execute`], choosing whether the prepared statement is kept in the connection's statement
/// cache (`persistent`) or prepared for this one execution (for one-off statements, such as the
/// last partial chunk of a multi-row INSERT, that would only crowd the cache).
pub(crate) async fn execute_with(exec: Exec<'_>, sql: SqlText, args: Args, persistent: bool) -> Result<QueryOutcome> {
    exec.count();
    let persistent = persistent && exec.caches_statements();
    let sql = sql.into_sqlx();
    dispatch!(traced exec, sql.as_str(), args, |e, a, _row| {
        let r = sqlx::query_with(sql, a).persistent(persistent).execute(e).await?;
        Ok(r.outcome())
    })
}

/// Runs a query and maps every row with `f`.
pub(crate) async fn fetch_all<T, F>(exec: Exec<'_>, sql: SqlText, args: Args, f: F) -> Result<Vec<T>>
where
    F: FnMut(&RowRef<'_>) -> Result<T> + Send,
    T: Send,
{
    fetch_all_with(exec, sql, args, true, f).await
}

/// [`fetch_all`], choosing whether the statement is cached (see [`execute_with`]). Rows are
/// mapped as they arrive, so no intermediate `Vec` of driver rows is built, except where the
/// backend's driver is faster collecting first ([`Backend::collects_rows_first`]).
pub(crate) async fn fetch_all_with<T, F>(
    exec: Exec<'_>,
    sql: SqlText,
    args: Args,
    persistent: bool,
    mut f: F,
) -> Result<Vec<T>>
where
    F: FnMut(&RowRef<'_>) -> Result<T> + Send,
    T: Send,
{
    use futures_util::TryStreamExt;
    exec.count();
    let backend = exec.backend();
    let persistent = persistent && exec.caches_statements();
    let sql = sql.into_sqlx();
    dispatch!(traced exec, sql.as_str(), args, |e, a, row| {
        let query = sqlx::query_with(sql, a).persistent(persistent);
        let mut checked = 0;
        if backend.collects_rows_first() {
            let rows = query.fetch_all(e).await?;
            let mut out = Vec::with_capacity(rows.len());
            // Each driver row is freed as soon as it is mapped, not all of them at the end
            // (SQLite: 240.8M -> 233.8M instructions for 20 selects of 1,000 rows, less malloc work).
            for r in rows {
                out.push(MapRow::new(&mut checked).run(|| f(&row(&r)))?);
            }
            return Ok(out);
        }
        let mut s = query.fetch(e);
        let mut out = Vec::new();
        while let Some(r) = s.try_next().await? {
            match MapRow::new(&mut checked).run(|| f(&row(&r))) {
                Ok(x) => out.push(x),
                Err(err) => {
                    // Read the rest of the result, so the connection is ready for the next statement.
                    while s.try_next().await?.is_some() {}
                    return Err(err);
                }
            }
        }
        Ok(out)
    })
}

/// Runs a query and maps its first row, if any, with `f`.
pub(crate) async fn fetch_optional<T, F>(exec: Exec<'_>, sql: SqlText, args: Args, f: F) -> Result<Option<T>>
where
    F: FnOnce(&RowRef<'_>) -> Result<T> + Send,
    T: Send,
{
    exec.count();
    let persistent = exec.caches_statements();
    let sql = sql.into_sqlx();
    dispatch!(traced exec, sql.as_str(), args, |e, a, row| {
        match sqlx::query_with(sql, a).persistent(persistent).fetch_optional(e).await? {
            Some(r) => MapRow::new(&mut 0).run(|| f(&row(&r))).map(Some),
            None => Ok(None),
        }
    })
}

/// Runs a query and feeds its rows to `f` as they arrive, without collecting them.
pub(crate) async fn for_each<F>(exec: Exec<'_>, sql: SqlText, args: Args, mut f: F) -> Result<()>
where
    F: FnMut(&RowRef<'_>) -> Result<()> + Send,
{
    use futures_util::TryStreamExt;
    exec.count();
    let persistent = exec.caches_statements();
    let sql = sql.into_sqlx();
    dispatch!(traced exec, sql.as_str(), args, |e, a, row| {
        let mut s = sqlx::query_with(sql, a).persistent(persistent).fetch(e);
        let mut checked = 0;
        while let Some(r) = s.try_next().await? {
            if let Err(err) = MapRow::new(&mut checked).run(|| f(&row(&r))) {
                while s.try_next().await?.is_some() {}
                return Err(err);
            }
        }
        Ok(())
    })
}

/// Runs a script of several `;`-separated statements as one unprepared batch, without
/// parameters (`sqlx::raw_sql`). Counts as one statement. Only for trusted text: see
/// [`crate::Db::execute_script`].
pub(crate) async fn execute_script(exec: Exec<'_>, sql: String) -> Result<()> {
    exec.count();
    let backend = exec.backend();
    let script = SqlText::Owned(sql).into_sqlx();
    // The arguments only pick the backend's arm: a script has none.
    dispatch!(traced exec, script.as_str(), Args::new(backend), |e, _a, _row| {
        sqlx::raw_sql(script).execute(e).await?;
        Ok(())
    })
}

/// Runs a query and maps its rows with `f` as the returned stream is polled; the stream borrows
/// the executor (a pool or a transaction's connection) for its whole life.
///
/// On `&Db` the stream leases its own connection, parked again when the stream has been read to
/// its end, and closed when it is dropped before (the rest of the result would still be on
/// its way). On `&mut Tx`, a stream dropped before its end leaves the transaction `Broken`.
pub(crate) fn fetch_stream<'e, T, F>(
    exec: Exec<'e>,
    sql: SqlText,
    args: Args,
    f: F,
) -> futures_util::stream::BoxStream<'e, Result<T>>
where
    F: FnMut(&RowRef<'_>) -> Result<T> + Send + 'e,
    T: Send + 'e,
{
    exec.count();
    let persistent = exec.caches_statements();
    let sql = sql.into_sqlx();
    let lane = hot::Lane::of(exec.backend(), sql.as_str().len(), args.count());
    #[cfg(feature = "tracing")]
    let statement = super::trace::Statement::start(&exec, sql.as_str());
    // A stream on a leased connection of the hot pool.
    macro_rules! db_stream {
        ($d:ident, $p:ident, $a:ident, $row:ident) => {
            Box::pin(async_stream::stream! {
                use futures_util::StreamExt;
                let mut f = f;
                let mut lease = match $p.acquire_in(lane).await {
                    Ok(l) => l,
                    Err(e) => {
                        yield Err(Error::from(e));
                        return;
                    }
                };
                let pooler = $d.pooler;
                let (conn, state) = lease.split();
                if pooler && let Err(e) = control!(&mut *conn, "BEGIN") {
                    yield Err(e);
                    return;
                }
                // The stream's own set of type-checked columns, kept across its awaits (see `MapRow`).
                let mut checked = 0u64;
                let mut first = true;
                let mut failed = false;
                let mut rows = sqlx::query_with(sql, $a).persistent(persistent).fetch(&mut *conn);
                loop {
                    // `statement_timeout` bounds each wait for the server's next row (not the
                    // time the caller takes between rows); cut short, the connection is closed.
                    let next = match $d.statement_timeout {
                        None => rows.next().await,
                        Some(after) => match tokio::time::timeout(after, rows.next()).await {
                            Ok(next) => next,
                            Err(_) => {
                                drop(rows);
                                *state = hot::LeaseState::InFlight;
                                yield Err(Error::Timeout { what: "statement", after });
                                return;
                            }
                        },
                    };
                    let Some(r) = next else { break };
                    match r {
                        Ok(r) => {
                            if first && !pooler {
                                // The statement was prepared and runs: dropped from here on, the
                                // stream leaves a connection that sqlx's ping drains (the rest
                                // of the result), not one whose state is unknown.
                                *state = hot::LeaseState::Returned;
                                first = false;
                            }
                            yield MapRow::new(&mut checked).run(|| f(&$row(&r)))
                        }
                        Err(e) => {
                            let e = Error::from(e).outcome_unknown_if_lost();
                            failed = true;
                            if pooler || e.is_connection_failure() {
                                // Closed: left in flight.
                                *state = hot::LeaseState::InFlight;
                                yield Err(e);
                                return;
                            }
                            yield Err(e);
                            break;
                        }
                    }
                }
                drop(rows);
                if pooler && let Err(e) = control!(&mut *conn, "COMMIT") {
                    yield Err(e);
                    return;
                }
                if failed {
                    lease.release();
                } else {
                    lease.keep();
                }
            })
        };
    }
    // A stream on a transaction's connection.
    macro_rules! tx_stream {
        ($state:ident, $backend:ident, $limits:ident, $c:ident, $a:ident, $row:ident) => {
            Box::pin(async_stream::stream! {
                use futures_util::StreamExt;
                let mut f = f;
                let prev = match $state.before_statement($backend) {
                    Ok(p) => p,
                    Err(e) => {
                        yield Err(e);
                        return;
                    }
                };
                *$state = TxState::Broken;
                let mut checked = 0u64;
                let mut first = true;
                let mut rows = sqlx::query_with(sql, $a).persistent(persistent).fetch(&mut **$c);
                let mut outcome: Result<()> = Ok(());
                loop {
                    // Each wait for the next row is bounded by `statement_timeout` and by what
                    // is left of `transaction_timeout`; cut short, the transaction is Broken.
                    let next = match statement_limit($limits.0, $limits.1) {
                        Ok((None, _)) => rows.next().await,
                        Ok((Some(after), what)) => match tokio::time::timeout(after, rows.next()).await {
                            Ok(next) => next,
                            Err(_) => {
                                drop(rows);
                                *$state = TxState::Broken;
                                yield Err(Error::Timeout { what, after });
                                return;
                            }
                        },
                        Err(e) => {
                            drop(rows);
                            *$state = TxState::Broken;
                            yield Err(e);
                            return;
                        }
                    };
                    let Some(r) = next else { break };
                    match r {
                        Ok(r) => {
                            if first {
                                // Prepared and running: a stream dropped from here on leaves
                                // the rest of its result, which sqlx reads and discards before
                                // the transaction's next statement.
                                *$state = prev;
                                first = false;
                            }
                            yield MapRow::new(&mut checked).run(|| f(&$row(&r)))
                        }
                        Err(e) => {
                            outcome = Err(Error::from(e));
                            break;
                        }
                    }
                }
                drop(rows);
                *$state = prev.after_statement($backend, &outcome);
                if let Err(e) = outcome {
                    yield Err(e);
                }
            })
        };
    }
    let failed = |e: Error| -> futures_util::stream::BoxStream<'e, Result<T>> {
        Box::pin(futures_util::stream::once(async move { Err(e) }))
    };
    let stream: futures_util::stream::BoxStream<'e, Result<T>> = match (exec, args) {
        #[cfg(feature = "sqlite")]
        (Exec::Db(d), Args::Sqlite(a)) => match d.pool.sqlite() {
            Some(p) => db_stream!(d, p, a, row_sqlite),
            None => failed(mismatch()),
        },
        #[cfg(feature = "postgres")]
        (Exec::Db(d), Args::Postgres(a)) => match d.pool.postgres() {
            Some(p) => db_stream!(d, p, a, row_postgres),
            None => failed(mismatch()),
        },
        #[cfg(feature = "mysql")]
        (Exec::Db(d), Args::MySql(a)) => match d.pool.mysql() {
            Some(p) => db_stream!(d, p, a, row_mysql),
            None => failed(mismatch()),
        },
        (Exec::Tx(t), args) => {
            let TxInner { conn, state, backend, db, deadline, bulky, .. } = t;
            *bulky |= lane == hot::Lane::Bulk;
            let backend = *backend;
            let limits = (db.statement_timeout, *deadline);
            match (conn, args) {
                #[cfg(feature = "sqlite")]
                (Some(TxConn::Sqlite(c)), Args::Sqlite(a)) => tx_stream!(state, backend, limits, c, a, row_sqlite),
                #[cfg(feature = "postgres")]
                (Some(TxConn::Postgres(c)), Args::Postgres(a)) => {
                    tx_stream!(state, backend, limits, c, a, row_postgres)
                }
                #[cfg(feature = "mysql")]
                (Some(TxConn::MySql(c)), Args::MySql(a)) => tx_stream!(state, backend, limits, c, a, row_mysql),
                (None, _) => failed(TxState::Ended.unusable()),
                #[allow(unreachable_patterns)]
                _ => failed(mismatch()),
            }
        }
        #[allow(unreachable_patterns)]
        _ => failed(mismatch()),
    };
    #[cfg(feature = "tracing")]
    let stream = statement.stream(stream);
    stream
}

/// Redacts the password of a URL for error messages.
fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((auth, host)) = rest.rsplit_once('@')
        && let Some((user, _pw)) = auth.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_owned()
}

fn invalid_url(url: &str, reason: impl Into<String>) -> Error {
    Error::InvalidUrl { url: redact(url), reason: reason.into() }
}

/// Picks the backend from the URL's scheme.
pub(crate) fn backend_of(url: &str) -> Result<Backend> {
    let scheme = url.split_once(':').map(|(s, _)| s).ok_or_else(|| {
        invalid_url(url, "no scheme; expected sqlite:, postgres://, postgresql://, mysql:// or mariadb://")
    })?;
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => Ok(Backend::Sqlite),
        "postgres" | "postgresql" => Ok(Backend::Postgres),
        "mysql" | "mariadb" => Ok(Backend::MySql),
        other => Err(invalid_url(
            url,
            format!("unknown scheme `{other}`; expected sqlite, postgres, postgresql, mysql or mariadb"),
        )),
    }
}

fn connect_error(backend: Backend, e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::Configuration(_) => Error::Connect { backend: backend.name(), source: e },
        e => Error::Connect { backend: backend.name(), source: e },
    }
}

/// Opens a pool for `url`.
pub(crate) async fn connect(url: &str, opts: &DbOptions) -> Result<DbInner> {
    let backend = backend_of(url)?;
    // The scheme is case-insensitive, but sqlx's SQLite parser would take "SQLite::memory:" for
    // a file name: hand sqlx a lower-case scheme.
    let lowered;
    let url = match url.split_once(':') {
        Some((scheme, rest)) if scheme.bytes().any(|b| b.is_ascii_uppercase()) => {
            lowered = format!("{}:{rest}", scheme.to_ascii_lowercase());
            lowered.as_str()
        }
        _ => url,
    };
    let statements = Arc::new(AtomicU64::new(0));
    if backend != Backend::Sqlite && !url.split_once(':').is_some_and(|(_, rest)| rest.starts_with("//")) {
        return Err(invalid_url(
            url,
            format!("expected {}://[user[:password]@]host[:port]/database", backend.url_scheme()),
        ));
    }
    let (url, pooler_param) = take_pgbouncer_param(url).map_err(|reason| invalid_url(url, reason))?;
    let url = url.as_str();
    let pooler = opts.pgbouncer || pooler_param;
    if pooler && backend != Backend::Postgres {
        return Err(invalid_url(url, "pgbouncer mode is for PostgreSQL URLs"));
    }
    let pool = match backend {
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => {
            use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
            // `mariadb:` is our alias; sqlx's parser knows only its own schemes.
            let co = SqliteConnectOptions::from_str(url).map_err(|e| invalid_url(url, e.to_string()))?;
            let memory = is_sqlite_memory(url);
            let co = co
                .create_if_missing(true)
                .foreign_keys(true)
                .busy_timeout(opts.sqlite_busy_timeout)
                .statement_cache_capacity(opts.statement_cache_capacity)
                // LIKE is case-sensitive, as on PostgreSQL and on our utf8mb4_bin MySQL tables.
                .pragma("case_sensitive_like", "ON");
            #[cfg(feature = "decimal")]
            let co = co.collation("orm_decimal", super::types::compare_decimal_text);
            let co = if memory {
                co
            } else {
                co.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal)
            };
            // Every connection gets the SQL functions of `sqlite_fns` (Unicode-aware lower()); an
            // in-process connection cannot have been dropped: never ping it.
            let po = SqlitePoolOptions::new()
                .acquire_timeout(opts.acquire_timeout)
                .test_before_acquire(false)
                .after_connect(|conn, _| Box::pin(super::sqlite_fns::register(conn)));
            // One in-memory database lives as long as one connection to it: keep exactly one,
            // forever, so every user of the Db sees the same database.
            let po = if memory {
                po.max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None)
            } else {
                po.max_connections(opts.max_connections)
            };
            let pool = po.connect_with(co).await.map_err(|e| connect_error(backend, e))?;
            Pool::Sqlite(HotPool::new(pool, true, backend.closes_cancelled_connections()))
        }
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
            let co = PgConnectOptions::from_str(url).map_err(|e| invalid_url(url, e.to_string()))?;
            let co = if pooler {
                // PgBouncer refuses startup parameters it does not track, and a cached statement
                // would live on one server connection while later executions reach another.
                co.extra_float_digits(None).statement_cache_capacity(0)
            } else {
                co.statement_cache_capacity(opts.statement_cache_capacity)
            };
            first_connection(backend, &co, opts.acquire_timeout).await?;
            let port = co.get_port();
            let po = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .test_before_acquire(opts.test_before_acquire)
                .after_connect(move |_, _| {
                    super::nodelay::set_on_sockets_to(port);
                    Box::pin(async { Ok(()) })
                });
            Pool::Postgres(HotPool::new(
                po.connect_lazy_with(co),
                !opts.test_before_acquire,
                backend.closes_cancelled_connections(),
            ))
        }
        #[cfg(feature = "mysql")]
        Backend::MySql => {
            use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
            let u = if url.len() >= 8 && url[..8].eq_ignore_ascii_case("mariadb:") {
                format!("mysql:{}", &url[8..])
            } else {
                url.to_owned()
            };
            let co = MySqlConnectOptions::from_str(&u)
                .map_err(|e| invalid_url(url, e.to_string()))?
                .charset("utf8mb4")
                .statement_cache_capacity(opts.statement_cache_capacity);
            first_connection(backend, &co, opts.acquire_timeout).await?;
            let port = co.get_port();
            let po = MySqlPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .test_before_acquire(opts.test_before_acquire)
                .after_connect(move |conn, _| {
                    super::nodelay::set_on_sockets_to(port);
                    Box::pin(async move {
                        // Strict: too-long text and out-of-range numbers are errors, never silently
                        // truncated or clamped, whatever the server's default sql_mode.
                        sqlx::raw_sql(super::dialect::MYSQL_STRICT_MODE_SQL).execute(conn).await.map(|_| ())
                    })
                });
            Pool::MySql(HotPool::new(
                po.connect_lazy_with(co),
                !opts.test_before_acquire,
                backend.closes_cancelled_connections(),
            ))
        }
        #[allow(unreachable_patterns)]
        other => {
            return Err(Error::Unsupported(format!(
                "{} support is not compiled in; enable orm-core's `{}` feature",
                other.name(),
                match other {
                    Backend::Sqlite => "sqlite",
                    Backend::Postgres => "postgres",
                    Backend::MySql => "mysql",
                }
            )));
        }
    };
    Ok(DbInner {
        pool,
        backend,
        statements,
        pooler,
        statement_timeout: opts.statement_timeout,
        transaction_timeout: opts.transaction_timeout,
        close_timeout: opts.close_timeout,
        transaction_retries: opts.transaction_retries,
        slow_statement_threshold: opts.slow_statement_threshold,
    })
}

/// Opens and closes one connection, so that a server that cannot be reached fails `connect` at
/// once with the cause (connection refused, unknown host, bad password) rather than after the
/// pool's acquire timeout as "pool timed out".
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn first_connection<O: sqlx::ConnectOptions>(backend: Backend, co: &O, limit: Duration) -> Result<()>
where
    O::Connection: Sized,
{
    use sqlx::Connection;
    match tokio::time::timeout(limit, co.connect()).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(connect_error(backend, e)),
        Err(_) => Err(connect_error(backend, sqlx::Error::PoolTimedOut)),
    }
}

/// Takes `pgbouncer=true|false` out of a URL's query string (sqlx would reject it).
fn take_pgbouncer_param(url: &str) -> std::result::Result<(String, bool), String> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_owned(), false)) };
    let mut on = false;
    let mut rest = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("pgbouncer", v)) => {
                on = match v {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(format!("pgbouncer={v}: expected true or false")),
                }
            }
            _ => rest.push(pair),
        }
    }
    let url = if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
    Ok((url, on))
}

#[cfg(feature = "sqlite")]
fn is_sqlite_memory(url: &str) -> bool {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.starts_with(":memory:") || rest.contains("mode=memory")
}

impl DbInner {
    /// Closes the pool (parked connections first: sqlx waits for every connection to return),
    /// waiting at most [`DbOptions::close_timeout`] for connections still in use.
    pub(crate) async fn close(&self) {
        macro_rules! close {
            ($p:ident) => {{
                $p.drain();
                let _ = tokio::time::timeout(self.close_timeout, $p.pool.close()).await;
            }};
        }
        match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => close!(p),
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => close!(p),
            #[cfg(feature = "mysql")]
            Pool::MySql(p) => close!(p),
        }
    }
}
