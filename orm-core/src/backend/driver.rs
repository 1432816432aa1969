//! sqlx pools, transactions, arguments and rows of each backend, behind one set of enums.
//!
//! This is the one audited place where SQL text is handed to sqlx (`AssertSqlSafe`): every
//! statement passing through here was rendered by this crate from identifiers it quotes and
//! placeholders; user values travel only as bound [`Args`].

use super::Backend;
use super::hot::HotPool;
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
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// Most connections the pool opens (default 10; 1 for `sqlite::memory:`).
    pub max_connections: u32,
    /// How long to wait for a connection, including the first connect (default 10 s).
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
    /// TEMP stub (issue 8): PgBouncer transaction-pooling mode.
    pub pgbouncer: bool,
    /// TEMP stub (issue 8): statement timeout.
    pub statement_timeout: Option<Duration>,
    /// TEMP stub (issue 8): longest wait of `Db::close`.
    pub close_timeout: Duration,
    /// TEMP stub (issue 8): retries of `Db::transaction`.
    pub transaction_retries: u32,
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
            close_timeout: Duration::from_secs(5),
            transaction_retries: 3,
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
}

enum TxConn {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    #[cfg(feature = "mysql")]
    MySql(sqlx::Transaction<'static, sqlx::MySql>),
}

/// What a `Tx` holds.
pub(crate) struct TxInner {
    conn: TxConn,
    pub(crate) backend: Backend,
    statements: Arc<AtomicU64>,
}

/// Where a statement runs.
pub(crate) enum Exec<'a> {
    Db(&'a DbInner),
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
    fn count(&self) {
        let c = match self {
            Exec::Db(d) => &d.statements,
            Exec::Tx(t) => &t.statements,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

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

/// Adds one value to sqlx arguments, mapping the encoder's error.
pub(super) fn add<'t, A, T>(args: &mut A, v: T) -> Result<()>
where
    A: sqlx::Arguments,
    T: sqlx::Encode<'t, A::Database> + sqlx::Type<A::Database>,
{
    args.add(v).map_err(|e| Error::InvalidValue(e.to_string()))
}

/// Runs `$body` with `$e` bound to the sqlx executor and `$a` to the arguments of the same
/// backend, and `$row` to the `RowRef` constructor of that backend.
macro_rules! dispatch {
    (acquire; $exec:expr, $args:expr, |$e:ident, $a:ident, $row:ident| $body:expr) => {
        dispatch!(@arms [acquire] $exec, $args, |$e, $a, $row| $body)
    };
    (stream; $exec:expr, $args:expr, |$e:ident, $a:ident, $row:ident| $body:expr) => {
        dispatch!(@arms [] $exec, $args, |$e, $a, $row| $body)
    };
    // A connection from the hot pool, parked again when the statement ran to completion.
    (@pool [acquire] $p:ident, |$e:ident| $body:expr) => {{
        let mut lease = $p.acquire().await?;
        let result = async {
            let $e = lease.conn();
            $body
        }
        .await;
        if result.is_ok() {
            lease.keep();
        }
        result
    }};
    // sqlx's pool itself, for a stream that owns its connection: parking is off meanwhile.
    (@pool [] $p:ident, |$e:ident| $body:expr) => {{
        let bypass = $p.bypass();
        let $e = &$p.pool;
        let result = $body;
        result.map(|s| s.map(move |x| { let _ = &bypass; x }).boxed())
    }};
    (@arms [$($mode:tt)*] $exec:expr, $args:expr, |$e:ident, $a:ident, $row:ident| $body:expr) => {
        match ($exec, $args) {
            #[cfg(feature = "sqlite")]
            (Exec::Db(DbInner { pool: Pool::Sqlite(p), .. }), Args::Sqlite($a)) => {
                let $row = row_sqlite;
                dispatch!(@pool [$($mode)*] p, |$e| $body)
            }
            #[cfg(feature = "sqlite")]
            (Exec::Tx(TxInner { conn: TxConn::Sqlite(t), .. }), Args::Sqlite($a)) => {
                let $e = &mut **t;
                let $row = row_sqlite;
                $body
            }
            #[cfg(feature = "postgres")]
            (Exec::Db(DbInner { pool: Pool::Postgres(p), .. }), Args::Postgres($a)) => {
                let $row = row_postgres;
                dispatch!(@pool [$($mode)*] p, |$e| $body)
            }
            #[cfg(feature = "postgres")]
            (Exec::Tx(TxInner { conn: TxConn::Postgres(t), .. }), Args::Postgres($a)) => {
                let $e = &mut **t;
                let $row = row_postgres;
                $body
            }
            #[cfg(feature = "mysql")]
            (Exec::Db(DbInner { pool: Pool::MySql(p), .. }), Args::MySql($a)) => {
                let $row = row_mysql;
                dispatch!(@pool [$($mode)*] p, |$e| $body)
            }
            #[cfg(feature = "mysql")]
            (Exec::Tx(TxInner { conn: TxConn::MySql(t), .. }), Args::MySql($a)) => {
                let $e = &mut **t;
                let $row = row_mysql;
                $body
            }
            #[allow(unreachable_patterns)]
            _ => Err(Error::Unsupported("arguments were built for another backend than the connection's".into())),
        }
    };
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
    let sql = sql.into_sqlx();
    dispatch!(acquire; exec, args, |e, a, _row| {
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
    let sql = sql.into_sqlx();
    dispatch!(acquire; exec, args, |e, a, row| {
        let query = sqlx::query_with(sql, a).persistent(persistent);
        let mut checked = 0;
        if backend.collects_rows_first() {
            let rows = query.fetch_all(e).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(MapRow::new(&mut checked).run(|| f(&row(r)))?);
            }
            return Ok(out);
        }
        let mut s = query.fetch(e);
        let mut out = Vec::new();
        while let Some(r) = s.try_next().await? {
            out.push(MapRow::new(&mut checked).run(|| f(&row(&r)))?);
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
    let sql = sql.into_sqlx();
    dispatch!(acquire; exec, args, |e, a, row| {
        match sqlx::query_with(sql, a).fetch_optional(e).await? {
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
    let sql = sql.into_sqlx();
    dispatch!(acquire; exec, args, |e, a, row| {
        let mut s = sqlx::query_with(sql, a).fetch(e);
        let mut checked = 0;
        while let Some(r) = s.try_next().await? {
            MapRow::new(&mut checked).run(|| f(&row(&r)))?;
        }
        Ok(())
    })
}

/// Runs a script of several `;`-separated statements as one unprepared batch, without
/// parameters (`sqlx::raw_sql`). Counts as one statement. Only for trusted text: see
/// [`crate::Db::execute_script`].
pub(crate) async fn execute_script(exec: Exec<'_>, sql: String) -> Result<()> {
    exec.count();
    let script = sqlx::raw_sql(SqlText::Owned(sql).into_sqlx());
    match exec {
        // A script may leave session state behind (SET ...): its connection goes back to sqlx.
        Exec::Db(d) => match &d.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => script.execute(p.acquire().await?.conn()).await.map(|_| ())?,
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => script.execute(p.acquire().await?.conn()).await.map(|_| ())?,
            #[cfg(feature = "mysql")]
            Pool::MySql(p) => script.execute(p.acquire().await?.conn()).await.map(|_| ())?,
        },
        Exec::Tx(t) => match &mut t.conn {
            #[cfg(feature = "sqlite")]
            TxConn::Sqlite(c) => script.execute(&mut **c).await.map(|_| ())?,
            #[cfg(feature = "postgres")]
            TxConn::Postgres(c) => script.execute(&mut **c).await.map(|_| ())?,
            #[cfg(feature = "mysql")]
            TxConn::MySql(c) => script.execute(&mut **c).await.map(|_| ())?,
        },
    }
    Ok(())
}

/// Runs a query and maps its rows with `f` as the returned stream is polled; the stream borrows
/// the executor (a pool or a transaction's connection) for its whole life.
pub(crate) fn fetch_stream<'e, T, F>(
    exec: Exec<'e>,
    sql: SqlText,
    args: Args,
    mut f: F,
) -> futures_util::stream::BoxStream<'e, Result<T>>
where
    F: FnMut(&RowRef<'_>) -> Result<T> + Send + 'e,
    T: Send + 'e,
{
    use futures_util::StreamExt;
    exec.count();
    let sql = sql.into_sqlx();
    let stream: Result<futures_util::stream::BoxStream<'e, Result<T>>> = dispatch!(stream; exec, args, |e, a, row| {
        // The stream's own set of type-checked columns, kept across its awaits (see `MapRow`).
        let mut checked = 0u64;
        Ok(sqlx::query_with(sql, a)
            .fetch(e)
            .map(move |r| r.map_err(Error::from).and_then(|r| MapRow::new(&mut checked).run(|| f(&row(&r)))))
            .boxed())
    });
    stream.unwrap_or_else(|e| futures_util::stream::once(async move { Err(e) }).boxed())
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
            Pool::Sqlite(HotPool::new(po.connect_with(co).await.map_err(|e| connect_error(backend, e))?, true))
        }
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
            let co = PgConnectOptions::from_str(url)
                .map_err(|e| invalid_url(url, e.to_string()))?
                .statement_cache_capacity(opts.statement_cache_capacity);
            let po = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .test_before_acquire(opts.test_before_acquire);
            Pool::Postgres(HotPool::new(
                po.connect_with(co).await.map_err(|e| connect_error(backend, e))?,
                !opts.test_before_acquire,
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
            let po = MySqlPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .test_before_acquire(opts.test_before_acquire);
            Pool::MySql(HotPool::new(
                po.connect_with(co).await.map_err(|e| connect_error(backend, e))?,
                !opts.test_before_acquire,
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
    Ok(DbInner { pool, backend, statements })
}

#[cfg(feature = "sqlite")]
fn is_sqlite_memory(url: &str) -> bool {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    rest.starts_with(":memory:") || rest.contains("mode=memory")
}

/// `BEGIN` (or `sql`) on a pooled connection taken from the hot pool; the transaction returns
/// it to sqlx when it ends.
async fn begin_on<DB: sqlx::Database>(
    conn: sqlx::pool::PoolConnection<DB>,
    sql: &'static str,
) -> Result<sqlx::Transaction<'static, DB>> {
    use sqlx::SqlSafeStr;
    // `Transaction::begin` is what `Pool::begin_with` runs on the connection it acquires.
    Ok(sqlx::Transaction::begin(conn, Some(sql.into_sql_str())).await?)
}

impl DbInner {
    /// Starts a transaction on a connection of the pool.
    pub(crate) async fn begin(&self) -> Result<TxInner> {
        let sql = self.backend.begin_sql();
        self.statements.fetch_add(1, Ordering::Relaxed);
        let conn = match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => TxConn::Sqlite(begin_on(p.acquire().await?.take(), sql).await?),
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => TxConn::Postgres(begin_on(p.acquire().await?.take(), sql).await?),
            #[cfg(feature = "mysql")]
            Pool::MySql(p) => TxConn::MySql(begin_on(p.acquire().await?.take(), sql).await?),
        };
        Ok(TxInner { conn, backend: self.backend, statements: self.statements.clone() })
    }

    /// Closes the pool (parked connections first: sqlx waits for every connection to return).
    pub(crate) async fn close(&self) {
        match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(p) => {
                p.drain();
                p.pool.close().await
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(p) => {
                p.drain();
                p.pool.close().await
            }
            #[cfg(feature = "mysql")]
            Pool::MySql(p) => {
                p.drain();
                p.pool.close().await
            }
        }
    }
}

impl TxInner {
    /// Commits.
    pub(crate) async fn commit(self) -> Result<()> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        match self.conn {
            #[cfg(feature = "sqlite")]
            TxConn::Sqlite(t) => t.commit().await?,
            #[cfg(feature = "postgres")]
            TxConn::Postgres(t) => t.commit().await?,
            #[cfg(feature = "mysql")]
            TxConn::MySql(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Rolls back.
    pub(crate) async fn rollback(self) -> Result<()> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        match self.conn {
            #[cfg(feature = "sqlite")]
            TxConn::Sqlite(t) => t.rollback().await?,
            #[cfg(feature = "postgres")]
            TxConn::Postgres(t) => t.rollback().await?,
            #[cfg(feature = "mysql")]
            TxConn::MySql(t) => t.rollback().await?,
        }
        Ok(())
    }
}
