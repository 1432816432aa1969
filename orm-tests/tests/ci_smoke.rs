//! A smoke test of the CI setup: in CI every backend must be reachable, and the basic calls work
//! on each. The full cross-backend suite lives in the other files of this directory.

use orm_core::prelude::*;
use orm_tests::each_backend;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ci_smoke_items")]
pub struct Item {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique)]
    pub name: String,
    pub qty: Option<i32>,
}

#[tokio::test]
async fn ci_smoke_every_backend_in_ci() {
    let dbs = orm_tests::databases("ci_smoke_every_backend").await;
    let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if in_ci {
        assert_eq!(dbs.len(), 3, "CI must run every backend");
    }
    assert!(dbs.iter().any(|db| db.backend() == orm_core::Backend::Sqlite));
}

#[tokio::test]
async fn ci_smoke_roundtrip() {
    each_backend!("ci_smoke_roundtrip", |db| {
        Item::create_table(&db).await?;
        let mut a = Item { id: 0, name: "a".into(), qty: Some(2) };
        a.save(&db).await?;
        assert_ne!(a.id, 0);
        assert_eq!(Item::find(&db, a.id).await?, Some(a.clone()));
        let found = Item::query().filter(Item::QTY.gte(1)).all(&db).await?;
        assert_eq!(found, vec![a.clone()]);
        assert!(a.delete(&db).await?);
        Item::drop_table(&db).await?;
        Ok(())
    });
}

/// The benchmark program (src/bin/bench) still runs: `--quick` on SQLite in memory with the raw
/// sqlx formulations and the ORM, and the smallest point of each scaling series on the SQLite
/// file. A smoke test that it runs and prints its tables, never a timing (CI's debug build).
#[test]
fn ci_smoke_bench_quick_runs() {
    let prefix = std::env::var("ORM_TEST_DB_PREFIX").unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("{prefix}bench_smoke_{}", std::process::id()));
    let bench = env!("CARGO_BIN_EXE_bench");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bench).args(args).env("BENCH_DIR", &dir).output().expect("run the bench");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "bench {args:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        stdout
    };
    let contenders = "raw,raw-map,raw-stream,raw-as,ours,ours-trace-info";
    let tables = run(&["--quick", "--targets", "sqlite-mem", "--contenders", contenders]);
    assert!(tables.contains("| select 1,000 rows x20 |"), "{tables}");
    let csv = dir.join("scale.csv");
    run(&["--scale", "--quick", "--targets", "sqlite-file", "--csv", csv.to_str().unwrap()]);
    let points = std::fs::read_to_string(&csv).expect("the scaling CSV");
    // A header, then raw and ORM for each of the 5 quick points (2 select sizes, 3 others).
    assert_eq!(points.lines().count(), 1 + 2 * 5, "{points}");
    let _ = std::fs::remove_dir_all(&dir);
}
