//! Constraint violations and unreadable values map to the right `Error` variant, naming the table
//! and the column or constraint where the database says which, on SQLite, PostgreSQL and MariaDB.

use orm_core::prelude::*;
use orm_core::{Backend, ConstraintInfo};
use orm_tests::each_backend;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "members")]
pub struct Member {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique)]
    pub email: String,
    pub name: String,
}

fn member(email: &str) -> Member {
    Member { id: 0, email: email.into(), name: "M".into() }
}

/// The violation's details, or a panic naming what came instead.
fn unique_info(r: Result<()>, what: &str) -> ConstraintInfo {
    match r {
        Err(Error::UniqueViolation(info)) => info,
        other => panic!("{what}: expected UniqueViolation, got {other:?}"),
    }
}

#[tokio::test]
async fn errors_unique_violation_names_table_and_column() {
    each_backend!("errors_unique", |db| {
        Member::create_table(&db).await?;
        let b = db.backend().name();
        member("ann@x.io").save(&db).await?;
        let err = member("ann@x.io").save(&db).await;
        let msg = format!("{}", err.as_ref().unwrap_err());
        let info = unique_info(err, b);
        assert_eq!(info.table.as_deref(), Some("members"), "[{b}] {info:?}");
        let names_email =
            info.column.as_deref() == Some("email") || info.constraint.as_deref().is_some_and(|c| c.contains("email"));
        assert!(names_email, "[{b}] the column or constraint is named: {info:?}");
        if db.backend() != Backend::MySql {
            // SQLite says "members.email"; PostgreSQL's detail says "Key (email)=(...)".
            assert_eq!(info.column.as_deref(), Some("email"), "[{b}] {info:?}");
        }
        assert!(msg.contains("members") && msg.contains("email"), "[{b}] message: {msg}");
        assert!(!info.message.is_empty());

        // The same through update, and the Db is still fine afterwards.
        let mut bob = member("bob@x.io");
        bob.save(&db).await?;
        bob.email = "ann@x.io".into();
        unique_info(bob.update(&db).await, "update");
        unique_info(bob.save(&db).await, "save");
        assert_eq!(Member::query().count(&db).await?, 2);
        Ok(())
    });
}

#[tokio::test]
async fn errors_duplicate_primary_key_is_a_unique_violation() {
    each_backend!("errors_duplicate_key", |db| {
        Member::create_table(&db).await?;
        let b = db.backend().name();
        let mut a = member("a@x.io");
        a.save(&db).await?;
        let mut again = Member { id: a.id, ..member("other@x.io") };
        let info = unique_info(again.insert(&db).await, b);
        assert_eq!(info.table.as_deref(), Some("members"), "[{b}] {info:?}");
        match db.backend() {
            // "UNIQUE constraint failed: members.id" / "Key (id)=(1) already exists."
            Backend::Sqlite | Backend::Postgres => {
                assert_eq!(info.column.as_deref(), Some("id"), "[{b}] {info:?}")
            }
            // "Duplicate entry '1' for key 'PRIMARY'"
            Backend::MySql => assert_eq!(info.constraint.as_deref(), Some("PRIMARY"), "[{b}] {info:?}"),
        }
        if db.backend() == Backend::Postgres {
            assert_eq!(info.constraint.as_deref(), Some("members_pkey"));
        }
        // Inside a transaction too.
        let mut tx = db.begin().await?;
        let info = unique_info(again.insert(&mut tx).await, b);
        assert_eq!(info.table.as_deref(), Some("members"));
        tx.rollback().await?;
        Ok(())
    });
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "accounts")]
pub struct Account {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "posts")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Account)]
    pub account_id: i64,
    pub title: String,
}

#[tokio::test]
async fn errors_foreign_key_violation() {
    each_backend!("errors_foreign_key", |db| {
        Account::create_table(&db).await?;
        Post::create_table(&db).await?;
        let b = db.backend().name();
        let mut acc = Account { id: 0, name: "A".into() };
        acc.save(&db).await?;
        let mut ok = Post { id: 0, account_id: acc.id, title: "fine".into() };
        ok.save(&db).await?;

        // A child whose parent does not exist.
        let mut orphan = Post { id: 0, account_id: acc.id + 1000, title: "orphan".into() };
        let err = orphan.save(&db).await.unwrap_err();
        let msg = err.to_string();
        let info = match err {
            Error::ForeignKeyViolation(info) => info,
            e => panic!("[{b}] expected ForeignKeyViolation, got {e:?}"),
        };
        assert_eq!(info.table.as_deref(), Some("posts"), "[{b}] {info:?}");
        if db.backend() != Backend::Sqlite {
            // SQLite only says "FOREIGN KEY constraint failed".
            assert_eq!(info.column.as_deref(), Some("account_id"), "[{b}] {info:?}");
            assert!(info.constraint.is_some(), "[{b}] {info:?}");
            assert!(msg.contains("account_id"), "[{b}] {msg}");
        }
        assert!(msg.contains("posts"), "[{b}] {msg}");
        assert_eq!(orphan.id, 0, "[{b}] no key was read back for a failed insert");
        assert_eq!(Post::query().count(&db).await?, 1);

        // Re-pointing a child at a missing parent.
        ok.account_id = -5;
        let err = ok.update(&db).await.unwrap_err();
        assert!(matches!(err, Error::ForeignKeyViolation(_)), "[{b}] {err:?}");

        // Deleting a parent that still has children (no ON DELETE action).
        let err = acc.delete(&db).await.unwrap_err();
        match &err {
            Error::ForeignKeyViolation(info) => assert!(info.table.is_some(), "[{b}] {info:?}"),
            e => panic!("[{b}] expected ForeignKeyViolation, got {e:?}"),
        }
        let err = Account::query().delete(&db).await.unwrap_err();
        assert!(matches!(err, Error::ForeignKeyViolation(_)), "[{b}] {err:?}");
        assert!(Account::find(&db, acc.id).await?.is_some());
        Ok(())
    });
}

/// Two views of one table: `Strict` created it with NOT NULL, `Loose` writes NULL into it.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "strict_rows")]
pub struct Strict {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "strict_rows")]
pub struct Loose {
    #[orm(primary_key)]
    pub id: i64,
    pub name: Option<String>,
}

#[tokio::test]
async fn errors_not_null_violation() {
    each_backend!("errors_not_null", |db| {
        Strict::create_table(&db).await?;
        let b = db.backend().name();
        let err = Loose { id: 0, name: None }.save(&db).await.unwrap_err();
        let msg = err.to_string();
        match err {
            Error::NotNullViolation(info) => {
                assert_eq!(info.table.as_deref(), Some("strict_rows"), "[{b}] {info:?}");
                assert_eq!(info.column.as_deref(), Some("name"), "[{b}] {info:?}");
            }
            e => panic!("[{b}] expected NotNullViolation, got {e:?}"),
        }
        assert!(msg.contains("strict_rows") && msg.contains("name"), "[{b}] {msg}");

        // Through an update too.
        let mut s = Strict { id: 0, name: "x".into() };
        s.save(&db).await?;
        let err = Loose { id: s.id, name: None }.update(&db).await.unwrap_err();
        assert!(matches!(err, Error::NotNullViolation(_)), "[{b}] {err:?}");
        assert_eq!(Strict::find(&db, s.id).await?, Some(s));
        Ok(())
    });
}

/// Three views of the table `mixed`: the column `v` as text, as a 32-bit and as a wide integer.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "mixed")]
pub struct TextV {
    #[orm(primary_key)]
    pub id: i64,
    pub v: Option<String>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "mixed")]
pub struct IntV {
    #[orm(primary_key)]
    pub id: i64,
    pub v: i32,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "wide")]
pub struct WideV {
    #[orm(primary_key)]
    pub id: i64,
    pub v: i64,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "wide")]
pub struct NarrowV {
    #[orm(primary_key)]
    pub id: i64,
    pub v: i8,
}

fn assert_decode(r: Result<impl std::fmt::Debug>, table: &str, column: &str, b: &str) {
    match r {
        Err(e @ Error::Decode { .. }) => {
            let msg = e.to_string();
            let Error::Decode { table: t, column: c, .. } = &e else { unreachable!() };
            assert_eq!((t.as_str(), c.as_str()), (table, column), "[{b}] {e:?}");
            assert!(msg.contains(column) && msg.contains(table), "[{b}] message: {msg}");
            assert!(std::error::Error::source(&e).is_some(), "[{b}] the driver's error is kept");
        }
        other => panic!("[{b}] expected Error::Decode on {table}.{column}, got {other:?}"),
    }
}

#[tokio::test]
async fn errors_type_mismatch_is_a_decode_error() {
    each_backend!("errors_decode", |db| {
        let b = db.backend().name();
        TextV::create_table(&db).await?;
        let mut t = TextV { id: 0, v: Some("hello".into()) };
        t.save(&db).await?;
        assert_decode(IntV::find(&db, t.id).await, "mixed", "v", b);
        assert_decode(IntV::query().all(&db).await, "mixed", "v", b);
        assert_decode(IntV::query().first(&db).await, "mixed", "v", b);
        assert_decode(IntV::query().for_each(&db, |_| Ok(())).await, "mixed", "v", b);
        let sql = {
            let mut s = String::from("SELECT * FROM ");
            db.backend().write_ident(&mut s, "mixed");
            s
        };
        assert_decode(orm_core::raw(sql.clone()).fetch_all::<IntV>(&db).await, "mixed", "v", b);

        // NULL in a column read into a non-Option field.
        let mut null = TextV { id: 0, v: None };
        null.save(&db).await?;
        let r = IntV::find(&db, null.id).await;
        assert_decode(r, "mixed", "v", b);
        // The text view still reads both rows.
        assert_eq!(TextV::query().count(&db).await?, 2);

        // A value too wide for the field.
        WideV::create_table(&db).await?;
        let mut w = WideV { id: 0, v: 1000 };
        w.save(&db).await?;
        assert_decode(NarrowV::find(&db, w.id).await, "wide", "v", b);
        let mut small = WideV { id: 0, v: -128 };
        small.save(&db).await?;
        assert_eq!(NarrowV::find(&db, small.id).await?, Some(NarrowV { id: small.id, v: -128 }));
        Ok(())
    });
}

#[tokio::test]
async fn errors_not_found_and_missing_table() {
    each_backend!("errors_not_found", |db| {
        let b = db.backend().name();
        // No table yet: a database error, not a panic.
        let err = Member::find(&db, 1).await.unwrap_err();
        assert!(matches!(err, Error::Database(_)), "[{b}] {err:?}");
        let err = member("x@x.io").save(&db).await.unwrap_err();
        assert!(matches!(err, Error::Database(_)), "[{b}] {err:?}");
        Member::create_table(&db).await?;
        let err = Member { id: 41, ..member("x@x.io") }.update(&db).await.unwrap_err();
        assert!(matches!(&err, Error::NotFound { table } if table == "members"), "[{b}] {err:?}");
        assert!(err.to_string().contains("members"));
        Ok(())
    });
}
