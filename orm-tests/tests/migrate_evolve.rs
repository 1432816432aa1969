//! A model evolving over five versions, with rows in the tables, migrated on every backend from
//! ONE history written offline by `make`; after each step the rows are there and the live schema
//! (introspected) equals the models'; then reverted step by step back to version 1. Also `check`,
//! checksums and the golden SQL of each dialect.

use orm_core::migrate::{self, MakeOptions, Migrator, Schema};
use orm_core::{Backend, Db, Error, Model};
use std::path::PathBuf;

mod v1 {
    use orm_core::Model;
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_items")]
    pub struct Item {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub qty: i32,
        pub note: Option<String>,
    }
}

/// v2: a nullable column, and a NOT NULL column with a default.
mod v2 {
    use orm_core::Model;
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_items")]
    pub struct Item {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub qty: i32,
        pub note: Option<String>,
        pub price: Option<f64>,
        #[orm(max_length = 20)]
        pub status: String,
    }
}

/// v3: `name` renamed to `title`, `qty` from i32 to i64.
mod v3 {
    use orm_core::Model;
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_items")]
    pub struct Item {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(renamed_from = "name")]
        pub title: String,
        pub qty: i64,
        pub note: Option<String>,
        pub price: Option<f64>,
        #[orm(max_length = 20)]
        pub status: String,
    }
}

/// v4: a new table with a foreign key (and its index), and a unique on `title`.
mod v4 {
    use orm_core::Model;
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_items")]
    pub struct Item {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(unique)]
        pub title: String,
        pub qty: i64,
        pub note: Option<String>,
        pub price: Option<f64>,
        #[orm(max_length = 20)]
        pub status: String,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_tags")]
    pub struct Tag {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(belongs_to = Item, on_delete = "cascade")]
        pub item_id: i64,
        pub label: String,
    }
}

/// v5: `note` dropped (destructive).
mod v5 {
    use orm_core::Model;
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_items")]
    pub struct Item {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(unique)]
        pub title: String,
        pub qty: i64,
        pub price: Option<f64>,
        #[orm(max_length = 20)]
        pub status: String,
    }

    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_tags")]
    pub struct Tag {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(belongs_to = Item, on_delete = "cascade")]
        pub item_id: i64,
        pub label: String,
    }
}

/// A table with a text enum and an integer enum: CHECKs of allowed values.
mod en {
    use orm_core::{Model, SqlType};
    #[derive(SqlType, Debug, Clone, Copy, PartialEq)]
    #[orm(rename_all = "snake_case")]
    pub enum Mood {
        Happy,
        Sad,
        ItsComplicated,
    }
    #[derive(SqlType, Debug, Clone, Copy, PartialEq)]
    #[orm(repr = "i16")]
    pub enum Level {
        Low = 1,
        High = 5,
    }
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_moods")]
    pub struct Entry {
        #[orm(primary_key)]
        pub id: i64,
        pub mood: Mood,
        pub level: Level,
        pub other: Option<Mood>,
    }
}

fn schemas() -> Vec<Schema> {
    vec![
        Schema::new().model::<v1::Item>(),
        Schema::new().model::<v2::Item>().default_value("mig_items", "status", "'new'"),
        Schema::new().model::<v3::Item>().default_value("mig_items", "status", "'new'"),
        Schema::new().model::<v4::Item>().model::<v4::Tag>().default_value("mig_items", "status", "'new'"),
        Schema::new().model::<v5::Item>().model::<v5::Tag>().default_value("mig_items", "status", "'new'"),
    ]
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Writes the five migrations into `dir` (offline), checking `make`'s and `check`'s answers.
fn make_history(dir: &PathBuf) -> Vec<String> {
    let s = schemas();
    let names = ["create_items", "add_price_status", "rename_retype", "add_tags_unique", "drop_note"];
    let mut ids = Vec::new();
    for (i, (schema, name)) in s.iter().zip(names).enumerate() {
        if i > 0 {
            // The models changed and no migration has it yet.
            assert!(matches!(migrate::check(schema, dir), Err(Error::SchemaChanged { .. })));
        }
        let opts = if i == 4 {
            // Dropping a column is refused unless allowed, naming the operation.
            match migrate::make(schema, dir, name, MakeOptions::default()) {
                Err(Error::Destructive { operations }) => {
                    assert_eq!(operations.len(), 1, "{operations:?}");
                    assert!(operations[0].contains("mig_items.note"), "{operations:?}");
                }
                other => panic!("expected Destructive, got {other:?}"),
            }
            MakeOptions { allow_destructive: true }
        } else {
            MakeOptions::default()
        };
        let path = migrate::make(schema, dir, name, opts).unwrap().expect("a migration");
        ids.push(path.file_stem().unwrap().to_string_lossy().into_owned());
        // Nothing left to make; check passes.
        assert!(migrate::make(schema, dir, name, MakeOptions::default()).unwrap().is_none());
        migrate::check(schema, dir).unwrap();
    }
    assert_eq!(ids[0], "0001_create_items");
    assert_eq!(ids[4], "0005_drop_note");
    ids
}

async fn assert_live(db: &Db, schema: &Schema, step: &str) {
    let b = db.backend();
    let live = migrate::introspect(db).await.unwrap();
    let (live, want) = (live.normalized(b), schema.normalized(b));
    assert_eq!(live, want, "[{}] after {step}: the live schema differs from the models'", b.name());
}

#[tokio::test]
async fn migrate_five_versions_with_rows_and_revert() {
    let dir = temp_dir("mig_evolve");
    let ids = make_history(&dir);
    let s = schemas();
    let m = Migrator::from_dir(&dir).unwrap();
    for db in orm_tests::databases("mig_evolve").await {
        let b = db.backend();
        let name = b.name();
        // v1 with rows.
        assert_eq!(m.run_to(&db, &ids[0]).await.unwrap(), vec![ids[0].clone()], "[{name}]");
        assert_live(&db, &s[0], &ids[0]).await;
        let rows: Vec<v1::Item> = (1..=5)
            .map(|i| v1::Item {
                id: i,
                name: format!("item {i}"),
                qty: i as i32 * 10,
                note: (i % 2 == 0).then(|| format!("n{i}")),
            })
            .collect();
        v1::Item::insert_many(&db, &rows).await.unwrap();

        // v2: a nullable column and a NOT NULL one with a default.
        m.run_to(&db, &ids[1]).await.unwrap();
        assert_live(&db, &s[1], &ids[1]).await;
        let got = v2::Item::query().order_by(v2::Item::ID.asc()).all(&db).await.unwrap();
        assert_eq!(got.len(), 5, "[{name}]");
        for (g, r) in got.iter().zip(&rows) {
            assert_eq!(
                (g.id, &g.name, g.qty, &g.note, g.price, g.status.as_str()),
                (r.id, &r.name, r.qty, &r.note, None, "new"),
                "[{name}]"
            );
        }

        // v3: rename and change of type.
        m.run_to(&db, &ids[2]).await.unwrap();
        assert_live(&db, &s[2], &ids[2]).await;
        let got = v3::Item::query().order_by(v3::Item::ID.asc()).all(&db).await.unwrap();
        for (g, r) in got.iter().zip(&rows) {
            assert_eq!((g.id, &g.title, g.qty, &g.note), (r.id, &r.name, i64::from(r.qty), &r.note), "[{name}]");
        }
        // The wider type holds what the old one could not.
        let mut big = got[0].clone();
        big.qty = i64::from(i32::MAX) * 4;
        big.update(&db).await.unwrap();

        // v4: a child table with a foreign key and an index, and a unique.
        m.run_to(&db, &ids[3]).await.unwrap();
        assert_live(&db, &s[3], &ids[3]).await;
        for i in 1..=5 {
            v4::Tag { id: 0, item_id: i, label: format!("t{i}") }.insert(&db).await.unwrap();
        }
        let dup = v4::Item { id: 99, title: "item 2".into(), qty: 0, note: None, price: None, status: "x".into() };
        assert!(matches!(dup.clone().insert(&db).await, Err(Error::UniqueViolation(_))), "[{name}] unique");

        // v5: a column dropped.
        assert_eq!(m.run(&db).await.unwrap(), vec![ids[4].clone()], "[{name}]");
        assert_live(&db, &s[4], &ids[4]).await;
        let got = v5::Item::query().order_by(v5::Item::ID.asc()).all(&db).await.unwrap();
        assert_eq!(got.len(), 5, "[{name}]");
        assert_eq!(got[0].qty, i64::from(i32::MAX) * 4, "[{name}]");
        for (g, r) in got.iter().zip(&rows) {
            assert_eq!((g.id, &g.title, g.status.as_str()), (r.id, &r.name, "new"), "[{name}]");
        }
        assert_eq!(v5::Tag::query().count(&db).await.unwrap(), 5, "[{name}]");

        // Nothing left; the status says so.
        assert!(m.run(&db).await.unwrap().is_empty(), "[{name}]");
        let st = m.status(&db).await.unwrap();
        assert_eq!(st.applied.len(), 5, "[{name}]");
        assert!(st.pending.is_empty() && st.mismatched.is_empty() && st.failed.is_empty(), "[{name}] {st:?}");

        // A value the narrower type cannot hold would fail the revert of the type change.
        let mut small = got[0].clone();
        small.qty = 10;
        small.update(&db).await.unwrap();

        // Revert step by step back to version 1: the schema of each version comes back, and so
        // do the rows (without the values of the dropped column).
        for k in (0..4).rev() {
            let reverted = m.revert(&db, &ids[k]).await.unwrap();
            assert_eq!(reverted, vec![ids[k + 1].clone()], "[{name}]");
            assert_live(&db, &s[k], &format!("revert to {}", ids[k])).await;
        }
        let back = v1::Item::query().order_by(v1::Item::ID.asc()).all(&db).await.unwrap();
        assert_eq!(back.len(), 5, "[{name}]");
        assert_eq!(back[1].name, "item 2", "[{name}]");
        let st = m.status(&db).await.unwrap();
        assert_eq!(st.pending.len(), 4, "[{name}]");
        let _ = b;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn migrate_checksums() {
    let dir = temp_dir("mig_checksum");
    let ids = make_history(&dir);
    for db in orm_tests::databases("mig_checksum").await {
        let name = db.backend().name();
        Migrator::from_dir(&dir).unwrap().run_to(&db, &ids[1]).await.unwrap();
        // CRLF line endings and a BOM do not change the checksum.
        let p = dir.join(format!("{}.json", ids[0]));
        let orig = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, format!("\u{feff}{}", orig.replace('\n', "\r\n"))).unwrap();
        let st = Migrator::from_dir(&dir).unwrap().status(&db).await.unwrap();
        assert!(st.mismatched.is_empty(), "[{name}] {st:?}");
        // An edited applied migration is an error naming it.
        let edited = orig.replacen("{\n", "{\n\n", 1);
        std::fs::write(&p, &edited).unwrap();
        let m = Migrator::from_dir(&dir).unwrap();
        match m.run(&db).await {
            Err(Error::Migration { id, message }) => {
                assert_eq!(id, ids[0], "[{name}]");
                assert!(message.contains("checksum"), "[{name}] {message}");
            }
            other => panic!("[{name}] expected a checksum error, got {other:?}"),
        }
        assert_eq!(m.status(&db).await.unwrap().mismatched, vec![ids[0].clone()], "[{name}]");
        std::fs::write(&p, &orig).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_history_validation() {
    let dir = temp_dir("mig_validate");
    let ids = make_history(&dir);
    // A gap.
    let p3 = dir.join(format!("{}.json", ids[2]));
    let text3 = std::fs::read_to_string(&p3).unwrap();
    std::fs::remove_file(&p3).unwrap();
    let e = Migrator::from_dir(&dir).unwrap_err().to_string();
    assert!(e.contains("gap"), "{e}");
    // A snapshot that does not match its operations.
    std::fs::write(&p3, text3.replacen("\"qty\"", "\"qtx\"", 1)).unwrap();
    let e = Migrator::from_dir(&dir).unwrap_err().to_string();
    assert!(e.contains(&ids[2]), "{e}");
    // A snapshot edited by hand: the error names the first difference.
    std::fs::write(&p3, text3.replace("\"max_length\": 20", "\"max_length\": 30")).unwrap();
    let e = Migrator::from_dir(&dir).unwrap_err().to_string();
    assert!(e.contains(&ids[2]) && e.contains("column `mig_items.status`"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_golden_sql() {
    let dir = temp_dir("mig_golden");
    let ids = make_history(&dir);
    let m = Migrator::from_dir(&dir).unwrap();
    let mut all = String::new();
    for id in &ids {
        for b in Backend::ALL {
            all.push_str(&m.sql(id, b).unwrap());
        }
    }
    let golden = include_str!("golden/migrate.sql");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/migrate.sql"), &all).unwrap();
        // The embedded fixture of `migrations!` is this history.
        let fixture = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/migrations"));
        for id in &ids {
            std::fs::copy(dir.join(format!("{id}.json")), fixture.join(format!("{id}.json"))).unwrap();
        }
    } else {
        assert_eq!(all, golden, "the SQL of the migrations changed; rerun with BLESS=1 after reading the diff");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_embedded_history_is_what_make_writes() {
    // `make` is deterministic: the history checked in under tests/fixtures (embedded at compile
    // time) is byte for byte what it writes today.
    let embedded = orm_core::migrations!("tests/fixtures/migrations").unwrap();
    let dir = temp_dir("mig_embedded");
    make_history(&dir);
    let fresh = Migrator::from_dir(&dir).unwrap();
    let sums = |m: &Migrator| m.migrations().iter().map(|m| (m.id.clone(), m.checksum.clone())).collect::<Vec<_>>();
    assert_eq!(sums(&embedded), sums(&fresh));
    assert_eq!(embedded.migrations().len(), 5);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn migrate_enum_checks_read_back_as_the_models_write_them() {
    // Each database keeps an enum's CHECK its own way (PostgreSQL rewrites `IN (...)` as
    // `= ANY (ARRAY[...])`); introspection gives back the models' check, so a baseline taken
    // from the live database holds nothing the models would change.
    let dir = temp_dir("mig_enum");
    let models = Schema::new().model::<en::Entry>();
    migrate::make(&models, &dir, "moods", MakeOptions::default()).unwrap().unwrap();
    let m = Migrator::from_dir(&dir).unwrap();
    let want = models.get("mig_moods").unwrap().checks.clone();
    assert_eq!(want.len(), 3, "{want:?}");
    for db in orm_tests::databases("mig_enum").await {
        let b = db.backend();
        let name = b.name();
        m.run(&db).await.unwrap();
        let live = migrate::introspect(&db).await.unwrap();
        assert_eq!(live.get("mig_moods").unwrap().checks, want, "[{name}]");
        assert_eq!(live.normalized(b), models.normalized(b), "[{name}]");
        assert!(migrate::diff(&live.normalized(b), &models.normalized(b)).unwrap().is_empty(), "[{name}]");
        let baseline = temp_dir(&format!("mig_enum_baseline_{name}"));
        migrate::baseline(&live.normalized(b), &baseline, "baseline").unwrap();
        migrate::check(&models.normalized(b), &baseline).unwrap();
        let _ = std::fs::remove_dir_all(&baseline);
        // The checks hold.
        en::Entry { id: 1, mood: en::Mood::ItsComplicated, level: en::Level::High, other: None }
            .insert(&db)
            .await
            .unwrap();
        let bad = orm_core::raw("INSERT INTO mig_moods (id, mood, level) VALUES (2, 'angry', 1)").execute(&db).await;
        assert!(bad.is_err(), "[{name}] {bad:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
