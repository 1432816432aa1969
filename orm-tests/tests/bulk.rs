//! Multi-row writes on every backend: `insert_many`, `insert_many_with_keys`, `upsert`,
//! `upsert_many`, their chunking under the bind-parameter limit, and their transactions.

use orm_core::prelude::*;
use orm_core::{Backend, raw};
use orm_tests::each_backend;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "item")]
pub struct Item {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique, max_length = 64)]
    pub code: String,
    pub qty: i32,
    pub note: Option<String>,
}

fn item(i: usize) -> Item {
    Item { id: 0, code: format!("c{i}"), qty: i as i32, note: i.is_multiple_of(3).then(|| format!("n{i}")) }
}

fn items(n: usize) -> Vec<Item> {
    (0..n).map(item).collect()
}

async fn count(db: &Db) -> Result<u64> {
    Item::query().count(db).await
}

/// Rows per statement for `Item` without its key (3 columns).
fn chunk(b: Backend) -> usize {
    b.max_params() / 3
}

#[tokio::test]
async fn bulk_insert_many_zero_and_one() {
    each_backend!("bulk_zero_one", |db| {
        Item::create_table(&db).await?;
        let before = db.statement_count();
        assert_eq!(Item::insert_many(&db, &[]).await?, 0);
        assert_eq!(db.statement_count(), before, "no rows, no statement");

        let before = db.statement_count();
        assert_eq!(Item::insert_many(&db, &items(1)).await?, 1);
        assert_eq!(db.statement_count() - before, 1, "one row: one INSERT, no transaction");
        let all = Item::query().all(&db).await?;
        assert_eq!(all.len(), 1);
        assert!(all[0].id > 0);
        assert_eq!(Item { id: 0, ..all[0].clone() }, item(0));
        Ok(())
    });
}

#[tokio::test]
async fn bulk_insert_many_chunks() {
    each_backend!("bulk_chunks", |db| {
        Item::create_table(&db).await?;
        // 40,000 rows x 3 values: more than one statement's worth on every backend.
        let n = 40_000;
        let rows = items(n);
        let chunks = n.div_ceil(chunk(db.backend()));
        assert!(chunks > 1);
        let before = db.statement_count();
        assert_eq!(Item::insert_many(&db, &rows).await?, n as u64);
        // ceil(n / chunk) INSERTs, plus BEGIN and COMMIT of the transaction that holds them.
        assert_eq!(db.statement_count() - before, chunks as u64 + 2);
        assert_eq!(count(&db).await?, n as u64);

        let mut got = Item::query().order_by(Item::ID.asc()).all(&db).await?;
        assert_eq!(got.len(), n);
        // Rows are inserted in order: generated keys ascend with the row number.
        assert!(got.windows(2).all(|w| w[0].id < w[1].id));
        for (i, g) in got.iter_mut().enumerate() {
            g.id = 0;
            assert_eq!(*g, item(i));
        }
        Ok(())
    });
}

#[tokio::test]
async fn bulk_insert_many_is_atomic() {
    each_backend!("bulk_atomic", |db| {
        Item::create_table(&db).await?;
        let n = 40_000;
        let mut rows = items(n);
        // The very last row (in the last chunk) duplicates the first row's unique code.
        rows[n - 1].code = "c0".into();
        let err = Item::insert_many(&db, &rows).await.unwrap_err();
        assert!(matches!(err, Error::UniqueViolation(_)), "{err}");
        assert_eq!(count(&db).await?, 0, "the earlier chunks were rolled back");

        // A failure inside one statement: nothing of it stays either.
        let rows = vec![item(1), item(2), item(1)];
        assert!(matches!(Item::insert_many(&db, &rows).await, Err(Error::UniqueViolation(_))));
        assert_eq!(count(&db).await?, 0);

        // A value the backend cannot store fails before anything is sent.
        #[derive(Model, Debug, Clone)]
        #[orm(table = "floats")]
        struct Floats {
            #[orm(primary_key)]
            id: i64,
            x: f64,
        }
        Floats::create_table(&db).await?;
        let mut fl: Vec<Floats> = (0..40_000).map(|i| Floats { id: 0, x: i as f64 }).collect();
        fl[39_999].x = f64::NAN;
        let r = Floats::insert_many(&db, &fl).await;
        if db.backend() == Backend::Postgres {
            assert_eq!(r?, 40_000);
        } else {
            assert!(matches!(r, Err(Error::InvalidValue(_))));
            assert_eq!(Floats::query().count(&db).await?, 0);
        }
        Ok(())
    });
}

#[tokio::test]
async fn bulk_insert_many_in_callers_tx() {
    each_backend!("bulk_in_tx", |db| {
        Item::create_table(&db).await?;
        let n = 40_000;
        let rows = items(n);
        let chunks = n.div_ceil(chunk(db.backend())) as u64;

        let mut tx = db.begin().await?;
        let before = db.statement_count();
        assert_eq!(Item::insert_many(&mut tx, &rows).await?, n as u64);
        assert_eq!(db.statement_count() - before, chunks, "no BEGIN/COMMIT of its own in a Tx");
        assert_eq!(Item::query().count(&mut tx).await?, n as u64);
        tx.rollback().await?;
        assert_eq!(count(&db).await?, 0, "the caller's rollback undid it");

        let mut tx = db.begin().await?;
        Item::insert_many(&mut tx, &rows[..10]).await?;
        Item::insert_many(&mut tx, &rows[10..]).await?;
        tx.commit().await?;
        assert_eq!(count(&db).await?, n as u64);
        Ok(())
    });
}

#[tokio::test]
async fn bulk_insert_many_with_keys() {
    each_backend!("bulk_with_keys", |db| {
        Item::create_table(&db).await?;
        // A few rows first so the keys do not start at 1.
        Item::insert_many(&db, &items(5)).await?;
        let n = 40_000;
        let mut rows: Vec<Item> = (5..5 + n).map(item).collect();
        assert_eq!(Item::insert_many_with_keys(&db, &mut rows).await?, n as u64);
        assert!(rows.iter().all(|r| r.id > 0));
        let stored = Item::query().filter(Item::ID.gt(0)).order_by(Item::ID.asc()).all(&db).await?;
        assert_eq!(&stored[5..], &rows[..], "every filled key is the key of that very row");

        // Mixed rows: explicit keys (far above the generated ones) and unset keys, in runs.
        let mut mixed = vec![
            Item { id: 1_000_001, ..item(100_001) },
            item(100_002),
            item(100_003),
            Item { id: 1_000_004, ..item(100_004) },
            item(100_005),
        ];
        let before = db.statement_count();
        assert_eq!(Item::insert_many_with_keys(&db, &mut mixed).await?, 5);
        let extra = if db.backend() == Backend::MySql { 1 } else { 0 }; // SELECT @@auto_increment_increment
        // PostgreSQL: one more to move the identity sequence past the explicit keys.
        let sync = u64::from(db.backend().sync_generated_key_sql().is_some());
        assert_eq!(db.statement_count() - before, 4 + 2 + extra + sync, "4 runs in one transaction");
        assert_eq!(mixed[0].id, 1_000_001);
        assert_eq!(mixed[3].id, 1_000_004);
        for m in &mixed {
            assert_eq!(Item::find(&db, m.id).await?.as_ref(), Some(m));
        }

        // A failed call leaves the rows' keys unset.
        let mut bad = vec![item(200_000), item(200_000)];
        assert!(Item::insert_many_with_keys(&db, &mut bad).await.is_err());
        assert!(bad.iter().all(|r| r.id == 0));
        Ok(())
    });
}

#[tokio::test]
async fn bulk_upsert_inserts_then_updates() {
    each_backend!("bulk_upsert", |db| {
        Item::create_table(&db).await?;
        // A key that is set: the first upsert inserts, the second updates.
        let mut a = Item { id: 1_000, ..item(1) };
        a.upsert(&db).await?;
        assert_eq!(Item::find(&db, 1_000).await?.as_ref(), Some(&a));
        a.qty = 77;
        a.note = None;
        let before = db.statement_count();
        a.upsert(&db).await?;
        // One statement, no transaction (plus, on PostgreSQL, the identity sequence's sync).
        let sync = u64::from(db.backend().sync_generated_key_sql().is_some());
        assert_eq!(db.statement_count() - before, 1 + sync, "one statement, no transaction");
        assert_eq!(Item::find(&db, 1_000).await?.as_ref(), Some(&a));
        assert_eq!(count(&db).await?, 1);

        // An unset generated key: a plain insert that fills the key.
        let mut b = item(2);
        b.upsert(&db).await?;
        assert!(b.id > 0 && b.id != 1_000);
        assert_eq!(Item::find(&db, b.id).await?.as_ref(), Some(&b));
        assert_eq!(count(&db).await?, 2);
        Ok(())
    });
}

#[tokio::test]
async fn bulk_upsert_many() {
    each_backend!("bulk_upsert_many", |db| {
        Item::create_table(&db).await?;
        let n = 40_000;
        // Explicit keys far above the generated ones.
        let key = |i: usize| i as i64 + 1_000_000;
        let mut rows: Vec<Item> = (0..n).map(|i| Item { id: key(i), ..item(i) }).collect();
        assert_eq!(Item::upsert_many(&db, &rows).await?, n as u64);
        assert_eq!(count(&db).await?, n as u64);

        // Update every other row, add new ones; all in one call that needs several statements.
        for r in rows.iter_mut().step_by(2) {
            r.qty = -r.qty;
            r.note = Some("updated".into());
        }
        rows.extend((n..n + 100).map(|i| Item { id: key(i), ..item(i) }));
        let before = db.statement_count();
        assert_eq!(Item::upsert_many(&db, &rows).await?, rows.len() as u64);
        let chunk = db.backend().max_params() / 4; // with the key: 4 values a row
        let sync = u64::from(db.backend().sync_generated_key_sql().is_some());
        assert_eq!(db.statement_count() - before, rows.len().div_ceil(chunk) as u64 + 2 + sync);
        let stored = Item::query().order_by(Item::ID.asc()).all(&db).await?;
        assert_eq!(stored, rows);

        // Rows with an unset generated key are inserted.
        let fresh = vec![item(500_000), item(500_001)];
        assert_eq!(Item::upsert_many(&db, &fresh).await?, 2);
        assert_eq!(count(&db).await?, n as u64 + 102);
        Ok(())
    });
}

/// `ON DUPLICATE KEY UPDATE` (MySQL) fires on any unique key; `ON CONFLICT (pk)` does not.
#[tokio::test]
async fn bulk_upsert_on_another_unique_key() {
    each_backend!("bulk_upsert_unique", |db| {
        Item::create_table(&db).await?;
        Item { id: 1, ..item(1) }.upsert(&db).await?;
        // Another key, the same unique code as row 1.
        let mut dup = Item { id: 2, qty: 99, ..item(1) };
        let r = dup.upsert(&db).await;
        if db.backend() == Backend::MySql {
            r?;
            let row1 = Item::find(&db, 1).await?.expect("row 1");
            assert_eq!(row1.qty, 99, "MySQL updated the row holding the duplicate code");
            assert_eq!(count(&db).await?, 1);
        } else {
            assert!(matches!(r, Err(Error::UniqueViolation(_))), "{r:?}");
        }
        Ok(())
    });
}

/// A model with nothing but a generated key inserts one `DEFAULT VALUES` row a statement.
#[tokio::test]
async fn bulk_key_only_model() {
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "ticket")]
    struct Ticket {
        #[orm(primary_key)]
        id: Option<i64>,
    }
    each_backend!("bulk_key_only", |db| {
        Ticket::create_table(&db).await?;
        let mut t = vec![Ticket { id: None }; 3];
        assert_eq!(Ticket::insert_many_with_keys(&db, &mut t).await?, 3);
        let ids: Vec<i64> = t.iter().map(|t| t.id.expect("key")).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(Ticket::insert_many(&db, &[Ticket { id: None }, Ticket { id: Some(100) }]).await?, 2);
        Ticket { id: Some(100) }.upsert(&db).await?;
        Ticket::upsert_many(&db, &[Ticket { id: Some(100) }, Ticket { id: Some(101) }]).await?;
        let n = raw("SELECT COUNT(*) FROM ticket").fetch_scalar::<i64>(&db).await?;
        assert_eq!(n, Some(6));
        Ok(())
    });
}

/// The decode paths the bulk benchmark tuned: PostgreSQL and MySQL check a column's type on the
/// first row of a result set that reads it; SQLite converts with its own rules; NULL in a
/// non-`Option` field is an error everywhere.
#[tokio::test]
async fn bulk_decode_type_checks() {
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "bulk_mixed")]
    struct Mixed {
        #[orm(primary_key)]
        id: i64,
        n: i64,
    }
    #[derive(Model, Debug, Clone, PartialEq)]
    #[orm(table = "bulk_mixed")]
    struct MixedText {
        #[orm(primary_key)]
        id: i64,
        n: Option<String>,
    }
    each_backend!("bulk_decode", |db| {
        raw("CREATE TABLE bulk_mixed (id BIGINT PRIMARY KEY, n TEXT)").execute(&db).await?;
        raw("INSERT INTO bulk_mixed (id, n) VALUES (1, '12'), (2, '13'), (3, NULL)").execute(&db).await?;
        let texts = MixedText::query().order_by(MixedText::ID.asc()).all(&db).await?;
        assert_eq!(texts.iter().map(|t| t.n.clone()).collect::<Vec<_>>(), [Some("12".into()), Some("13".into()), None]);

        // Text read into an integer field is an error on every backend (SQLite too, although it
        // types values, not columns and would convert '12' to 12): never a silent conversion.
        let two = Mixed::query().filter(Mixed::ID.lte(2)).order_by(Mixed::ID.asc()).all(&db).await;
        assert!(matches!(two, Err(Error::Decode { .. })), "{two:?}");
        let null = Mixed::find(&db, 3).await;
        assert!(matches!(null, Err(Error::Decode { .. })), "NULL into i64: {null:?}");
        Ok(())
    });
}

/// Set-based delete is one statement whatever it matches: it never loads the rows.
#[tokio::test]
async fn bulk_query_delete_never_loads_rows() {
    each_backend!("bulk_query_delete", |db| {
        Item::create_table(&db).await?;
        Item::insert_many(&db, &items(1_000)).await?;
        let before = db.statement_count();
        assert_eq!(Item::query().filter(Item::QTY.lt(500)).delete(&db).await?, 500);
        assert_eq!(db.statement_count() - before, 1);
        let before = db.statement_count();
        let n = Item::query().filter(Item::QTY.gte(500)).order_by(Item::QTY.desc()).limit(100).delete(&db).await?;
        assert_eq!(n, 100);
        assert_eq!(db.statement_count() - before, 1, "ordered and limited: still one statement");
        assert_eq!(count(&db).await?, 400);
        assert_eq!(Item::query().order_by(Item::QTY.desc()).first(&db).await?.map(|i| i.qty), Some(899));
        Ok(())
    });
}

#[tokio::test]
async fn bulk_explicit_keys_then_generated_keys() {
    // Explicit keys written by insert_many/upsert_many into a generated key column do not collide
    // with keys the database generates later (PostgreSQL's sequence is advanced by the ORM).
    each_backend!("bulk_explicit_then_generated", |db| {
        Item::create_table(&db).await?;
        let explicit: Vec<Item> = (0..5).map(|i| Item { id: 100 + i as i64, ..item(i) }).collect();
        assert_eq!(Item::insert_many(&db, &explicit).await?, 5);
        let upserted: Vec<Item> = (5..8).map(|i| Item { id: 200 + i as i64, ..item(i) }).collect();
        Item::upsert_many(&db, &upserted).await?;
        let mut next = item(50);
        next.insert(&db).await?;
        assert!(next.id > 207, "generated key {} after explicit keys up to 207", next.id);
        let mut generated: Vec<Item> = (60..63).map(item).collect();
        Item::insert_many_with_keys(&db, &mut generated).await?;
        assert!(generated.iter().all(|g| g.id > next.id), "{generated:?}");
        assert_eq!(count(&db).await?, 12);
        Ok(())
    });
}
