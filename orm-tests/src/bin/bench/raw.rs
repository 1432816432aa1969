//! Raw sqlx, the floor: hand-written SQL, statements cached by sqlx, a pool configured as this
//! ORM configures its own, and rows read the four ways a careful sqlx user writes ([`Form`]):
//! each is a contender of its own on the workloads that read rows, and the tables compare
//! everyone with the best of them, workload by workload and backend by backend.

use crate::cg::Timer;
use crate::{Album, Target, Track, group};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Arguments, AssertSqlSafe, Row};
use std::hint::black_box;
use std::str::FromStr;
use std::time::Duration;

pub struct Raw {
    pool: Pool,
    pub form: Form,
}

pub enum Pool {
    Sqlite(SqlitePool),
    Pg(PgPool),
    My(MySqlPool),
}

/// How a raw contender reads rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `fetch_all` (or `fetch_optional`), then `try_get_unchecked` by position on each row.
    Collect,
    /// `try_map(|row| ..)` with `try_get_unchecked` by position, then `fetch_all`.
    Map,
    /// `fetch` as a stream, each row decoded by position as it arrives and pushed.
    Stream,
    /// `query_as::<_, Track>` with a `sqlx::FromRow` impl (by name, type-checked: what
    /// `#[derive(sqlx::FromRow)]` writes).
    As,
}

impl Form {
    pub const ALL: [Form; 4] = [Form::Collect, Form::Map, Form::Stream, Form::As];

    pub fn key(self) -> &'static str {
        match self {
            Form::Collect => "raw",
            Form::Map => "raw-map",
            Form::Stream => "raw-stream",
            Form::As => "raw-as",
        }
    }

    pub fn of(key: &str) -> Option<Form> {
        Form::ALL.into_iter().find(|f| f.key() == key)
    }
}

/// `sqlx::FromRow` as `#[derive(sqlx::FromRow)]` writes it: columns by name, type-checked.
impl<'r, R: Row> sqlx::FromRow<'r, R> for Track
where
    &'r str: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(r: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Track {
            track_id: r.try_get("track_id")?,
            name: r.try_get("name")?,
            album_id: r.try_get("album_id")?,
            composer: r.try_get("composer")?,
            milliseconds: r.try_get("milliseconds")?,
            bytes: r.try_get("bytes")?,
            unit_price: r.try_get("unit_price")?,
        })
    }
}

impl<'r, R: Row> sqlx::FromRow<'r, R> for Album
where
    &'r str: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(r: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Album { album_id: r.try_get("album_id")?, title: r.try_get("title")?, artist_id: r.try_get("artist_id")? })
    }
}

/// The hand-written statements of one dialect.
struct Sql {
    /// Numbered placeholders (`$1`), else `?`.
    numbered: bool,
    /// `INSERT ... RETURNING` (else: last insert id).
    returning: bool,
    insert_artist: &'static str,
    insert_track: &'static str,
    find: &'static str,
    select: &'static str,
    update: &'static str,
    update_set: &'static str,
    delete: &'static str,
    albums: &'static str,
    max_params: usize,
}

const LITE: Sql = Sql {
    numbered: false,
    returning: true,
    insert_artist: "INSERT INTO artist (name) VALUES (?) RETURNING artist_id",
    insert_track: "INSERT INTO track (name, album_id, composer, milliseconds, bytes, unit_price) VALUES (?, ?, ?, ?, ?, ?) RETURNING track_id",
    find: "SELECT track_id, name, album_id, composer, milliseconds, bytes, unit_price FROM track WHERE track_id = ?",
    select: "SELECT track_id, name, album_id, composer, milliseconds, bytes, unit_price FROM track WHERE album_id <= ?",
    update: "UPDATE track SET name = ?, album_id = ?, composer = ?, milliseconds = ?, bytes = ?, unit_price = ? WHERE track_id = ?",
    update_set: "UPDATE track SET milliseconds = ? WHERE album_id <= ?",
    delete: "DELETE FROM artist WHERE artist_id = ?",
    albums: "SELECT album_id, title, artist_id FROM album WHERE album_id <= ?",
    max_params: 32766,
};

const PG: Sql = Sql {
    numbered: true,
    returning: true,
    insert_artist: "INSERT INTO artist (name) VALUES ($1) RETURNING artist_id",
    insert_track: "INSERT INTO track (name, album_id, composer, milliseconds, bytes, unit_price) VALUES ($1, $2, $3, $4, $5, $6) RETURNING track_id",
    find: "SELECT track_id, name, album_id, composer, milliseconds, bytes, unit_price FROM track WHERE track_id = $1",
    select: "SELECT track_id, name, album_id, composer, milliseconds, bytes, unit_price FROM track WHERE album_id <= $1",
    update: "UPDATE track SET name = $1, album_id = $2, composer = $3, milliseconds = $4, bytes = $5, unit_price = $6 WHERE track_id = $7",
    update_set: "UPDATE track SET milliseconds = $1 WHERE album_id <= $2",
    delete: "DELETE FROM artist WHERE artist_id = $1",
    albums: "SELECT album_id, title, artist_id FROM album WHERE album_id <= $1",
    max_params: 65535,
};

const MY: Sql = Sql {
    numbered: false,
    returning: false,
    insert_artist: "INSERT INTO artist (name) VALUES (?)",
    insert_track: "INSERT INTO track (name, album_id, composer, milliseconds, bytes, unit_price) VALUES (?, ?, ?, ?, ?, ?)",
    max_params: 65535,
    ..LITE
};

/// The generated key of an INSERT without RETURNING.
trait LastId {
    fn last_id(&self) -> i64;
}
impl LastId for sqlx::sqlite::SqliteQueryResult {
    fn last_id(&self) -> i64 {
        self.last_insert_rowid()
    }
}
impl LastId for sqlx::postgres::PgQueryResult {
    fn last_id(&self) -> i64 {
        unreachable!("PostgreSQL uses RETURNING")
    }
}
impl LastId for sqlx::mysql::MySqlQueryResult {
    fn last_id(&self) -> i64 {
        self.last_insert_id() as i64
    }
}

/// Runs `$body` with `$p` the pool, `$q` the dialect's statements and `DbT` the sqlx database.
macro_rules! with_pool {
    ($self:expr, |$p:ident, $q:ident| $body:expr) => {
        match &$self.pool {
            Pool::Sqlite($p) => {
                #[allow(dead_code)]
                type DbT = sqlx::Sqlite;
                let $q = &LITE;
                $body
            }
            Pool::Pg($p) => {
                #[allow(dead_code)]
                type DbT = sqlx::Postgres;
                let $q = &PG;
                $body
            }
            Pool::My($p) => {
                #[allow(dead_code)]
                type DbT = sqlx::MySql;
                let $q = &MY;
                $body
            }
        }
    };
}

/// Decodes a track by position, unchecked.
macro_rules! track {
    ($r:expr) => {
        Track {
            track_id: $r.try_get_unchecked(0)?,
            name: $r.try_get_unchecked(1)?,
            album_id: $r.try_get_unchecked(2)?,
            composer: $r.try_get_unchecked(3)?,
            milliseconds: $r.try_get_unchecked(4)?,
            bytes: $r.try_get_unchecked(5)?,
            unit_price: $r.try_get_unchecked(6)?,
        }
    };
}

/// Binds the six non-key columns of a track.
macro_rules! bind_track {
    ($q:expr, $t:expr) => {
        $q.bind(&$t.name).bind($t.album_id).bind(&$t.composer).bind($t.milliseconds).bind($t.bytes).bind($t.unit_price)
    };
}

pub async fn close_pool(pool: Pool) {
    match pool {
        Pool::Sqlite(p) => p.close().await,
        Pool::Pg(p) => p.close().await,
        Pool::My(p) => p.close().await,
    }
}

/// Runs `sql` (trusted text) as a script.
pub async fn exec_pool(pool: &Pool, sql: &str) {
    let script = || sqlx::raw_sql(AssertSqlSafe(sql.to_owned()));
    let done = match pool {
        Pool::Sqlite(p) => script().execute(p).await.map(drop),
        Pool::Pg(p) => script().execute(p).await.map(drop),
        Pool::My(p) => script().execute(p).await.map(drop),
    };
    done.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Runs `$sql` with `$args` on `$p` and reads every row as `$t` the way `$form` says (`$dec`
/// decodes one row `$r` by position; [`Form::As`] uses `$t`'s `sqlx::FromRow` instead).
macro_rules! fetch_rows {
    ($form:expr, $p:expr, $t:ty, $sql:expr, $args:expr, |$r:ident| $dec:expr) => {{
        use futures_util::TryStreamExt;
        let dec = |$r: &<DbT as sqlx::Database>::Row| -> Result<$t, sqlx::Error> { Ok($dec) };
        let out: Vec<$t> = match $form {
            Form::Collect => {
                let rows = sqlx::query_with::<DbT, _>($sql, $args).fetch_all($p).await.unwrap();
                rows.iter().map(dec).collect::<Result<_, _>>().unwrap()
            }
            Form::Map => sqlx::query_with::<DbT, _>($sql, $args).try_map(|r| dec(&r)).fetch_all($p).await.unwrap(),
            Form::Stream => {
                let mut s = sqlx::query_with::<DbT, _>($sql, $args).fetch($p);
                let mut out = Vec::new();
                while let Some(r) = s.try_next().await.unwrap() {
                    out.push(dec(&r).unwrap());
                }
                out
            }
            Form::As => sqlx::query_as_with::<DbT, $t, _>($sql, $args).fetch_all($p).await.unwrap(),
        };
        out
    }};
}

/// One bound argument.
macro_rules! args {
    ($($v:expr),*) => {{
        #[allow(unused_mut)]
        let mut a = <DbT as sqlx::Database>::Arguments::default();
        $(a.add($v).unwrap();)*
        a
    }};
}

impl Raw {
    /// Whether this contender runs workload `w`: the ways of reading rows differ only on the
    /// workloads that read rows (a stream of one row is not what anyone writes for `find`).
    pub fn runs(&self, w: crate::Work) -> bool {
        use crate::Work;
        match self.form {
            Form::Collect => true,
            Form::Map | Form::As => matches!(w, Work::Find | Work::Select | Work::Eager),
            Form::Stream => matches!(w, Work::Select | Work::Eager),
        }
    }

    pub async fn connect(t: Target, form: Form) -> Raw {
        Raw { pool: Raw::connect_pool(t).await, form }
    }

    pub async fn connect_pool(t: Target) -> Pool {
        let url = t.url();
        match t {
            Target::SqliteMem | Target::SqliteFile => {
                let co = SqliteConnectOptions::from_str(&url)
                    .unwrap()
                    .create_if_missing(true)
                    .foreign_keys(true)
                    .statement_cache_capacity(256);
                let po = SqlitePoolOptions::new().test_before_acquire(false);
                let pool = if t == Target::SqliteMem {
                    po.max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None).connect_with(co)
                } else {
                    let co = co.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal);
                    po.max_connections(10).connect_with(co)
                };
                Pool::Sqlite(pool.await.expect("connect (raw sqlite)"))
            }
            Target::Postgres => {
                let co = PgConnectOptions::from_str(&url).unwrap().statement_cache_capacity(256);
                Pool::Pg(
                    PgPoolOptions::new()
                        .max_connections(10)
                        .test_before_acquire(crate::preping())
                        .connect_with(co)
                        .await
                        .expect("connect (raw pg)"),
                )
            }
            Target::MySql => {
                let co = MySqlConnectOptions::from_str(&url).unwrap().charset("utf8mb4").statement_cache_capacity(256);
                Pool::My(
                    MySqlPoolOptions::new()
                        .max_connections(10)
                        .test_before_acquire(crate::preping())
                        .connect_with(co)
                        .await
                        .expect("connect (raw mysql)"),
                )
            }
        }
    }

    pub async fn close(self) {
        close_pool(self.pool).await
    }

    pub async fn exec(&mut self, sql: &str) {
        exec_pool(&self.pool, sql).await
    }

    pub async fn insert_one(&mut self, rows: &[crate::Artist]) -> Duration {
        let mut ids = Vec::with_capacity(rows.len());
        let t = Timer::start();
        with_pool!(self, |p, q| {
            for r in rows {
                let id: i64 = if q.returning {
                    sqlx::query_scalar::<DbT, i64>(q.insert_artist).bind(&r.name).fetch_one(p).await.unwrap()
                } else {
                    sqlx::query::<DbT>(q.insert_artist).bind(&r.name).execute(p).await.unwrap().last_id()
                };
                ids.push(id);
            }
        });
        let d = t.stop();
        assert!(ids.iter().all(|&id| id > 0));
        d
    }

    pub async fn insert_tx(&mut self, rows: &[Track]) -> Duration {
        let t = Timer::start();
        with_pool!(self, |p, q| {
            let mut tx = p.begin().await.unwrap();
            for r in rows {
                let id: i64 = if q.returning {
                    bind_track!(sqlx::query_scalar::<DbT, i64>(q.insert_track), r).fetch_one(&mut *tx).await.unwrap()
                } else {
                    bind_track!(sqlx::query::<DbT>(q.insert_track), r).execute(&mut *tx).await.unwrap().last_id()
                };
                black_box(id);
            }
            tx.commit().await.unwrap();
        });
        t.stop()
    }

    /// A hand-built multi-row INSERT, chunked under the parameter limit, in a transaction when it
    /// takes more than one statement.
    pub async fn insert_many(&mut self, rows: &[Track]) -> Duration {
        let t = Timer::start();
        let mut inserted = 0;
        with_pool!(self, |p, q| {
            let per = q.max_params / 6;
            let mut tx = if rows.len() > per { Some(p.begin().await.unwrap()) } else { None };
            for chunk in rows.chunks(per) {
                let mut sql = String::with_capacity(100 + chunk.len() * 48);
                sql.push_str("INSERT INTO track (name, album_id, composer, milliseconds, bytes, unit_price) VALUES ");
                let mut n = 0;
                for i in 0..chunk.len() {
                    sql.push_str(if i == 0 { "(" } else { ", (" });
                    for c in 0..6 {
                        if c > 0 {
                            sql.push_str(", ");
                        }
                        n += 1;
                        if q.numbered {
                            sql.push('$');
                            sql.push_str(&n.to_string());
                        } else {
                            sql.push('?');
                        }
                    }
                    sql.push(')');
                }
                let mut args = <DbT as sqlx::Database>::Arguments::default();
                args.reserve(chunk.len() * 6, chunk.len() * 6 * 8);
                for r in chunk {
                    args.add(&r.name).unwrap();
                    args.add(r.album_id).unwrap();
                    args.add(&r.composer).unwrap();
                    args.add(r.milliseconds).unwrap();
                    args.add(r.bytes).unwrap();
                    args.add(r.unit_price).unwrap();
                }
                let query = sqlx::query_with::<DbT, _>(AssertSqlSafe(sql), args);
                let done = match tx.as_mut() {
                    Some(tx) => query.execute(&mut **tx).await.unwrap(),
                    None => query.execute(p).await.unwrap(),
                };
                inserted += done.rows_affected();
            }
            if let Some(tx) = tx {
                tx.commit().await.unwrap();
            }
        });
        let d = t.stop();
        assert_eq!(inserted as usize, rows.len());
        d
    }

    pub async fn find(&mut self, ids: &[i64]) -> Duration {
        let t = Timer::start();
        let mut sum = 0i64;
        let form = self.form;
        with_pool!(self, |p, q| {
            let dec = |r: &<DbT as sqlx::Database>::Row| -> Result<Track, sqlx::Error> { Ok(track!(r)) };
            for &id in ids {
                let track = match form {
                    Form::Collect => {
                        sqlx::query::<DbT>(q.find).bind(id).fetch_optional(p).await.unwrap().map(|r| dec(&r))
                    }
                    Form::Map => sqlx::query::<DbT>(q.find)
                        .bind(id)
                        .try_map(|r| dec(&r))
                        .fetch_optional(p)
                        .await
                        .unwrap()
                        .map(Ok),
                    Form::Stream | Form::As => {
                        sqlx::query_as::<DbT, Track>(q.find).bind(id).fetch_optional(p).await.unwrap().map(Ok)
                    }
                };
                sum += track.expect("track").unwrap().milliseconds as i64;
            }
        });
        black_box(sum);
        t.stop()
    }

    pub async fn select(&mut self, reps: usize, max_album: i64) -> Duration {
        let t = Timer::start();
        let form = self.form;
        with_pool!(self, |p, q| {
            for _ in 0..reps {
                let rows = fetch_rows!(form, p, Track, q.select, args!(max_album), |r| track!(r));
                assert_eq!(rows.len(), 1000);
                black_box(rows);
            }
        });
        t.stop()
    }

    pub async fn update(&mut self, rows: &[Track]) -> Duration {
        let t = Timer::start();
        with_pool!(self, |p, q| {
            for r in rows {
                let done = bind_track!(sqlx::query::<DbT>(q.update), r).bind(r.track_id).execute(p).await.unwrap();
                assert_eq!(done.rows_affected(), 1);
            }
        });
        t.stop()
    }

    pub async fn update_set(&mut self, max_album: i64, value: i32) -> Option<Duration> {
        let t = Timer::start();
        with_pool!(self, |p, q| {
            let done = sqlx::query::<DbT>(q.update_set).bind(300_000 + value).bind(max_album).execute(p).await.unwrap();
            assert_eq!(done.rows_affected(), 10_000);
        });
        Some(t.stop())
    }

    pub async fn delete(&mut self, ids: &[i64]) -> Duration {
        let t = Timer::start();
        with_pool!(self, |p, q| {
            for &id in ids {
                let done = sqlx::query::<DbT>(q.delete).bind(id).execute(p).await.unwrap();
                assert_eq!(done.rows_affected(), 1);
            }
        });
        t.stop()
    }

    pub async fn eager(&mut self, reps: usize, parents: i64) -> Duration {
        let t = Timer::start();
        let form = self.form;
        with_pool!(self, |p, q| {
            for _ in 0..reps {
                let albums = fetch_rows!(form, p, Album, q.albums, args!(parents), |r| Album {
                    album_id: r.try_get_unchecked(0)?,
                    title: r.try_get_unchecked(1)?,
                    artist_id: r.try_get_unchecked(2)?,
                });
                let mut sql = String::from(
                    "SELECT track_id, name, album_id, composer, milliseconds, bytes, unit_price FROM track WHERE album_id IN (",
                );
                for i in 0..albums.len() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    if q.numbered {
                        sql.push('$');
                        sql.push_str(&(i + 1).to_string());
                    } else {
                        sql.push('?');
                    }
                }
                sql.push(')');
                let mut a = args!();
                for album in &albums {
                    a.add(album.album_id).unwrap();
                }
                let tracks = fetch_rows!(form, p, Track, AssertSqlSafe(sql), a, |r| track!(r));
                let by_album = group(tracks, |t| t.album_id);
                assert_eq!(albums.len(), 100);
                assert_eq!(by_album.values().map(Vec::len).sum::<usize>(), 1000);
                black_box((albums, by_album));
            }
        });
        t.stop()
    }
}
