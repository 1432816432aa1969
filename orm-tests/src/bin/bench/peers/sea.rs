//! SeaORM 2.0, used as its guide shows: entities, `ActiveModel`s, `find`, `update_many`,
//! `LoaderTrait::load_many` for eager loading. Values are turned into `ActiveModel`s before the
//! timed part (SeaORM needs owned values; the other contenders borrow theirs).

use crate::cg::Timer;
use crate::{Artist, Target, Track};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ActiveValue::Unchanged, ConnectOptions, Database, DatabaseConnection};
use sea_orm::{ConnectionTrait, LoaderTrait, QueryFilter, TransactionTrait};
use std::hint::black_box;
use std::time::Duration;

pub mod artist {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "artist")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub artist_id: i64,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod album {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "album")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub album_id: i64,
        pub title: String,
        pub artist_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(has_many = "super::track::Entity")]
        Track,
    }

    impl Related<super::track::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Track.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod track {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "track")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub track_id: i64,
        pub name: String,
        pub album_id: i64,
        pub composer: Option<String>,
        pub milliseconds: i32,
        pub bytes: i32,
        pub unit_price: f64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(belongs_to = "super::album::Entity", from = "Column::AlbumId", to = "super::album::Column::AlbumId")]
        Album,
    }

    impl Related<super::album::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Album.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub struct Sea {
    db: DatabaseConnection,
    max_params: usize,
}

fn new_track(t: &Track) -> track::ActiveModel {
    track::ActiveModel {
        name: Set(t.name.clone()),
        album_id: Set(t.album_id),
        composer: Set(t.composer.clone()),
        milliseconds: Set(t.milliseconds),
        bytes: Set(t.bytes),
        unit_price: Set(t.unit_price),
        ..Default::default()
    }
}

impl Sea {
    pub async fn connect(t: Target) -> Option<Sea> {
        let mut opt = ConnectOptions::new(t.url());
        let memory = t == Target::SqliteMem;
        opt.max_connections(if memory { 1 } else { 10 }).min_connections(if memory { 1 } else { 0 });
        opt.map_sqlx_sqlite_opts(move |o| {
            let o = o.create_if_missing(true).foreign_keys(true).statement_cache_capacity(256);
            if memory {
                o
            } else {
                o.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            }
        });
        opt.map_sqlx_postgres_opts(|o| o.statement_cache_capacity(256));
        opt.map_sqlx_mysql_opts(|o| o.charset("utf8mb4").statement_cache_capacity(256));
        let db = Database::connect(opt).await.expect("connect (SeaORM)");
        Some(Sea { db, max_params: t.backend().max_params() })
    }

    pub async fn close(self) {
        self.db.close().await.unwrap();
    }

    pub async fn exec(&mut self, sql: &str) {
        self.db.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub async fn insert_one(&mut self, rows: &[Artist]) -> Duration {
        let models: Vec<artist::ActiveModel> =
            rows.iter().map(|r| artist::ActiveModel { name: Set(r.name.clone()), ..Default::default() }).collect();
        let t = Timer::start();
        for m in models {
            let done = artist::Entity::insert(m).exec(&self.db).await.unwrap();
            assert!(done.last_insert_id > 0);
        }
        t.stop()
    }

    pub async fn insert_tx(&mut self, rows: &[Track]) -> Duration {
        let models: Vec<track::ActiveModel> = rows.iter().map(new_track).collect();
        let t = Timer::start();
        let tx = self.db.begin().await.unwrap();
        for m in models {
            black_box(track::Entity::insert(m).exec(&tx).await.unwrap().last_insert_id);
        }
        tx.commit().await.unwrap();
        t.stop()
    }

    /// `insert_many` does not chunk (past the bind-parameter limit the database refuses the
    /// statement), so the caller chunks, in a transaction, as its users must.
    pub async fn insert_many(&mut self, rows: &[Track]) -> Duration {
        let per = self.max_params / 6;
        let chunks: Vec<Vec<track::ActiveModel>> =
            rows.chunks(per).map(|c| c.iter().map(new_track).collect()).collect();
        let t = Timer::start();
        if chunks.len() == 1 {
            let c = chunks.into_iter().next().unwrap();
            track::Entity::insert_many(c).exec(&self.db).await.unwrap();
        } else {
            let tx = self.db.begin().await.unwrap();
            for c in chunks {
                track::Entity::insert_many(c).exec(&tx).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
        t.stop()
    }

    pub async fn find(&mut self, ids: &[i64]) -> Duration {
        let t = Timer::start();
        let mut sum = 0i64;
        for &id in ids {
            let tr = track::Entity::find_by_id(id).one(&self.db).await.unwrap().expect("track");
            sum += tr.milliseconds as i64;
        }
        black_box(sum);
        t.stop()
    }

    pub async fn select(&mut self, reps: usize, max_album: i64) -> Duration {
        let t = Timer::start();
        for _ in 0..reps {
            let rows = track::Entity::find().filter(track::Column::AlbumId.lte(max_album)).all(&self.db).await.unwrap();
            assert_eq!(rows.len(), 1000);
            black_box(rows);
        }
        t.stop()
    }

    pub async fn update(&mut self, rows: &[Track]) -> Duration {
        let models: Vec<track::ActiveModel> =
            rows.iter().map(|r| track::ActiveModel { track_id: Unchanged(r.track_id), ..new_track(r) }).collect();
        let t = Timer::start();
        for m in models {
            black_box(m.update(&self.db).await.unwrap());
        }
        t.stop()
    }

    pub async fn update_set(&mut self, max_album: i64, value: i32) -> Option<Duration> {
        let t = Timer::start();
        let done = track::Entity::update_many()
            .col_expr(track::Column::Milliseconds, Expr::value(300_000 + value))
            .filter(track::Column::AlbumId.lte(max_album))
            .exec(&self.db)
            .await
            .unwrap();
        let d = t.stop();
        assert_eq!(done.rows_affected, 10_000);
        Some(d)
    }

    pub async fn delete(&mut self, ids: &[i64]) -> Duration {
        let t = Timer::start();
        for &id in ids {
            let done = artist::Entity::delete_by_id(id).exec(&self.db).await.unwrap();
            assert_eq!(done.rows_affected, 1);
        }
        t.stop()
    }

    pub async fn eager(&mut self, reps: usize, parents: i64) -> Duration {
        let t = Timer::start();
        for _ in 0..reps {
            let albums = album::Entity::find().filter(album::Column::AlbumId.lte(parents)).all(&self.db).await.unwrap();
            let tracks = albums.load_many(track::Entity, &self.db).await.unwrap();
            assert_eq!(albums.len(), 100);
            assert_eq!(tracks.iter().map(Vec::len).sum::<usize>(), 1000);
            black_box((albums, tracks));
        }
        t.stop()
    }
}
