//! Introspection of Chinook, a schema we did not create, on every backend: the generated models
//! (checked in under tests/generated/, compared with a fresh generation) compile and read every
//! row of every table; the introspected schema serves as a baseline.

use orm_core::migrate::{self, MakeOptions, Migrator, Resolution};
use orm_core::{Backend, Db, Model};

#[allow(dead_code)]
#[path = "generated/chinook_mysql.rs"]
mod gen_mysql;
#[allow(dead_code)]
#[path = "generated/chinook_postgres.rs"]
mod gen_postgres;
#[allow(dead_code)]
#[path = "generated/chinook_sqlite.rs"]
mod gen_sqlite;

/// Reads every row of every table with the generated models of module `$m`.
macro_rules! read_every_row {
    ($m:ident, $db:expr) => {{
        use $m::*;
        let db: &Db = $db;
        let name = db.backend().name();
        assert_eq!(Artist::query().all(db).await.unwrap().len(), 275, "[{name}]");
        assert_eq!(Album::query().all(db).await.unwrap().len(), 347, "[{name}]");
        assert_eq!(Track::query().all(db).await.unwrap().len(), 3503, "[{name}]");
        assert_eq!(Genre::query().all(db).await.unwrap().len(), 25, "[{name}]");
        assert_eq!(MediaType::query().all(db).await.unwrap().len(), 5, "[{name}]");
        assert_eq!(Customer::query().all(db).await.unwrap().len(), 59, "[{name}]");
        assert_eq!(Employee::query().all(db).await.unwrap().len(), 8, "[{name}]");
        assert_eq!(Invoice::query().all(db).await.unwrap().len(), 412, "[{name}]");
        assert_eq!(InvoiceLine::query().all(db).await.unwrap().len(), 2240, "[{name}]");
        assert_eq!(Playlist::query().all(db).await.unwrap().len(), 18, "[{name}]");
        assert_eq!(PlaylistTrack::query().all(db).await.unwrap().len(), 8715, "[{name}]");
    }};
}

#[tokio::test]
async fn migrate_chinook_generated_models_read_every_row() {
    for db in orm_tests::chinook::chinook_databases("mig_chinook_read").await {
        match db.backend() {
            Backend::Sqlite => read_every_row!(gen_sqlite, &db),
            Backend::Postgres => read_every_row!(gen_postgres, &db),
            Backend::MySql => read_every_row!(gen_mysql, &db),
        }
    }
}

#[tokio::test]
async fn migrate_chinook_baseline() {
    for db in orm_tests::chinook::fresh_chinook_databases("mig_chinook_base").await {
        let name = db.backend().name();
        let dir =
            std::env::temp_dir().join(format!("mig_chinook_base_{}_{}", db.backend().index(), std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let schema = migrate::introspect(&db).await.unwrap();
        let path = migrate::baseline(&schema, &dir, "baseline").unwrap();
        let id = path.file_stem().unwrap().to_string_lossy().into_owned();
        // The first make against the introspected database is empty.
        assert!(migrate::make(&schema, &dir, "next", MakeOptions::default()).unwrap().is_none(), "[{name}]");
        migrate::check(&schema, &dir).unwrap();
        // Adopt it: recorded as applied without running.
        let m = Migrator::from_dir(&dir).unwrap();
        assert_eq!(m.status(&db).await.unwrap().pending, vec![id.clone()], "[{name}]");
        m.resolve(&db, &id, Resolution::Applied).await.unwrap();
        assert!(m.run(&db).await.unwrap().is_empty(), "[{name}]");
        let st = m.status(&db).await.unwrap();
        assert!(st.pending.is_empty() && st.mismatched.is_empty(), "[{name}] {st:?}");
        // The history table is not part of the introspected schema.
        assert_eq!(migrate::introspect(&db).await.unwrap(), schema, "[{name}]");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn file_of(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "chinook_sqlite.rs",
        Backend::Postgres => "chinook_postgres.rs",
        Backend::MySql => "chinook_mysql.rs",
    }
}

#[tokio::test]
async fn migrate_chinook_introspection_generates_the_checked_in_models() {
    for db in orm_tests::chinook::chinook_databases("mig_chinook_gen").await {
        let b = db.backend();
        let mut schema = migrate::introspect(&db).await.unwrap();
        // The harness's marker of a loaded shared copy.
        schema.tables.retain(|t| t.name != "orm_chinook_loaded");
        assert_eq!(
            schema.tables.len(),
            11,
            "[{}] {:?}",
            b.name(),
            schema.tables.iter().map(|t| &t.name).collect::<Vec<_>>()
        );
        let source = schema.to_rust();
        let path = format!("{}/tests/generated/{}", env!("CARGO_MANIFEST_DIR"), file_of(b));
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&path, &source).unwrap();
        } else {
            let checked_in = std::fs::read_to_string(&path).unwrap();
            assert_eq!(source, checked_in, "[{}] to_rust changed; rerun with BLESS=1 after reading the diff", b.name());
        }
    }
}
