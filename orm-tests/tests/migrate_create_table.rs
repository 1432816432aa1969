//! `Model::create_table` and the migrations agree: a table made by `create_table` introspects as
//! the models' schema (`Schema::model`), so `make` against it finds nothing to do, and so does a
//! table made by the migration `make` writes; on every backend, for a model with a text enum (with
//! a default, indexed or not), an integer enum, a default, a composite unique and a composite
//! index.

use orm_core::migrate::{self, MakeOptions, Migrator, Schema};
use orm_core::{Db, Model};
use std::path::PathBuf;

mod m {
    use orm_core::prelude::*;

    #[derive(SqlType, Debug, Clone, Copy, PartialEq)]
    #[orm(rename_all = "snake_case")]
    pub enum Status {
        Draft,
        Published,
        #[orm(rename = "in_review")]
        InReview,
    }

    #[derive(SqlType, Debug, Clone, Copy, PartialEq)]
    #[orm(repr = "i16")]
    pub enum Priority {
        Low = 1,
        High = 5,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mct_post", unique(author_id, slug), index(priority, author_id))]
    pub struct Post {
        #[orm(primary_key)]
        pub id: i64,
        pub author_id: i64,
        pub slug: String,
        #[orm(default = "draft")]
        pub status: Status,
        pub previous: Option<Status>,
        #[orm(index)]
        pub stage: Status,
        pub priority: Priority,
        #[orm(default = 0)]
        pub views: i32,
        #[orm(default = "untitled")]
        pub title: String,
        #[orm(unique, max_length = 20)]
        pub code: String,
    }
}

use m::{Post, Priority, Status};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The live schema is the models', and `make` against it has nothing to do.
async fn assert_live(db: &Db, models: &Schema, step: &str) {
    let b = db.backend();
    let mut live = migrate::introspect(db).await.unwrap();
    live.tables.retain(|t| t.name == "mct_post");
    let (live, want) = (live.normalized(b), models.normalized(b));
    assert_eq!(live, want, "[{}] {step}: the live schema differs from the models'", b.name());
    assert!(migrate::diff(&live, &want).unwrap().is_empty(), "[{}] {step}", b.name());
    let baseline = temp_dir(&format!("mct_baseline_{}_{step}", b.name()));
    migrate::baseline(&live, &baseline, "baseline").unwrap();
    migrate::check(&want, &baseline).unwrap();
    assert!(
        migrate::make(&want, &baseline, "again", MakeOptions::default()).unwrap().is_none(),
        "[{}] {step}",
        b.name()
    );
    let _ = std::fs::remove_dir_all(&baseline);
}

/// A row relying on the defaults, read back; a value outside the enum refused by the CHECK.
async fn assert_usable(db: &Db, step: &str) {
    let name = db.backend().name();
    let mut post = Post {
        id: 1,
        author_id: 7,
        slug: "a".into(),
        status: Status::InReview,
        previous: None,
        stage: Status::Draft,
        priority: Priority::High,
        views: 3,
        title: "t".into(),
        code: "c1".into(),
    };
    post.insert(db).await.unwrap();
    assert_eq!(Post::find(db, 1).await.unwrap(), Some(post.clone()), "[{name}] {step}");
    orm_core::raw(
        "INSERT INTO mct_post (id, author_id, slug, stage, priority, code) VALUES (2, 7, 'b', 'published', 1, 'c2')",
    )
    .execute(db)
    .await
    .unwrap();
    let p = Post::find(db, 2).await.unwrap().unwrap();
    assert_eq!((p.status, p.views, p.title.as_str()), (Status::Draft, 0, "untitled"), "[{name}] {step}");
    let bad = orm_core::raw(
        "INSERT INTO mct_post (id, author_id, slug, stage, priority, code) VALUES (3, 7, 'c', 'nope', 1, 'c3')",
    )
    .execute(db)
    .await;
    assert!(bad.is_err(), "[{name}] {step}: the CHECK of the enum's values");
    // The unique column, named in the error on every backend.
    let mut same_code = Post { id: 5, slug: "e".into(), ..post.clone() };
    match same_code.insert(db).await {
        Err(orm_core::Error::UniqueViolation(i)) => assert_eq!(i.column.as_deref(), Some("code"), "[{name}] {step}"),
        other => panic!("[{name}] {step}: expected a unique violation, got {other:?}"),
    }
    // The composite unique.
    let mut dup = Post { id: 4, code: "c4".into(), ..post };
    assert!(dup.insert(db).await.is_err(), "[{name}] {step}: the composite unique");
}

#[tokio::test]
async fn migrate_create_table_introspects_as_the_models() {
    let models = Schema::new().model::<Post>();
    for db in orm_tests::databases("mct_create_table").await {
        Post::create_table(&db).await.unwrap();
        assert_live(&db, &models, "create_table").await;
        assert_usable(&db, "create_table").await;
    }
}

#[tokio::test]
async fn migrate_create_table_is_what_a_migration_makes() {
    let models = Schema::new().model::<Post>();
    let dir = temp_dir("mct_history");
    migrate::make(&models, &dir, "create", MakeOptions::default()).unwrap().expect("a migration");
    let m = Migrator::from_dir(&dir).unwrap();
    for db in orm_tests::databases("mct_migrated").await {
        m.run(&db).await.unwrap();
        assert_live(&db, &models, "migration").await;
        assert_usable(&db, "migration").await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
