//! ormlite 0.25, used as its README shows: `#[derive(Model)]` with an insertion struct for
//! generated keys, `fetch_one`, `select().where_bind(..)`, `update_all_fields`, `delete`,
//! `insert_many`. It has no set-based update and no one-to-many eager loading: the eager
//! workload is two `select`s, the second with an `IN (?, ...)` clause, grouped by hand.

use crate::cg::Timer;
use crate::{Artist, Target, Track, group};
use ormlite::model::*;
use sqlx::AssertSqlSafe;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::hint::black_box;
use std::str::FromStr;
use std::time::Duration;

/// The models, once per database: ormlite 0.25 implements `FromRow` for the first database a
/// model names only, so a model serves one database.
macro_rules! models {
    ($module:ident, $db:literal) => {
        pub mod $module {
            #[derive(ormlite::Model, Debug, Clone)]
            #[ormlite(table = "artist", insert = "InsertArtist", database = $db)]
            pub struct LArtist {
                #[ormlite(primary_key)]
                pub artist_id: i64,
                pub name: String,
            }

            #[derive(ormlite::Model, Debug, Clone)]
            #[ormlite(table = "album", database = $db)]
            pub struct LAlbum {
                #[ormlite(primary_key)]
                pub album_id: i64,
                pub title: String,
                pub artist_id: i64,
            }

            #[derive(ormlite::Model, Debug, Clone)]
            #[ormlite(table = "track", insert = "InsertTrack", database = $db)]
            pub struct LTrack {
                #[ormlite(primary_key)]
                pub track_id: i64,
                pub name: String,
                pub album_id: i64,
                pub composer: Option<String>,
                pub milliseconds: i32,
                pub bytes: i32,
                pub unit_price: f64,
            }

            pub fn l_track(t: &crate::Track) -> LTrack {
                LTrack {
                    track_id: t.track_id,
                    name: t.name.clone(),
                    album_id: t.album_id,
                    composer: t.composer.clone(),
                    milliseconds: t.milliseconds,
                    bytes: t.bytes,
                    unit_price: t.unit_price,
                }
            }

            pub fn insert_track(t: &crate::Track) -> InsertTrack {
                InsertTrack {
                    name: t.name.clone(),
                    album_id: t.album_id,
                    composer: t.composer.clone(),
                    milliseconds: t.milliseconds,
                    bytes: t.bytes,
                    unit_price: t.unit_price,
                }
            }
        }
    };
}
models!(on_sqlite, "sqlite");
models!(on_postgres, "postgres");

/// ormlite on SQLite and PostgreSQL. Its `mysql` feature does not give a working MySQL path in
/// 0.25: there is no `ormlite::mysql` module for the derive's generated code, and the select
/// builder needs `DatabaseMetadata`, implemented for PostgreSQL and SQLite only.
pub enum Lite {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// Runs `$body` with `$p` the pool and `m` the module of that database's models.
macro_rules! with_pool {
    ($self:expr, |$p:ident| $body:expr) => {
        match $self {
            Lite::Sqlite($p) => {
                #[allow(unused_imports)]
                use on_sqlite as m;
                $body
            }
            Lite::Pg($p) => {
                #[allow(unused_imports)]
                use on_postgres as m;
                $body
            }
        }
    };
}

/// The keys ormlite's `insert_many` writes (it writes every column, the key included, and returns
/// every row): far above the generated ones.
static NEXT_KEY: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(100_000_000);

impl Lite {
    pub async fn connect(t: Target) -> Option<Lite> {
        let url = t.url();
        Some(match t {
            Target::SqliteMem | Target::SqliteFile => {
                let co = SqliteConnectOptions::from_str(&url)
                    .unwrap()
                    .create_if_missing(true)
                    .foreign_keys(true)
                    .statement_cache_capacity(256);
                let po = SqlitePoolOptions::new();
                let pool = if t == Target::SqliteMem {
                    po.max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None).connect_with(co)
                } else {
                    let co = co.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal);
                    po.max_connections(10).connect_with(co)
                };
                Lite::Sqlite(pool.await.expect("connect (ormlite sqlite)"))
            }
            Target::Postgres => {
                let co = PgConnectOptions::from_str(&url).unwrap().statement_cache_capacity(256);
                Lite::Pg(PgPoolOptions::new().max_connections(10).connect_with(co).await.expect("connect (ormlite pg)"))
            }
            Target::MySql => return None,
        })
    }

    pub async fn close(self) {
        with_pool!(self, |p| p.close().await)
    }

    pub async fn exec(&mut self, sql: &str) {
        with_pool!(self, |p| {
            sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(&*p).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        })
    }

    pub async fn insert_one(&mut self, rows: &[Artist]) -> Duration {
        with_pool!(self, |p| {
            let inserts: Vec<m::InsertArtist> = rows.iter().map(|r| m::InsertArtist { name: r.name.clone() }).collect();
            let t = Timer::start();
            for i in inserts {
                assert!(i.insert(&*p).await.unwrap().artist_id > 0);
            }
            t.stop()
        })
    }

    pub async fn insert_tx(&mut self, rows: &[Track]) -> Duration {
        with_pool!(self, |p| {
            let inserts: Vec<m::InsertTrack> = rows.iter().map(m::insert_track).collect();
            let t = Timer::start();
            let mut tx = p.begin().await.unwrap();
            for i in inserts {
                black_box(i.insert(&mut *tx).await.unwrap());
            }
            tx.commit().await.unwrap();
            t.stop()
        })
    }

    /// `insert_many` writes every column (so the rows get explicit keys) and does not chunk: the
    /// caller chunks under the bind-parameter limit (7 values a row), in a transaction.
    pub async fn insert_many(&mut self, rows: &[Track]) -> Duration {
        use std::sync::atomic::Ordering;
        let per = self.max_params() / 7;
        with_pool!(self, |p| {
            let mut all: Vec<m::LTrack> = rows.iter().map(m::l_track).collect();
            for r in &mut all {
                r.track_id = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
            }
            let parts: Vec<Vec<m::LTrack>> = all.chunks(per).map(<[m::LTrack]>::to_vec).collect();
            let t = Timer::start();
            let mut n = 0;
            let mut tx = p.begin().await.unwrap();
            for part in parts {
                n += m::LTrack::insert_many(part, &mut *tx).await.unwrap().len();
            }
            tx.commit().await.unwrap();
            let d = t.stop();
            assert_eq!(n, rows.len());
            d
        })
    }

    /// ormlite 0.25's `insert_many` numbers the placeholders of every row from `$1` on
    /// PostgreSQL (sql crate `Value::placeholders`), so every row repeats the first row's values
    /// (here: a duplicate key). It works on SQLite.
    pub fn insert_many_works(&self) -> bool {
        matches!(self, Lite::Sqlite(_))
    }

    fn max_params(&self) -> usize {
        match self {
            Lite::Sqlite(_) => 32766,
            Lite::Pg(_) => 65535,
        }
    }

    pub async fn find(&mut self, ids: &[i64]) -> Duration {
        let t = Timer::start();
        let mut sum = 0i64;
        with_pool!(self, |p| {
            for &id in ids {
                sum += m::LTrack::fetch_one(id, &*p).await.unwrap().milliseconds as i64;
            }
        });
        black_box(sum);
        t.stop()
    }

    pub async fn select(&mut self, reps: usize, max_album: i64) -> Duration {
        let t = Timer::start();
        with_pool!(self, |p| {
            for _ in 0..reps {
                let rows = m::LTrack::select().where_bind("album_id <= ?", max_album).fetch_all(&*p).await.unwrap();
                assert_eq!(rows.len(), 1000);
                black_box(rows);
            }
        });
        t.stop()
    }

    pub async fn update(&mut self, rows: &[Track]) -> Duration {
        with_pool!(self, |p| {
            let models: Vec<m::LTrack> = rows.iter().map(m::l_track).collect();
            let t = Timer::start();
            for model in models {
                black_box(model.update_all_fields(&*p).await.unwrap());
            }
            t.stop()
        })
    }

    pub async fn update_set(&mut self, _max_album: i64, _value: i32) -> Option<Duration> {
        None
    }

    pub async fn delete(&mut self, ids: &[i64]) -> Duration {
        with_pool!(self, |p| {
            let models: Vec<m::LArtist> =
                ids.iter().map(|&artist_id| m::LArtist { artist_id, name: String::new() }).collect();
            let t = Timer::start();
            for model in models {
                model.delete(&*p).await.unwrap();
            }
            t.stop()
        })
    }

    pub async fn eager(&mut self, reps: usize, parents: i64) -> Duration {
        let t = Timer::start();
        with_pool!(self, |p| {
            for _ in 0..reps {
                let albums = m::LAlbum::select().where_bind("album_id <= ?", parents).fetch_all(&*p).await.unwrap();
                let marks = vec!["?"; albums.len()].join(", ");
                let mut q = m::LTrack::select().dangerous_where(&format!("album_id IN ({marks})"));
                for a in &albums {
                    q = q.bind(a.album_id);
                }
                let tracks = q.fetch_all(&*p).await.unwrap();
                let by_album = group(tracks, |t| t.album_id);
                assert_eq!(albums.len(), 100);
                assert_eq!(by_album.values().map(Vec::len).sum::<usize>(), 1000);
                black_box((albums, by_album));
            }
        });
        t.stop()
    }
}
