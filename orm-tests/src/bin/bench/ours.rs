//! This ORM, used the way its guide shows.

use crate::cg::Timer;
use crate::{Album, Artist, Target, Track, group};
use orm_core::prelude::*;
use std::hint::black_box;
use std::time::Duration;

pub struct Ours {
    db: Db,
}

impl Ours {
    pub async fn connect(t: Target) -> Ours {
        let options = orm_core::DbOptions { test_before_acquire: crate::preping(), ..Default::default() };
        Ours { db: Db::connect_with(&t.url(), options).await.expect("connect (this ORM)") }
    }

    pub async fn close(self) {
        self.db.close().await
    }

    pub async fn exec(&mut self, sql: &str) {
        orm_core::raw(sql).execute(&self.db).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub async fn insert_one(&mut self, rows: &[Artist]) -> Duration {
        let mut rows = rows.to_vec();
        let t = Timer::start();
        for r in rows.iter_mut() {
            r.insert(&self.db).await.unwrap();
        }
        let d = t.stop();
        assert!(rows.iter().all(|r| r.artist_id > 0));
        d
    }

    pub async fn insert_tx(&mut self, rows: &[Track]) -> Duration {
        let mut rows = rows.to_vec();
        let t = Timer::start();
        let mut tx = self.db.begin().await.unwrap();
        for r in rows.iter_mut() {
            r.insert(&mut tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        t.stop()
    }

    pub async fn insert_many(&mut self, rows: &[Track]) -> Duration {
        let t = Timer::start();
        let n = Track::insert_many(&self.db, rows).await.unwrap();
        let d = t.stop();
        assert_eq!(n as usize, rows.len());
        d
    }

    pub async fn find(&mut self, ids: &[i64]) -> Duration {
        let t = Timer::start();
        let mut sum = 0i64;
        for &id in ids {
            let track = Track::find(&self.db, id).await.unwrap().expect("track");
            sum += track.milliseconds as i64;
        }
        black_box(sum);
        t.stop()
    }

    pub async fn select(&mut self, reps: usize, max_album: i64) -> Duration {
        let t = Timer::start();
        for _ in 0..reps {
            let rows = Track::query().filter(Track::ALBUM_ID.lte(max_album)).all(&self.db).await.unwrap();
            assert_eq!(rows.len(), 1000);
            black_box(rows);
        }
        t.stop()
    }

    pub async fn update(&mut self, rows: &[Track]) -> Duration {
        let t = Timer::start();
        for r in rows {
            r.update(&self.db).await.unwrap();
        }
        t.stop()
    }

    /// `Query::update` (set-based, with expressions) arrives with the query-language branch.
    pub async fn update_set(&mut self, _max_album: i64, _value: i32) -> Option<Duration> {
        None
    }

    pub async fn delete(&mut self, ids: &[i64]) -> Duration {
        let rows: Vec<Artist> = ids.iter().map(|&artist_id| Artist { artist_id, name: String::new() }).collect();
        let t = Timer::start();
        for r in &rows {
            assert!(r.delete(&self.db).await.unwrap());
        }
        t.stop()
    }

    pub async fn eager(&mut self, reps: usize, parents: i64) -> Duration {
        let t = Timer::start();
        for _ in 0..reps {
            let albums = Album::query().filter(Album::ALBUM_ID.lte(parents)).all(&self.db).await.unwrap();
            let keys: Vec<i64> = albums.iter().map(|a| a.album_id).collect();
            let tracks = Track::query().filter(Track::ALBUM_ID.is_in(keys)).all(&self.db).await.unwrap();
            let by_album = group(tracks, |t| t.album_id);
            assert_eq!(albums.len(), 100);
            assert_eq!(by_album.values().map(Vec::len).sum::<usize>(), 1000);
            black_box((albums, by_album));
        }
        t.stop()
    }
}
