//! How the migrator applies migrations on every backend: a rebuild of a parent keeps its
//! children (SQLite), two runners at once, a failing migration, data migrations.

use orm_core::migrate::{self, MakeOptions, Migrator, Resolution, Schema};
use orm_core::{Error, Model, raw};
use std::path::PathBuf;

mod p1 {
    use orm_core::Model;
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_parent")]
    pub struct Parent {
        #[orm(primary_key)]
        pub id: i64,
        pub name: String,
    }
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_child")]
    pub struct Child {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(belongs_to = Parent, on_delete = "cascade")]
        pub parent_id: i64,
        pub label: String,
    }
}

/// The parent's `name` becomes nullable and gets a `rank`: SQLite rebuilds the parent.
mod p2 {
    use orm_core::Model;
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_parent")]
    pub struct Parent {
        #[orm(primary_key)]
        pub id: i64,
        pub name: Option<String>,
        pub rank: i32,
    }
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_child")]
    pub struct Child {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(belongs_to = Parent, on_delete = "cascade")]
        pub parent_id: i64,
        pub label: String,
    }
}

mod f1 {
    use orm_core::Model;
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_fail")]
    pub struct Row {
        #[orm(primary_key)]
        pub id: i64,
        pub code: i32,
    }
}

/// A column, then a unique on `code`, which fails on duplicate codes.
mod f2 {
    use orm_core::Model;
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "mig_fail")]
    pub struct Row {
        #[orm(primary_key)]
        pub id: i64,
        #[orm(unique)]
        pub code: i32,
        pub extra: Option<i32>,
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn parent_history(name: &str) -> (PathBuf, Vec<String>) {
    let dir = temp_dir(name);
    let s1 = Schema::new().model::<p1::Parent>().model::<p1::Child>();
    let s2 = Schema::new().model::<p2::Parent>().model::<p2::Child>().default_value("mig_parent", "rank", "0");
    let a = migrate::make(&s1, &dir, "parents", MakeOptions::default()).unwrap().unwrap();
    let b = migrate::make(&s2, &dir, "nullable_name", MakeOptions::default()).unwrap().unwrap();
    let id = |p: PathBuf| p.file_stem().unwrap().to_string_lossy().into_owned();
    (dir, vec![id(a), id(b)])
}

#[tokio::test]
async fn migrate_rebuild_of_parent_keeps_children() {
    let (dir, ids) = parent_history("mig_rebuild");
    let m = Migrator::from_dir(&dir).unwrap();
    // The rebuild really happens on SQLite (and the cascade would have fired inside a
    // transaction): the SQL shows it.
    let sql = m.sql(&ids[1], orm_core::Backend::Sqlite).unwrap();
    assert!(sql.starts_with("-- migration") && sql.contains("PRAGMA foreign_keys = OFF;\nBEGIN IMMEDIATE;"), "{sql}");
    assert!(sql.contains("DROP TABLE \"mig_parent\""), "{sql}");
    for db in orm_tests::databases("mig_rebuild").await {
        let name = db.backend().name();
        m.run_to(&db, &ids[0]).await.unwrap();
        for i in 1..=3 {
            p1::Parent { id: i, name: format!("p{i}") }.insert(&db).await.unwrap();
            for j in 0..4 {
                p1::Child { id: 0, parent_id: i, label: format!("c{i}{j}") }.insert(&db).await.unwrap();
            }
        }
        assert_eq!(m.run(&db).await.unwrap(), vec![ids[1].clone()], "[{name}]");
        assert_eq!(p2::Child::query().count(&db).await.unwrap(), 12, "[{name}] children lost in the rebuild");
        let parents = p2::Parent::query().order_by(p2::Parent::ID.asc()).all(&db).await.unwrap();
        assert_eq!(
            parents.iter().map(|p| (p.id, p.name.as_deref(), p.rank)).collect::<Vec<_>>(),
            vec![(1, Some("p1"), 0), (2, Some("p2"), 0), (3, Some("p3"), 0)]
        );
        // The new column takes NULLs now; foreign keys are enforced again, and cascade to the
        // children of the rebuilt parent.
        p2::Parent { id: 4, name: None, rank: 1 }.insert(&db).await.unwrap();
        let orphan = p2::Child { id: 0, parent_id: 99, label: "x".into() }.insert(&db).await;
        assert!(matches!(orphan, Err(Error::ForeignKeyViolation(_))), "[{name}] {orphan:?}");
        parents[0].delete(&db).await.unwrap();
        assert_eq!(p2::Child::query().count(&db).await.unwrap(), 8, "[{name}]");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn migrate_two_runners_at_once() {
    let (dir, ids) = parent_history("mig_two_runners");
    let m = Migrator::from_dir(&dir).unwrap();
    for db in orm_tests::databases("mig_two_runners").await {
        let name = db.backend().name();
        let (a, b) = tokio::join!(m.run(&db), m.run(&db));
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut all: Vec<String> = a.iter().chain(&b).cloned().collect();
        all.sort();
        assert_eq!(all, ids, "[{name}] each migration applied exactly once: {a:?} {b:?}");
        let st = m.status(&db).await.unwrap();
        assert_eq!(st.applied.iter().map(|a| a.id.clone()).collect::<Vec<_>>(), ids, "[{name}]");
        // The lock was released: a third run takes it again at once.
        assert!(m.run(&db).await.unwrap().is_empty(), "[{name}]");
        // And the database is usable.
        p2::Parent { id: 1, name: None, rank: 0 }.insert(&db).await.unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn migrate_failing_migration() {
    let dir = temp_dir("mig_failing");
    let s1 = Schema::new().model::<f1::Row>();
    let s2 = Schema::new().model::<f2::Row>();
    migrate::make(&s1, &dir, "rows", MakeOptions::default()).unwrap();
    migrate::make(&s2, &dir, "unique_code", MakeOptions::default()).unwrap();
    let m = Migrator::from_dir(&dir).unwrap();
    let ids: Vec<String> = m.migrations().iter().map(|m| m.id.clone()).collect();
    for db in orm_tests::databases("mig_failing").await {
        let name = db.backend().name();
        m.run_to(&db, &ids[0]).await.unwrap();
        for (id, code) in [(1, 7), (2, 7), (3, 8)] {
            f1::Row { id, code }.insert(&db).await.unwrap();
        }
        let e = m.run(&db).await.unwrap_err();
        match &e {
            Error::Migration { id, message } => {
                assert_eq!(id, &ids[1], "[{name}]");
                assert!(message.contains("step 2 of 2"), "[{name}] {message}");
            }
            other => panic!("[{name}] {other:?}"),
        }
        // The database is still usable.
        assert_eq!(f1::Row::query().count(&db).await.unwrap(), 3, "[{name}]");
        let st = m.status(&db).await.unwrap();
        if st.failed.is_empty() {
            // PostgreSQL and SQLite: nothing of it was applied.
            assert_eq!(st.pending, vec![ids[1].clone()], "[{name}]");
            let live = migrate::introspect(&db).await.unwrap();
            assert_eq!(live.normalized(db.backend()), s1.normalized(db.backend()), "[{name}] half-applied");
        } else {
            // MySQL commits every DDL statement: the migration is visibly failed at step 2 of 2.
            assert_eq!(st.failed, vec![ids[1].clone()], "[{name}]");
            let row = st.applied.iter().find(|a| a.id == ids[1]).unwrap();
            assert_eq!((row.state.as_str(), row.steps_done, row.steps_total), ("failed", 1, 2), "[{name}]");
            assert!(row.error.as_deref().is_some_and(|e| !e.is_empty()), "[{name}]");
            // The next run refuses until it is resolved.
            let again = m.run(&db).await.unwrap_err().to_string();
            assert!(again.contains("resolve"), "[{name}] {again}");
            // Undo its first step by hand, and say so.
            raw("ALTER TABLE mig_fail DROP COLUMN extra").execute(&db).await.unwrap();
            m.resolve(&db, &ids[1], Resolution::RolledBack).await.unwrap();
        }
        // Fix the data; the migration applies.
        raw("DELETE FROM mig_fail WHERE id = ?").bind(2_i64).execute(&db).await.unwrap();
        assert_eq!(m.run(&db).await.unwrap(), vec![ids[1].clone()], "[{name}]");
        let live = migrate::introspect(&db).await.unwrap();
        assert_eq!(live.normalized(db.backend()), s2.normalized(db.backend()), "[{name}]");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn migrate_data_migration_runs_in_the_transaction() {
    let (dir, ids) = parent_history("mig_data");
    let empty = migrate::make_empty(&dir, "backfill_rank").unwrap();
    let data_id = empty.file_stem().unwrap().to_string_lossy().into_owned();
    let up = migrate::data(|tx| {
        Box::pin(async move {
            tx.execute(raw("UPDATE mig_parent SET rank = 10 * id")).await?;
            let n: Vec<(i64,)> = tx.fetch_all(raw("SELECT COUNT(*) FROM mig_parent WHERE rank > 0")).await?;
            assert_eq!(n[0].0, 2);
            Ok(())
        })
    });
    let down = migrate::data(|tx| {
        Box::pin(async move {
            tx.execute(raw("UPDATE mig_parent SET rank = 0")).await?;
            Ok(())
        })
    });
    let m = Migrator::from_dir(&dir).unwrap().data_migration(&data_id, up, Some(down));
    for db in orm_tests::databases("mig_data").await {
        let name = db.backend().name();
        m.run_to(&db, &ids[1]).await.unwrap();
        for i in 1..=2 {
            p2::Parent { id: i, name: None, rank: 0 }.insert(&db).await.unwrap();
        }
        assert_eq!(m.run(&db).await.unwrap(), vec![data_id.clone()], "[{name}]");
        let ranks: Vec<i32> =
            p2::Parent::query().order_by(p2::Parent::ID.asc()).all(&db).await.unwrap().iter().map(|p| p.rank).collect();
        assert_eq!(ranks, vec![10, 20], "[{name}]");
        assert_eq!(m.revert(&db, &ids[1]).await.unwrap(), vec![data_id.clone()], "[{name}]");
        let ranks: Vec<i32> = p2::Parent::query().all(&db).await.unwrap().iter().map(|p| p.rank).collect();
        assert_eq!(ranks, vec![0, 0], "[{name}]");
        // A data migration without `down` cannot be reverted, and nothing is.
        let no_down = Migrator::from_dir(&dir).unwrap().data_migration(
            &data_id,
            migrate::data(|_| Box::pin(async { Ok(()) })),
            None,
        );
        no_down.run(&db).await.unwrap();
        let e = no_down.revert(&db, &ids[0]).await.unwrap_err().to_string();
        assert!(e.contains("down"), "[{name}] {e}");
        assert!(no_down.status(&db).await.unwrap().pending.is_empty(), "[{name}]");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn migrate_cli_commands() {
    let (dir, ids) = parent_history("mig_cli");
    let d = dir.to_string_lossy().into_owned();
    let schema =
        || Some(Schema::new().model::<p2::Parent>().model::<p2::Child>().default_value("mig_parent", "rank", "0"));
    let file = std::env::temp_dir().join(format!("mig_cli_{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    for db in orm_tests::databases("mig_cli").await {
        let b = db.backend();
        let name = b.name();
        let url = match b {
            orm_core::Backend::Sqlite => format!("sqlite://{}", file.display()),
            b => orm_tests::database_url(b, "mig_cli"),
        };
        let cli = |args: &[&str]| migrate::run_cli(schema(), args.iter().map(|s| (*s).to_owned()).collect());
        cli(&["migrate", "run", "--dir", &d, "--url", &url, "--to", &ids[0]]).await.unwrap();
        cli(&["migrate", "status", "--dir", &d, "--url", &url]).await.unwrap();
        cli(&["migrate", "run", "--dir", &d, "--url", &url]).await.unwrap();
        cli(&["migrate", "sql", &ids[1], "--dir", &d, "--backend", "mysql"]).await.unwrap();
        cli(&["check", "--dir", &d]).await.unwrap();
        cli(&["make", "nothing", "--dir", &d]).await.unwrap();
        cli(&["inspect", "--url", &url]).await.unwrap();
        assert!(cli(&["migrate", "fly"]).await.is_err(), "[{name}]");
        assert!(migrate::run_cli(None, vec!["check".into()]).await.is_err(), "[{name}] check needs the models");
        if b != orm_core::Backend::Sqlite {
            let st = Migrator::from_dir(&dir).unwrap().status(&db).await.unwrap();
            assert_eq!(st.applied.len(), 2, "[{name}] {st:?}");
        }
        cli(&["migrate", "revert", &ids[0], "--dir", &d, "--url", &url]).await.unwrap();
    }
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn migrate_run_dropped_midway_leaves_the_database_usable() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    // A run whose future is dropped while its migration is inside its transaction (a data step
    // that never finishes the first time): SQLite rolls back and turns foreign keys back on, on
    // the one connection of `sqlite::memory:` (closing it would drop the database); a server
    // connection is closed, so the server rolls back and releases the lock.
    let (dir, ids) = parent_history("mig_dropped");
    let empty = migrate::make_empty(&dir, "slow_backfill").unwrap();
    let data_id = empty.file_stem().unwrap().to_string_lossy().into_owned();
    let hang = Arc::new(AtomicBool::new(true));
    let started = Arc::new(tokio::sync::Notify::new());
    let (h, s) = (hang.clone(), started.clone());
    let up = migrate::data(move |tx| {
        let (h, s) = (h.clone(), s.clone());
        Box::pin(async move {
            tx.execute(raw("UPDATE mig_parent SET rank = 7")).await?;
            if h.load(Ordering::SeqCst) {
                s.notify_one();
                std::future::pending::<()>().await;
            }
            Ok(())
        })
    });
    let m = Migrator::from_dir(&dir).unwrap().data_migration(&data_id, up, None);
    for db in orm_tests::databases("mig_dropped").await {
        let name = db.backend().name();
        hang.store(true, Ordering::SeqCst);
        m.run_to(&db, &ids[1]).await.unwrap();
        p2::Parent { id: 1, name: Some("p".into()), rank: 0 }.insert(&db).await.unwrap();
        p2::Child { id: 0, parent_id: 1, label: "c".into() }.insert(&db).await.unwrap();
        {
            let run = m.run(&db);
            tokio::pin!(run);
            tokio::select! {
                r = &mut run => panic!("[{name}] the run finished: {r:?}"),
                _ = tokio::time::timeout(std::time::Duration::from_secs(60), started.notified()) => {}
            }
            // `run` is dropped here, mid-way.
        }
        // The database is still there, with its rows, and nothing of the dropped run.
        let parents = p2::Parent::query().all(&db).await.unwrap();
        assert_eq!(parents.iter().map(|p| p.rank).collect::<Vec<_>>(), vec![0], "[{name}]");
        // Foreign keys are enforced again.
        let orphan = p2::Child { id: 0, parent_id: 99, label: "x".into() }.insert(&db).await;
        assert!(matches!(orphan, Err(Error::ForeignKeyViolation(_))), "[{name}] {orphan:?}");
        if db.backend() == orm_core::Backend::Postgres {
            // No session is left idle in a transaction (the closed connection's is rolled back).
            let mut idle = -1_i64;
            for _ in 0..100 {
                idle = raw("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND state LIKE 'idle in transaction%'")
                .fetch_scalar::<i64>(&db)
                .await
                .unwrap()
                .unwrap();
                if idle == 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert_eq!(idle, 0, "[{name}] a session is idle in transaction");
        }
        let st = m.status(&db).await.unwrap();
        if !st.failed.is_empty() {
            // MySQL records progress as it goes: the interrupted migration is visibly not applied;
            // its data step's transaction was rolled back, so forget it.
            assert_eq!(st.failed, vec![data_id.clone()], "[{name}]");
            m.resolve(&db, &data_id, Resolution::RolledBack).await.unwrap();
        } else {
            assert_eq!(st.pending, vec![data_id.clone()], "[{name}]");
        }
        // A new run completes.
        hang.store(false, Ordering::SeqCst);
        assert_eq!(m.run(&db).await.unwrap(), vec![data_id.clone()], "[{name}]");
        let parents = p2::Parent::query().all(&db).await.unwrap();
        assert_eq!(parents.iter().map(|p| p.rank).collect::<Vec<_>>(), vec![7], "[{name}]");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn migrate_sqlite_rebuild_keeps_views_and_triggers() {
    // SQLite's rebuild drops the table, which drops its triggers, and its rename fails on a view
    // naming a table that is gone: the migrator drops the views and triggers that refer to the
    // table and creates them again after the rebuild, in the same transaction.
    let (dir, ids) = parent_history("mig_dependents");
    let m = Migrator::from_dir(&dir).unwrap();
    for db in orm_tests::databases("mig_dependents").await {
        let name = db.backend().name();
        m.run_to(&db, &ids[0]).await.unwrap();
        raw("CREATE VIEW mig_parent_names AS SELECT id, name FROM mig_parent").execute(&db).await.unwrap();
        raw("CREATE TABLE mig_audit (parent_id BIGINT, what VARCHAR(20))").execute(&db).await.unwrap();
        let trigger = if db.backend() == orm_core::Backend::Postgres {
            raw("CREATE FUNCTION mig_audit_fn() RETURNS trigger AS $$ BEGIN INSERT INTO mig_audit VALUES (NEW.id, 'insert'); RETURN NEW; END $$ LANGUAGE plpgsql")
                .execute(&db)
                .await
                .unwrap();
            "CREATE TRIGGER mig_parent_audit AFTER INSERT ON mig_parent FOR EACH ROW EXECUTE FUNCTION mig_audit_fn()"
        } else if db.backend() == orm_core::Backend::MySql {
            "CREATE TRIGGER mig_parent_audit AFTER INSERT ON mig_parent FOR EACH ROW INSERT INTO mig_audit VALUES (NEW.id, 'insert')"
        } else {
            "CREATE TRIGGER mig_parent_audit AFTER INSERT ON mig_parent BEGIN INSERT INTO mig_audit VALUES (NEW.id, 'insert'); END"
        };
        raw(trigger).execute(&db).await.unwrap();
        p1::Parent { id: 1, name: "a".into() }.insert(&db).await.unwrap();
        // The rebuild (SQLite) or the ALTERs (the servers).
        m.run(&db).await.unwrap();
        p2::Parent { id: 2, name: Some("b".into()), rank: 0 }.insert(&db).await.unwrap();
        let names: Vec<String> = raw("SELECT name FROM mig_parent_names ORDER BY id").fetch_scalars(&db).await.unwrap();
        assert_eq!(names, vec!["a", "b"], "[{name}] the view");
        let audited: Vec<i64> =
            raw("SELECT parent_id FROM mig_audit ORDER BY parent_id").fetch_scalars(&db).await.unwrap();
        assert_eq!(audited, vec![1, 2], "[{name}] the trigger");
        // And back: reverting rebuilds the table again (SQLite) and keeps them too.
        m.revert(&db, &ids[0]).await.unwrap();
        p1::Parent { id: 3, name: "c".into() }.insert(&db).await.unwrap();
        let names: Vec<String> = raw("SELECT name FROM mig_parent_names ORDER BY id").fetch_scalars(&db).await.unwrap();
        assert_eq!(names, vec!["a", "b", "c"], "[{name}] the view after the revert");
        let n: Vec<i64> = raw("SELECT COUNT(*) FROM mig_audit").fetch_scalars(&db).await.unwrap();
        assert_eq!(n, vec![3], "[{name}] the trigger after the revert");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
