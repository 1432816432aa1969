//! Raw sqlx, the floor: hand-written SQL, statements cached by sqlx, rows decoded by position
//! with `try_get_unchecked`, a pool configured as this ORM configures its own.

use crate::cg::Timer;
use crate::{Album, Target, Track, group};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Arguments, AssertSqlSafe, Row};
use std::hint::black_box;
use std::str::FromStr;
use std::time::Duration;

pub enum Raw {
    Sqlite(SqlitePool),
    Pg(PgPool),
    My(MySqlPool),
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
        match $self {
            Raw::Sqlite($p) => {
                #[allow(dead_code)]
                type DbT = sqlx::Sqlite;
                let $q = &LITE;
                $body
            }
            Raw::Pg($p) => {
                #[allow(dead_code)]
                type DbT = sqlx::Postgres;
                let $q = &PG;
                $body
            }
            Raw::My($p) => {
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

impl Raw {
    pub async fn connect(t: Target) -> Raw {
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
                Raw::Sqlite(pool.await.expect("connect (raw sqlite)"))
            }
            Target::Postgres => {
                let co = PgConnectOptions::from_str(&url).unwrap().statement_cache_capacity(256);
                Raw::Pg(
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
                Raw::My(
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
        with_pool!(self, |p, _q| p.close().await)
    }

    pub async fn exec(&mut self, sql: &str) {
        with_pool!(self, |p, _q| {
            sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(&*p).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        })
    }

    pub async fn insert_one(&mut self, rows: &[crate::Artist]) -> Duration {
        let mut ids = Vec::with_capacity(rows.len());
        let t = Timer::start();
        with_pool!(self, |p, q| {
            for r in rows {
                let id: i64 = if q.returning {
                    sqlx::query_scalar::<DbT, i64>(q.insert_artist).bind(&r.name).fetch_one(&*p).await.unwrap()
                } else {
                    sqlx::query::<DbT>(q.insert_artist).bind(&r.name).execute(&*p).await.unwrap().last_id()
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
                    None => query.execute(&*p).await.unwrap(),
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
        with_pool!(self, |p, q| {
            for &id in ids {
                let track = sqlx::query::<DbT>(q.find)
                    .bind(id)
                    .try_map(|r: <DbT as sqlx::Database>::Row| Ok(track!(r)))
                    .fetch_optional(&*p)
                    .await
                    .unwrap()
                    .expect("track");
                sum += track.milliseconds as i64;
            }
        });
        black_box(sum);
        t.stop()
    }

    pub async fn select(&mut self, reps: usize, max_album: i64) -> Duration {
        let t = Timer::start();
        with_pool!(self, |p, q| {
            for _ in 0..reps {
                let rows: Vec<Track> = sqlx::query::<DbT>(q.select)
                    .bind(max_album)
                    .try_map(|r: <DbT as sqlx::Database>::Row| Ok(track!(r)))
                    .fetch_all(&*p)
                    .await
                    .unwrap();
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
                let done = bind_track!(sqlx::query::<DbT>(q.update), r).bind(r.track_id).execute(&*p).await.unwrap();
                assert_eq!(done.rows_affected(), 1);
            }
        });
        t.stop()
    }

    pub async fn update_set(&mut self, max_album: i64, value: i32) -> Option<Duration> {
        let t = Timer::start();
        with_pool!(self, |p, q| {
            let done =
                sqlx::query::<DbT>(q.update_set).bind(300_000 + value).bind(max_album).execute(&*p).await.unwrap();
            assert_eq!(done.rows_affected(), 10_000);
        });
        Some(t.stop())
    }

    pub async fn delete(&mut self, ids: &[i64]) -> Duration {
        let t = Timer::start();
        with_pool!(self, |p, q| {
            for &id in ids {
                let done = sqlx::query::<DbT>(q.delete).bind(id).execute(&*p).await.unwrap();
                assert_eq!(done.rows_affected(), 1);
            }
        });
        t.stop()
    }

    pub async fn eager(&mut self, reps: usize, parents: i64) -> Duration {
        let t = Timer::start();
        with_pool!(self, |p, q| {
            for _ in 0..reps {
                let albums: Vec<Album> = sqlx::query::<DbT>(q.albums)
                    .bind(parents)
                    .try_map(|r: <DbT as sqlx::Database>::Row| {
                        Ok(Album {
                            album_id: r.try_get_unchecked(0)?,
                            title: r.try_get_unchecked(1)?,
                            artist_id: r.try_get_unchecked(2)?,
                        })
                    })
                    .fetch_all(&*p)
                    .await
                    .unwrap();
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
                let mut query = sqlx::query::<DbT>(AssertSqlSafe(sql));
                for a in &albums {
                    query = query.bind(a.album_id);
                }
                let tracks: Vec<Track> =
                    query.try_map(|r: <DbT as sqlx::Database>::Row| Ok(track!(r))).fetch_all(&*p).await.unwrap();
                let by_album = group(tracks, |t| t.album_id);
                assert_eq!(albums.len(), 100);
                assert_eq!(by_album.values().map(Vec::len).sum::<usize>(), 1000);
                black_box((albums, by_album));
            }
        });
        t.stop()
    }
}
