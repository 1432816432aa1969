//! This ORM, used the way its guide shows.

use crate::cg::Timer;
use crate::{Album, Artist, Target, Track};
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

    /// In PgBouncer mode (`DbOptions::pgbouncer`), without a PgBouncer in between.
    pub async fn connect_pooler(t: Target) -> Ours {
        let options = orm_core::DbOptions { pgbouncer: true, ..Default::default() };
        Ours { db: Db::connect_with(&t.url(), options).await.expect("connect (this ORM, pgbouncer mode)") }
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
        // `update` takes `&mut self` (it stores managed columns back); copy outside the timer.
        let mut rows = rows.to_vec();
        let t = Timer::start();
        for r in &mut rows {
            r.update(&self.db).await.unwrap();
        }
        t.stop()
    }

    pub async fn update_set(&mut self, max_album: i64, value: i32) -> Option<Duration> {
        let t = Timer::start();
        let n = Track::query()
            .filter(Track::ALBUM_ID.lte(max_album))
            .update(&self.db, [Track::MILLISECONDS.set(300_000 + value)])
            .await
            .unwrap();
        let d = t.stop();
        assert_eq!(n, 10_000);
        Some(d)
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
            let tree: Vec<(Album, Vec<Track>)> = albums.with_children::<Track>(&self.db).await.unwrap();
            assert_eq!(tree.len(), 100);
            assert_eq!(tree.iter().map(|g| g.1.len()).sum::<usize>(), 1000);
            black_box(tree);
        }
        t.stop()
    }
}
