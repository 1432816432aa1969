//! Diesel 2.3 with its own (synchronous) drivers, used as its guide shows: `table!`, derived
//! `Queryable`/`Insertable`/`AsChangeset`, `belonging_to` + `grouped_by` for eager loading. Its
//! calls block the benchmark's thread, as a direct call from async code does: the best case for
//! Diesel (a real async service would add `spawn_blocking` or a pool such as deadpool-diesel).

use crate::cg::Timer;
use crate::{Artist, Target, Track};
use diesel::connection::SimpleConnection;
use diesel::mysql::MysqlConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use std::hint::black_box;
use std::time::Duration;

mod schema {
    diesel::table! {
        artist (artist_id) {
            artist_id -> BigInt,
            name -> Text,
        }
    }
    diesel::table! {
        album (album_id) {
            album_id -> BigInt,
            title -> Text,
            artist_id -> BigInt,
        }
    }
    diesel::table! {
        track (track_id) {
            track_id -> BigInt,
            name -> Text,
            album_id -> BigInt,
            composer -> Nullable<Text>,
            milliseconds -> Integer,
            bytes -> Integer,
            unit_price -> Double,
        }
    }
    diesel::joinable!(track -> album (album_id));
    diesel::allow_tables_to_appear_in_same_query!(album, track);
}
use schema::{album, artist, track};

#[derive(Queryable, Selectable, Identifiable, Debug)]
#[diesel(table_name = album, primary_key(album_id))]
pub struct DAlbum {
    pub album_id: i64,
    pub title: String,
    pub artist_id: i64,
}

#[derive(Queryable, Selectable, Identifiable, Associations, Debug)]
#[diesel(table_name = track, primary_key(track_id), belongs_to(DAlbum, foreign_key = album_id))]
pub struct DTrack {
    pub track_id: i64,
    pub name: String,
    pub album_id: i64,
    pub composer: Option<String>,
    pub milliseconds: i32,
    pub bytes: i32,
    pub unit_price: f64,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = track, treat_none_as_default_value = false, treat_none_as_null = true)]
pub struct NewTrack<'a> {
    pub name: &'a str,
    pub album_id: i64,
    pub composer: Option<&'a str>,
    pub milliseconds: i32,
    pub bytes: i32,
    pub unit_price: f64,
}

fn new_track(t: &Track) -> NewTrack<'_> {
    NewTrack {
        name: &t.name,
        album_id: t.album_id,
        composer: t.composer.as_deref(),
        milliseconds: t.milliseconds,
        bytes: t.bytes,
        unit_price: t.unit_price,
    }
}

/// Inserting a row and reading its generated key: `RETURNING` on SQLite and PostgreSQL, and
/// `LAST_INSERT_ID()` after the INSERT on MySQL.
trait Keyed {
    fn insert_artist(&mut self, name: &str) -> i64;
    fn insert_track(&mut self, t: NewTrack<'_>) -> i64;
}

macro_rules! keyed_returning {
    ($($conn:ty),*) => {$(
        impl Keyed for $conn {
            fn insert_artist(&mut self, name: &str) -> i64 {
                diesel::insert_into(artist::table)
                    .values(artist::name.eq(name))
                    .returning(artist::artist_id)
                    .get_result(self)
                    .unwrap()
            }
            fn insert_track(&mut self, t: NewTrack<'_>) -> i64 {
                diesel::insert_into(track::table).values(t).returning(track::track_id).get_result(self).unwrap()
            }
        }
    )*};
}
keyed_returning!(SqliteConnection, PgConnection);

diesel::define_sql_function! { fn last_insert_id() -> BigInt; }

impl Keyed for MysqlConnection {
    fn insert_artist(&mut self, name: &str) -> i64 {
        diesel::insert_into(artist::table).values(artist::name.eq(name)).execute(self).unwrap();
        diesel::select(last_insert_id()).get_result(self).unwrap()
    }
    fn insert_track(&mut self, t: NewTrack<'_>) -> i64 {
        diesel::insert_into(track::table).values(t).execute(self).unwrap();
        diesel::select(last_insert_id()).get_result(self).unwrap()
    }
}

pub enum Diesel {
    Sqlite(SqliteConnection, usize),
    Pg(PgConnection, usize),
    My(MysqlConnection, usize),
}

/// Runs `$body` with `$c` the connection of whichever backend and `$max` its parameter limit.
macro_rules! with_conn {
    ($self:expr, |$c:ident, $max:ident| $body:expr) => {
        match $self {
            Diesel::Sqlite($c, $max) => $body,
            Diesel::Pg($c, $max) => $body,
            Diesel::My($c, $max) => $body,
        }
    };
}

impl Diesel {
    pub async fn connect(t: Target) -> Option<Diesel> {
        let max = t.backend().max_params();
        Some(match t {
            Target::SqliteMem | Target::SqliteFile => {
                let path = if t == Target::SqliteMem { ":memory:".to_owned() } else { Target::sqlite_path() };
                let mut c = SqliteConnection::establish(&path).expect("connect (Diesel, SQLite)");
                c.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000;").unwrap();
                if t == Target::SqliteFile {
                    c.batch_execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;").unwrap();
                }
                Diesel::Sqlite(c, max)
            }
            Target::Postgres => {
                Diesel::Pg(PgConnection::establish(&t.url()).expect("connect (Diesel, PostgreSQL)"), max)
            }
            Target::MySql => Diesel::My(MysqlConnection::establish(&t.url()).expect("connect (Diesel, MySQL)"), max),
        })
    }

    pub async fn close(self) {}

    pub async fn exec(&mut self, sql: &str) {
        with_conn!(self, |c, _m| c.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}")))
    }

    pub async fn insert_one(&mut self, rows: &[Artist]) -> Duration {
        let t = Timer::start();
        with_conn!(self, |c, _m| {
            for r in rows {
                assert!(c.insert_artist(&r.name) > 0);
            }
        });
        t.stop()
    }

    pub async fn insert_tx(&mut self, rows: &[Track]) -> Duration {
        let t = Timer::start();
        with_conn!(self, |c, _m| {
            c.transaction::<_, diesel::result::Error, _>(|c| {
                for r in rows {
                    black_box(c.insert_track(new_track(r)));
                }
                Ok(())
            })
            .unwrap()
        });
        t.stop()
    }

    /// A batch insert (`values(&vec)`) does not chunk, so the caller chunks under the
    /// bind-parameter limit, in a transaction, as its users must.
    pub async fn insert_many(&mut self, rows: &[Track]) -> Duration {
        let t = Timer::start();
        let n = with_conn!(self, |c, max| {
            let per = *max / 6;
            c.transaction::<_, diesel::result::Error, _>(|c| {
                let mut n = 0;
                for chunk in rows.chunks(per) {
                    let values: Vec<NewTrack<'_>> = chunk.iter().map(new_track).collect();
                    n += diesel::insert_into(track::table).values(&values).execute(c)?;
                }
                Ok(n)
            })
            .unwrap()
        });
        let d = t.stop();
        assert_eq!(n, rows.len());
        d
    }

    pub async fn find(&mut self, ids: &[i64]) -> Duration {
        let t = Timer::start();
        let mut sum = 0i64;
        with_conn!(self, |c, _m| {
            for &id in ids {
                let tr: DTrack = track::table.find(id).select(DTrack::as_select()).first(c).unwrap();
                sum += tr.milliseconds as i64;
            }
        });
        black_box(sum);
        t.stop()
    }

    pub async fn select(&mut self, reps: usize, max_album: i64) -> Duration {
        let t = Timer::start();
        with_conn!(self, |c, _m| {
            for _ in 0..reps {
                let rows: Vec<DTrack> =
                    track::table.filter(track::album_id.le(max_album)).select(DTrack::as_select()).load(c).unwrap();
                assert_eq!(rows.len(), 1000);
                black_box(rows);
            }
        });
        t.stop()
    }

    pub async fn update(&mut self, rows: &[Track]) -> Duration {
        let t = Timer::start();
        with_conn!(self, |c, _m| {
            for r in rows {
                let n = diesel::update(track::table.find(r.track_id)).set(new_track(r)).execute(c).unwrap();
                assert_eq!(n, 1);
            }
        });
        t.stop()
    }

    pub async fn update_set(&mut self, max_album: i64, value: i32) -> Option<Duration> {
        let t = Timer::start();
        let n = with_conn!(self, |c, _m| {
            diesel::update(track::table.filter(track::album_id.le(max_album)))
                .set(track::milliseconds.eq(300_000 + value))
                .execute(c)
                .unwrap()
        });
        let d = t.stop();
        assert_eq!(n, 10_000);
        Some(d)
    }

    pub async fn delete(&mut self, ids: &[i64]) -> Duration {
        let t = Timer::start();
        with_conn!(self, |c, _m| {
            for &id in ids {
                assert_eq!(diesel::delete(artist::table.find(id)).execute(c).unwrap(), 1);
            }
        });
        t.stop()
    }

    pub async fn eager(&mut self, reps: usize, parents: i64) -> Duration {
        let t = Timer::start();
        with_conn!(self, |c, _m| {
            for _ in 0..reps {
                let albums: Vec<DAlbum> =
                    album::table.filter(album::album_id.le(parents)).select(DAlbum::as_select()).load(c).unwrap();
                let tracks: Vec<DTrack> = DTrack::belonging_to(&albums).select(DTrack::as_select()).load(c).unwrap();
                let grouped: Vec<(DAlbum, Vec<DTrack>)> =
                    tracks.grouped_by(&albums).into_iter().zip(albums).map(|(t, a)| (a, t)).collect();
                assert_eq!(grouped.len(), 100);
                assert_eq!(grouped.iter().map(|g| g.1.len()).sum::<usize>(), 1000);
                black_box(grouped);
            }
        });
        t.stop()
    }
}
