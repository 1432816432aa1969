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
