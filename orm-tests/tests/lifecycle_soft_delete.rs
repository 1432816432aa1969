//! `#[orm(soft_delete)]`: `delete` marks the row, and every read path skips it (queries, `find`,
//! counts, `exists`, aggregates, relation loads and filters, `get_or_create`) unless asked
//! (`with_deleted`, `only_deleted`); `restore` and `force_delete`. Same code on every backend.

use chrono::{DateTime, Utc};
use orm_core::prelude::*;
use orm_core::raw;
use orm_tests::each_backend;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ty_owner")]
pub struct Owner {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[orm(soft_delete)]
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ty_item")]
pub struct Item {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Owner)]
    pub owner_id: i64,
    pub label: String,
    pub weight: i32,
    #[orm(soft_delete)]
    pub deleted_at: Option<DateTime<Utc>>,
}

async fn seed(db: &Db) -> orm_core::Result<(Owner, Owner, Vec<Item>)> {
    Owner::create_table(db).await?;
    Item::create_table(db).await?;
    let mut ann = Owner { id: 0, name: "ann".into(), deleted_at: None };
    ann.save(db).await?;
    let mut bob = Owner { id: 0, name: "bob".into(), deleted_at: None };
    bob.save(db).await?;
    let mut items = Vec::new();
    for (owner, label, weight) in [(ann.id, "a1", 1), (ann.id, "a2", 2), (bob.id, "b1", 10)] {
        let mut it = Item { id: 0, owner_id: owner, label: label.into(), weight, deleted_at: None };
        it.save(db).await?;
        items.push(it);
    }
    Ok((ann, bob, items))
}

#[tokio::test]
async fn soft_deleted_rows_are_skipped_everywhere() {
    each_backend!("ty_soft_reads", |db| {
        let (ann, bob, items) = seed(&db).await?;
        let (a2, b1) = (items[1].clone(), items[2].clone());
        assert!(a2.delete(&db).await?);
        assert!(!a2.delete(&db).await?, "already deleted");

        // The row is still there, marked.
        let t = if db.backend() == orm_core::Backend::MySql { "`ty_item`" } else { "\"ty_item\"" };
        let marked: Option<i64> =
            raw(format!("SELECT COUNT(*) FROM {t} WHERE deleted_at IS NOT NULL")).fetch_scalar(&db).await?;
        assert_eq!(marked, Some(1));

        assert_eq!(Item::find(&db, a2.id).await?, None);
        assert_eq!(Item::query().count(&db).await?, 2);
        assert_eq!(Item::query().with_deleted().count(&db).await?, 3);
        let only: Vec<i64> = Item::query().only_deleted().all(&db).await?.iter().map(|i| i.id).collect();
        assert_eq!(only, vec![a2.id]);
        assert!(only.iter().all(|_| true));
        assert!(!Item::query().filter(Item::LABEL.eq("a2")).exists(&db).await?);
        assert!(Item::query().with_deleted().filter(Item::LABEL.eq("a2")).exists(&db).await?);
        let (n, total, max) = Item::query().aggregate(&db, (count(), Item::WEIGHT.sum(), Item::WEIGHT.max())).await?;
        assert_eq!((n, total, max), (2, Some(11), Some(10)));
        let per_owner: Vec<(i64, i64)> = Item::query()
            .select((Item::OWNER_ID, count()))
            .group_by(Item::OWNER_ID)
            .order_by(Item::OWNER_ID.asc())
            .all(&db)
            .await?;
        assert_eq!(per_owner, vec![(ann.id, 1), (bob.id, 1)]);

        // Relation loads and filters.
        let loaded = Owner::query().order_by(Owner::ID.asc()).all(&db).await?.with_children::<Item>(&db).await?;
        let labels: Vec<Vec<String>> =
            loaded.iter().map(|(_, its)| its.iter().map(|i| i.label.clone()).collect()).collect();
        assert_eq!(labels, vec![vec!["a1".to_owned()], vec!["b1".to_owned()]]);
        assert_eq!(Item::OWNER.children_of(&ann).count(&db).await?, 1);
        items[0].delete(&db).await?;
        assert_eq!(Owner::query().filter(Item::OWNER.any()).all(&db).await?, vec![bob.clone()]);
        assert_eq!(Owner::query().filter(Item::OWNER.none()).all(&db).await?, vec![ann.clone()]);

        bob.delete(&db).await?;
        assert!(matches!(Item::OWNER.parent_of(&db, &b1).await, Err(Error::NotFound { .. })));
        assert_eq!(Item::query().filter(Item::OWNER.has(Owner::NAME.eq("bob"))).count(&db).await?, 0);
        let with_parents = Item::query().with_deleted().all(&db).await?;
        assert_eq!(with_parents.len(), 3);

        // get_or_create does not return a deleted row.
        let (fresh, created) = Owner::query()
            .filter(Owner::NAME.eq("bob"))
            .get_or_create(&db, || Owner { id: 0, name: "bob".into(), deleted_at: None })
            .await?;
        assert!(created && fresh.id != bob.id, "{fresh:?}");
        Ok(())
    });
}

#[tokio::test]
async fn set_based_delete_restore_and_force_delete() {
    each_backend!("ty_soft_writes", |db| {
        let (ann, _bob, items) = seed(&db).await?;
        assert_eq!(Item::query().filter(Item::OWNER_ID.eq(ann.id)).delete(&db).await?, 2);
        assert_eq!(Item::query().count(&db).await?, 1);
        assert_eq!(Item::query().with_deleted().count(&db).await?, 3);
        // Already deleted rows do not count again.
        assert_eq!(Item::query().filter(Item::OWNER_ID.eq(ann.id)).delete(&db).await?, 0);

        let mut a1 = Item::query().only_deleted().filter(Item::LABEL.eq("a1")).first(&db).await?.expect("a1");
        assert!(a1.deleted_at.is_some());
        assert!(a1.restore(&db).await?);
        assert_eq!(a1.deleted_at, None);
        assert_eq!(Item::find(&db, a1.id).await?, Some(a1.clone()));
        assert!(!a1.restore(&db).await?, "not deleted");

        // force_delete removes the row; Query::force_delete the matching rows (live ones by
        // default, every one with with_deleted).
        assert!(items[2].force_delete(&db).await?);
        assert_eq!(Item::query().with_deleted().count(&db).await?, 2);
        assert_eq!(Item::query().with_deleted().force_delete(&db).await?, 2);
        assert_eq!(Item::query().with_deleted().count(&db).await?, 0);
        Ok(())
    });
}
