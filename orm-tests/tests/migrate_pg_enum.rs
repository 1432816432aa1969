//! Migrations of `#[orm(pg_enum = "name")]` columns, on every backend from one history written
//! offline by `make`: the type is created before its tables, extended with a label, dropped once
//! no column uses it; after each step the live schema (introspected, enum types included) is the
//! models', so `make` against it finds nothing to do. Also tables made by `create_table`.

use orm_core::migrate::{self, MakeOptions, Migrator, Op, Schema};
use orm_core::{Backend, Db, Error, Model};
use std::path::PathBuf;

mod v1 {
    use orm_core::prelude::*;
    #[derive(SqlType, Debug, Clone, Copy, PartialEq)]
    #[orm(pg_enum = "mpe_status", rename_all = "snake_case")]
    pub enum Status {
        Draft,
        Published,
    }
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mpe_post")]
    pub struct Post {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(default = "draft")]
        pub status: Status,
        pub previous: Option<Status>,
    }
}

/// v2: a label between the two, and a second table using the type.
mod v2 {
    use orm_core::prelude::*;
    #[derive(SqlType, Debug, Clone, Copy, PartialEq)]
    #[orm(pg_enum = "mpe_status", rename_all = "snake_case")]
    pub enum Status {
        Draft,
        InReview,
        Published,
    }
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mpe_post")]
    pub struct Post {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(default = "draft")]
        pub status: Status,
        pub previous: Option<Status>,
    }
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mpe_note")]
    pub struct Note {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(index)]
        pub status: Status,
    }
}

/// v3: the tables using the type are gone (so is the type).
mod v3 {
    use orm_core::Model;
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mpe_other")]
    pub struct Other {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
    }
}

fn schemas() -> Vec<Schema> {
    vec![
        Schema::new().model::<v1::Post>(),
        Schema::new().model::<v2::Post>().model::<v2::Note>(),
        Schema::new().model::<v3::Other>(),
    ]
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn ops_of(m: &Migrator, i: usize) -> Vec<Op> {
    m.migrations()[i].operations.clone()
}

/// The live schema (enum types included) is the models', and `make` has nothing to add to it.
async fn assert_live(db: &Db, schema: &Schema, step: &str) {
    let b = db.backend();
    let live = migrate::introspect(db).await.unwrap();
    let (live, want) = (live.normalized(b), schema.normalized(b));
    assert_eq!(live, want, "[{}] after {step}: the live schema differs from the models'", b.name());
    assert!(migrate::diff(&live, &want).unwrap().is_empty(), "[{}] after {step}", b.name());
    // A baseline of the live database, checked against the models: no difference either.
    let baseline = temp_dir(&format!("mpe_baseline_{}_{step}", b.name()));
    migrate::baseline(&live, &baseline, "baseline").unwrap();
    migrate::check(&want, &baseline).unwrap();
    assert!(migrate::make(&want, &baseline, "again", MakeOptions::default()).unwrap().is_none());
    let _ = std::fs::remove_dir_all(&baseline);
}

/// Writes the three migrations into `dir` (offline).
fn make_history(dir: &PathBuf) -> Vec<String> {
    let names = ["create", "extend", "drop"];
    let mut ids = Vec::new();
    for (i, (schema, name)) in schemas().iter().zip(names).enumerate() {
        let opts = MakeOptions { allow_destructive: i == 2 };
        let path = migrate::make(schema, dir, name, opts).unwrap().expect("a migration");
        ids.push(path.file_stem().unwrap().to_string_lossy().into_owned());
        assert!(migrate::make(schema, dir, name, MakeOptions::default()).unwrap().is_none());
        migrate::check(schema, dir).unwrap();
    }
    ids
}

#[test]
fn migrate_pg_enum_embedded_history_is_what_make_writes() {
    // The history under tests/fixtures/pg_enum_migrations, replayed at compile time by
    // `migrations!` (enum operations included) and again by orm-core, is what `make` writes
    // today. `BLESS=1` rewrites it.
    let dir = temp_dir("mpe_embedded");
    let ids = make_history(&dir);
    let fixture = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pg_enum_migrations"));
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(&fixture).unwrap();
        for id in &ids {
            std::fs::copy(dir.join(format!("{id}.json")), fixture.join(format!("{id}.json"))).unwrap();
        }
    }
    let embedded = orm_core::migrations!("tests/fixtures/pg_enum_migrations").unwrap();
    let fresh = Migrator::from_dir(&dir).unwrap();
    let sums = |m: &Migrator| m.migrations().iter().map(|m| (m.id.clone(), m.checksum.clone())).collect::<Vec<_>>();
    assert_eq!(sums(&embedded), sums(&fresh));
    assert_eq!(embedded.migrations().len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn migrate_pg_enum_create_extend_drop() {
    let dir = temp_dir("mpe_history");
    let s = schemas();
    let ids = make_history(&dir);
    let m = Migrator::from_dir(&dir).unwrap();
    // The type first, then its table; a label before the next old one; the type dropped last.
    let first = ops_of(&m, 0);
    assert!(
        matches!(&first[0], Op::CreateEnum { name, values } if name == "mpe_status" && values == &["draft", "published"]),
        "{first:?}"
    );
    assert!(matches!(&first[1], Op::CreateTable { .. }), "{first:?}");
    let second = ops_of(&m, 1);
    assert!(
        matches!(&second[0], Op::AddEnumValue { name, value, before }
            if name == "mpe_status" && value == "in_review" && before.as_deref() == Some("published")),
        "{second:?}"
    );
    let third = ops_of(&m, 2);
    assert!(matches!(third.last(), Some(Op::DropEnum { name }) if name == "mpe_status"), "{third:?}");
    // The SQL of each backend: PostgreSQL has the type; the others text with the CHECK.
    let pg = m.sql(&ids[0], Backend::Postgres).unwrap();
    assert!(pg.contains("CREATE TYPE \"mpe_status\" AS ENUM ('draft', 'published')"), "{pg}");
    assert!(pg.contains("\"status\" \"mpe_status\" NOT NULL DEFAULT 'draft'"), "{pg}");
    assert!(!pg.contains("CHECK"), "{pg}");
    let pg2 = m.sql(&ids[1], Backend::Postgres).unwrap();
    assert!(pg2.contains("ALTER TYPE \"mpe_status\" ADD VALUE 'in_review' BEFORE 'published'"), "{pg2}");
    for b in [Backend::Sqlite, Backend::MySql] {
        let sql = m.sql(&ids[0], b).unwrap();
        assert!(!sql.contains("TYPE") && sql.contains("CHECK"), "[{}] {sql}", b.name());
    }

    for db in orm_tests::databases("mpe_migrate").await {
        let b = db.backend();
        let name = b.name();
        m.run_to(&db, &ids[0]).await.unwrap();
        assert_live(&db, &s[0], &ids[0]).await;
        v1::Post { id: 1, status: v1::Status::Published, previous: Some(v1::Status::Draft) }.insert(&db).await.unwrap();

        m.run_to(&db, &ids[1]).await.unwrap();
        assert_live(&db, &s[1], &ids[1]).await;
        v2::Post { id: 2, status: v2::Status::InReview, previous: None }.insert(&db).await.unwrap();
        v2::Post { id: 3, status: v2::Status::Draft, previous: Some(v2::Status::InReview) }.insert(&db).await.unwrap();
        v2::Note { id: 1, status: v2::Status::InReview }.insert(&db).await.unwrap();
        // The new label sorts where it was declared on PostgreSQL (here also its place by text).
        let order: Vec<i64> =
            v2::Post::query().select(v2::Post::ID).order_by(v2::Post::STATUS.asc()).all(&db).await.unwrap();
        assert_eq!(order, vec![3, 2, 1], "[{name}]");
        assert_eq!(
            v2::Post::query().filter(v2::Post::STATUS.is_in([v2::Status::InReview])).count(&db).await.unwrap(),
            1,
            "[{name}]"
        );
        // A label is not dropped by a revert: PostgreSQL cannot.
        match m.revert(&db, &ids[0]).await {
            Err(Error::Migration { message, .. }) => assert!(message.contains("in_review"), "[{name}] {message}"),
            other => panic!("[{name}] expected a refused revert, got {other:?}"),
        }

        m.run_to(&db, &ids[2]).await.unwrap();
        assert_live(&db, &s[2], &ids[2]).await;
        if b == Backend::Postgres {
            let n: Option<i64> = orm_core::raw("SELECT COUNT(*) FROM pg_type WHERE typname = 'mpe_status'")
                .fetch_scalar(&db)
                .await
                .unwrap();
            assert_eq!(n, Some(0), "[{name}]");
        }
        // Reverting the drop brings the type back with all its labels, then the tables.
        m.revert(&db, &ids[1]).await.unwrap();
        assert_live(&db, &s[1], "revert").await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn migrate_pg_enum_introspection_of_create_table() {
    // Tables made by `create_table` (not by a migration): introspection gives back the models'
    // schema on every backend (PostgreSQL: the enum type, no CHECK on either side; SQLite and
    // MySQL: text with the models' named CHECK).
    let models = Schema::new().model::<v2::Post>().model::<v2::Note>();
    for db in orm_tests::databases("mpe_create_table").await {
        v2::Post::create_table(&db).await.unwrap();
        v2::Note::create_table(&db).await.unwrap();
        assert_live(&db, &models, "create_table").await;
        if db.backend() == Backend::Postgres {
            // The models written from the catalog have the enum, and use it.
            let rust = migrate::introspect(&db).await.unwrap().to_rust();
            let want = "#[derive(Debug, Clone, Copy, PartialEq, orm_core::SqlType)]\n#[orm(pg_enum = \"mpe_status\")]\n\
                        pub enum MpeStatus {\n    #[orm(rename = \"draft\")]\n    Draft,\n    #[orm(rename = \"in_review\")]\n    \
                        InReview,\n    #[orm(rename = \"published\")]\n    Published,\n}\n";
            assert!(rust.contains(want), "{rust}");
            assert!(
                rust.contains("    pub status: MpeStatus,\n")
                    && rust.contains("    pub previous: Option<MpeStatus>,\n"),
                "{rust}"
            );
        }
    }
}

#[test]
fn migrate_pg_enum_labels_cannot_be_dropped_or_reordered() {
    mod gone {
        use orm_core::prelude::*;
        #[derive(SqlType, Debug, Clone, Copy, PartialEq)]
        #[orm(pg_enum = "mpe_status", rename_all = "snake_case")]
        pub enum Status {
            Published,
            Draft,
        }
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = "mpe_post")]
        pub struct Post {
            #[orm(primary_key)]
            pub id: i64,
            pub status: Status,
        }
    }
    let from = Schema::new().model::<v1::Post>();
    let to = Schema::new().model::<gone::Post>();
    match migrate::diff(&from, &to) {
        Err(Error::Migration { message, .. }) => assert!(message.contains("mpe_status"), "{message}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

mod plain {
    use orm_core::prelude::*;
    #[derive(SqlType, Debug, Clone, Copy, PartialEq)]
    #[orm(rename_all = "snake_case")]
    pub enum Level {
        Low,
        High,
    }
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mpe_conv")]
    pub struct Row {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(default = "low")]
        pub level: Level,
        pub other: Option<Level>,
    }
}

/// `plain` with the enum made a native one.
mod native {
    use orm_core::prelude::*;
    #[derive(SqlType, Debug, Clone, Copy, PartialEq)]
    #[orm(pg_enum = "mpe_level", rename_all = "snake_case")]
    pub enum Level {
        Low,
        High,
    }
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mpe_conv")]
    pub struct Row {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(default = "low")]
        pub level: Level,
        pub other: Option<Level>,
    }
}

#[tokio::test]
async fn migrate_text_enum_to_pg_enum_and_back() {
    // A text enum (TEXT + CHECK) becomes a native one: the type is created, the CHECK dropped,
    // the column converted through text with its default kept; and back again. Rows survive.
    let dir = temp_dir("mpe_conv");
    let s = [
        Schema::new().model::<plain::Row>(),
        Schema::new().model::<native::Row>(),
        Schema::new().model::<plain::Row>(),
    ];
    let mut ids = Vec::new();
    for (i, schema) in s.iter().enumerate() {
        let path =
            migrate::make(schema, &dir, &format!("step{i}"), MakeOptions::default()).unwrap().expect("a migration");
        ids.push(path.file_stem().unwrap().to_string_lossy().into_owned());
    }
    let m = Migrator::from_dir(&dir).unwrap();
    let pg = m.sql(&ids[1], Backend::Postgres).unwrap();
    assert!(pg.contains("USING \"level\"::TEXT::\"mpe_level\""), "{pg}");
    for db in orm_tests::databases("mpe_conv").await {
        let name = db.backend().name();
        m.run_to(&db, &ids[0]).await.unwrap();
        plain::Row { id: 1, level: plain::Level::High, other: Some(plain::Level::Low) }.insert(&db).await.unwrap();
        m.run_to(&db, &ids[1]).await.unwrap();
        assert_live(&db, &s[1], &ids[1]).await;
        let got = native::Row::find(&db, 1).await.unwrap();
        assert_eq!(
            got,
            Some(native::Row { id: 1, level: native::Level::High, other: Some(native::Level::Low) }),
            "[{name}]"
        );
        orm_core::raw("INSERT INTO mpe_conv (id) VALUES (2)").execute(&db).await.unwrap();
        assert_eq!(native::Row::find(&db, 2).await.unwrap().map(|r| r.level), Some(native::Level::Low), "[{name}]");
        m.run_to(&db, &ids[2]).await.unwrap();
        assert_live(&db, &s[2], &ids[2]).await;
        assert_eq!(plain::Row::query().filter(plain::Row::LEVEL.eq(plain::Level::High)).count(&db).await.unwrap(), 1);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
