//! CRUD of `#[derive(Model)]` structs, the same code on SQLite, PostgreSQL and MariaDB:
//! create/drop table, save/insert/update/delete/find, transactions and the field/struct attributes.

use orm_core::prelude::*;
use orm_tests::each_backend;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "users")]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique)]
    pub email: String,
    #[orm(column = "full_name")]
    pub name: String,
    pub age: Option<i32>,
    #[orm(skip)]
    pub scratch: String,
}

fn user(email: &str, name: &str, age: Option<i32>) -> User {
    User { id: 0, email: email.into(), name: name.into(), age, scratch: String::new() }
}

/// `ident` quoted for `db`'s dialect, for the few raw statements that check the schema.
fn q(db: &Db, ident: &str) -> String {
    let mut s = String::new();
    db.backend().write_ident(&mut s, ident);
    s
}

async fn count_users(db: &Db) -> Result<u64> {
    User::query().count(db).await
}

#[tokio::test]
async fn crud_create_and_drop_table() {
    each_backend!("crud_create_drop", |db| {
        User::create_table(&db).await?;
        // IF NOT EXISTS: creating again is a no-op that keeps the rows.
        user("a@x.io", "A", None).save(&db).await?;
        User::create_table(&db).await?;
        assert_eq!(count_users(&db).await?, 1);

        User::drop_table(&db).await?;
        // The table is gone: using it is an error, not a panic.
        let err = User::query().all(&db).await.unwrap_err();
        assert!(matches!(err, Error::Database(_)), "{err:?}");
        // IF EXISTS: dropping again is a no-op.
        User::drop_table(&db).await?;

        User::create_table(&db).await?;
        assert_eq!(count_users(&db).await?, 0);
        Ok(())
    });
}

#[tokio::test]
async fn crud_save_inserts_and_reads_the_key_back() {
    each_backend!("crud_save_insert", |db| {
        User::create_table(&db).await?;
        let mut ann = user("ann@x.io", "Ann", Some(30));
        ann.save(&db).await?;
        assert!(ann.id > 0, "generated key read back: {}", ann.id);
        let mut bob = user("bob@x.io", "Bob", None);
        bob.save(&db).await?;
        assert!(bob.id > 0 && bob.id != ann.id);

        assert_eq!(User::find(&db, ann.id).await?, Some(ann.clone()));
        assert_eq!(User::find(&db, bob.id).await?, Some(bob.clone()));
        assert_eq!(count_users(&db).await?, 2);
        Ok(())
    });
}

#[tokio::test]
async fn crud_save_updates_when_the_key_is_set() {
    each_backend!("crud_save_update", |db| {
        User::create_table(&db).await?;
        let mut ann = user("ann@x.io", "Ann", Some(30));
        ann.save(&db).await?;
        let id = ann.id;
        ann.name = "Ann B.".into();
        ann.age = None;
        ann.save(&db).await?;
        assert_eq!(ann.id, id, "an update keeps the key");
        assert_eq!(count_users(&db).await?, 1, "save with a key set updates, not inserts");
        assert_eq!(User::find(&db, id).await?, Some(ann.clone()));

        // Saving an unchanged row is still an update (MySQL reports matched rows, not changed ones).
        ann.save(&db).await?;
        ann.save(&db).await?;
        assert_eq!(count_users(&db).await?, 1);
        Ok(())
    });
}

#[tokio::test]
async fn crud_save_inserts_when_the_key_is_set_but_missing() {
    each_backend!("crud_save_upsert", |db| {
        User::create_table(&db).await?;
        let mut u = user("k@x.io", "Keyed", Some(1));
        u.id = 1000;
        u.save(&db).await?;
        assert_eq!(u.id, 1000, "an explicit key is kept");
        assert_eq!(User::find(&db, 1000).await?, Some(u.clone()));
        // A generated key still works next to an explicit one.
        let mut g = user("g@x.io", "Gen", None);
        g.save(&db).await?;
        assert!(g.id > 0 && g.id != 1000);
        assert_eq!(count_users(&db).await?, 2);
        Ok(())
    });
}

#[tokio::test]
async fn crud_insert_always_inserts() {
    each_backend!("crud_insert", |db| {
        User::create_table(&db).await?;
        let mut a = user("a@x.io", "A", Some(5));
        a.insert(&db).await?;
        assert!(a.id > 0);
        assert_eq!(User::find(&db, a.id).await?, Some(a.clone()));

        // Inserting the same key again is a duplicate primary key, not an update.
        let mut dup = a.clone();
        dup.email = "other@x.io".into();
        let err = dup.insert(&db).await.unwrap_err();
        assert!(matches!(err, Error::UniqueViolation(_)), "{err:?}");

        // An explicit key is inserted as given.
        let mut k = user("k@x.io", "K", None);
        k.id = 77;
        k.insert(&db).await?;
        assert_eq!(k.id, 77);
        assert_eq!(User::find(&db, 77).await?, Some(k));
        assert_eq!(count_users(&db).await?, 2);
        Ok(())
    });
}

#[tokio::test]
async fn crud_update_by_key_and_not_found() {
    each_backend!("crud_update", |db| {
        User::create_table(&db).await?;
        let mut a = user("a@x.io", "A", Some(5));
        a.save(&db).await?;
        a.age = Some(6);
        a.update(&db).await?;
        assert_eq!(User::find(&db, a.id).await?.and_then(|u| u.age), Some(6));
        // Unchanged values: still found.
        a.update(&db).await?;

        let mut ghost = User { id: 999_999, ..user("ghost@x.io", "Ghost", None) };
        let err = ghost.update(&db).await.unwrap_err();
        match err {
            Error::NotFound { table } => assert_eq!(table, "users"),
            e => panic!("expected NotFound, got {e:?}"),
        }
        assert_eq!(User::find(&db, 999_999).await?, None, "update never inserts");
        Ok(())
    });
}

#[tokio::test]
async fn crud_delete_by_key() {
    each_backend!("crud_delete", |db| {
        User::create_table(&db).await?;
        let mut a = user("a@x.io", "A", None);
        a.save(&db).await?;
        let mut b = user("b@x.io", "B", None);
        b.save(&db).await?;
        assert!(a.delete(&db).await?, "a row was deleted");
        assert!(!a.delete(&db).await?, "nothing left to delete");
        assert_eq!(User::find(&db, a.id).await?, None);
        assert_eq!(User::find(&db, b.id).await?, Some(b));
        Ok(())
    });
}

#[tokio::test]
async fn crud_find_some_and_none() {
    each_backend!("crud_find", |db| {
        User::create_table(&db).await?;
        assert_eq!(User::find(&db, 1).await?, None);
        let mut a = user("a@x.io", "A", Some(1));
        a.save(&db).await?;
        assert_eq!(User::find(&db, a.id).await?, Some(a.clone()));
        assert_eq!(User::find(&db, a.id + 1).await?, None);
        assert_eq!(User::find(&db, -1).await?, None);
        assert_eq!(User::find(&db, i64::MAX).await?, None);
        Ok(())
    });
}

#[tokio::test]
async fn crud_transaction_commit() {
    each_backend!("crud_tx_commit", |db| {
        User::create_table(&db).await?;
        let mut u = user("tx@x.io", "Tx", Some(1));
        let mut tx = db.begin().await?;
        u.save(&mut tx).await?;
        assert!(u.id > 0);
        let again = User::find(&mut tx, u.id).await?;
        assert_eq!(again, Some(u.clone()), "the transaction sees its own write");
        assert_eq!(User::query().count(&mut tx).await?, 1);
        u.age = Some(2);
        u.update(&mut tx).await?;
        tx.commit().await?;
        assert_eq!(User::find(&db, u.id).await?, Some(u));
        Ok(())
    });
}

#[tokio::test]
async fn crud_transaction_rollback_on_drop() {
    each_backend!("crud_tx_drop", |db| {
        User::create_table(&db).await?;
        let mut kept = user("kept@x.io", "Kept", None);
        kept.save(&db).await?;
        let id = {
            let mut tx = db.begin().await?;
            let mut u = user("gone@x.io", "Gone", None);
            u.save(&mut tx).await?;
            kept.name = "changed".into();
            kept.save(&mut tx).await?;
            assert_eq!(User::query().count(&mut tx).await?, 2);
            u.id
            // dropped without commit
        };
        assert_eq!(User::find(&db, id).await?, None, "the insert was rolled back");
        assert_eq!(User::find(&db, kept.id).await?.map(|u| u.name), Some("Kept".to_owned()));
        assert_eq!(count_users(&db).await?, 1);
        Ok(())
    });
}

#[tokio::test]
async fn crud_transaction_explicit_rollback() {
    each_backend!("crud_tx_rollback", |db| {
        User::create_table(&db).await?;
        let mut tx = db.begin().await?;
        let mut u = user("r@x.io", "R", None);
        u.insert(&mut tx).await?;
        let n = User::query().delete(&mut tx).await?;
        assert_eq!(n, 1);
        tx.rollback().await?;
        assert_eq!(count_users(&db).await?, 0);

        // The Db is still usable after a rollback, and a later transaction commits normally.
        let mut tx = db.begin().await?;
        user("c@x.io", "C", None).save(&mut tx).await?;
        tx.commit().await?;
        assert_eq!(count_users(&db).await?, 1);
        Ok(())
    });
}

#[tokio::test]
async fn crud_skip_field_defaults_and_column_rename() {
    each_backend!("crud_skip_column", |db| {
        User::create_table(&db).await?;
        let mut u = user("s@x.io", "Skip", None);
        u.scratch = "not stored".into();
        u.save(&db).await?;
        let back = User::find(&db, u.id).await?.expect("row");
        assert_eq!(back.scratch, "", "a skipped field is Default::default() when loaded");
        assert_eq!(back.name, "Skip");

        // `name` is stored in the column `full_name`; there is no column `scratch`.
        let sql = format!("SELECT {} FROM {}", q(&db, "full_name"), q(&db, "users"));
        let names: Vec<String> = orm_core::raw(sql).fetch_scalars(&db).await?;
        assert_eq!(names, vec!["Skip".to_owned()]);
        // (Qualified: SQLite reads an unknown unqualified "name" as a string literal.)
        let sql = format!("SELECT {}.{} FROM {}", q(&db, "users"), q(&db, "scratch"), q(&db, "users"));
        assert!(orm_core::raw(sql).fetch_scalars::<String>(&db).await.is_err());
        // Rows of raw SQL map by column name.
        let sql = format!("SELECT * FROM {}", q(&db, "users"));
        let all: Vec<User> = orm_core::raw(sql).fetch_all(&db).await?;
        assert_eq!(all, vec![back]);
        Ok(())
    });
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(rename_all = "PascalCase")]
pub struct TrackInfo {
    #[orm(primary_key)]
    pub track_id: i64,
    pub unit_price: f64,
    #[orm(column = "media")]
    pub media_type: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(rename_all = "camelCase", table = "camel_things")]
pub struct CamelThing {
    #[orm(primary_key)]
    pub thing_id: i64,
    pub display_name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct LoudThing {
    #[orm(primary_key)]
    pub thing_id: i64,
    pub display_name: Option<String>,
}

#[tokio::test]
async fn crud_rename_all() {
    each_backend!("crud_rename_all", |db| {
        TrackInfo::create_table(&db).await?;
        CamelThing::create_table(&db).await?;
        LoudThing::create_table(&db).await?;
        assert_eq!(TrackInfo::TABLE, "track_info");
        assert_eq!(TrackInfo::TRACK_ID.name(), "TrackId");
        assert_eq!(TrackInfo::UNIT_PRICE.name(), "UnitPrice");
        assert_eq!(TrackInfo::MEDIA_TYPE.name(), "media", "column = .. wins over rename_all");
        assert_eq!(CamelThing::DISPLAY_NAME.name(), "displayName");
        assert_eq!(LoudThing::DISPLAY_NAME.name(), "DISPLAY_NAME");

        let mut t = TrackInfo { track_id: 0, unit_price: 0.99, media_type: "MPEG".into() };
        t.save(&db).await?;
        let found = TrackInfo::query().filter(TrackInfo::UNIT_PRICE.lt(1.0)).all(&db).await?;
        assert_eq!(found, vec![t.clone()]);
        // The columns really are named that way (quoted, so case matters on PostgreSQL).
        let sql = format!(
            "SELECT {}, {}, {} FROM {}",
            q(&db, "TrackId"),
            q(&db, "UnitPrice"),
            q(&db, "media"),
            q(&db, "track_info")
        );
        let rows: Vec<TrackInfo> = orm_core::raw(sql).fetch_all(&db).await?;
        assert_eq!(rows, vec![t]);

        let mut c = CamelThing { thing_id: 0, display_name: "camel".into() };
        c.save(&db).await?;
        let sql = format!("SELECT {}, {} FROM {}", q(&db, "thingId"), q(&db, "displayName"), q(&db, "camel_things"));
        assert_eq!(orm_core::raw(sql).fetch_all::<CamelThing>(&db).await?, vec![c]);

        let mut l = LoudThing { thing_id: 0, display_name: None };
        l.save(&db).await?;
        let sql = format!("SELECT {}, {} FROM {}", q(&db, "THING_ID"), q(&db, "DISPLAY_NAME"), q(&db, "loud_thing"));
        assert_eq!(orm_core::raw(sql).fetch_all::<LoudThing>(&db).await?, vec![l]);
        Ok(())
    });
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "events")]
pub struct Event {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(index)]
    pub kind: String,
    #[orm(index)]
    pub at: i64,
}

#[tokio::test]
async fn crud_index_is_created() {
    each_backend!("crud_index", |db| {
        Event::create_table(&db).await?;
        Event::create_table(&db).await?; // indexes too are IF NOT EXISTS
        let names: Vec<String> = match db.backend() {
            orm_core::Backend::Sqlite => {
                orm_core::raw("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?")
                    .bind("events".to_owned())
                    .fetch_scalars(&db)
                    .await?
            }
            orm_core::Backend::Postgres => {
                orm_core::raw("SELECT indexname::text FROM pg_indexes WHERE tablename = ?")
                    .bind("events".to_owned())
                    .fetch_scalars(&db)
                    .await?
            }
            orm_core::Backend::MySql => {
                orm_core::raw(
                    "SELECT DISTINCT CAST(index_name AS CHAR) FROM information_schema.statistics \
                     WHERE table_schema = DATABASE() AND table_name = ?",
                )
                .bind("events".to_owned())
                .fetch_scalars(&db)
                .await?
            }
        };
        for expected in ["events_kind_idx", "events_at_idx"] {
            assert!(names.iter().any(|n| n == expected), "{}: {expected} missing in {names:?}", db.backend().name());
        }
        let mut e = Event { id: 0, kind: "click".into(), at: 5 };
        e.save(&db).await?;
        assert_eq!(Event::query().filter(Event::KIND.eq("click")).all(&db).await?, vec![e]);
        Ok(())
    });
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "notes")]
pub struct Note {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub body: String,
}

#[tokio::test]
async fn crud_option_primary_key() {
    each_backend!("crud_option_key", |db| {
        Note::create_table(&db).await?;
        let mut n = Note { id: None, body: "first".into() };
        n.save(&db).await?;
        let id = n.id.expect("the generated key is read back into Some");
        assert_eq!(Note::find(&db, id).await?, Some(n.clone()));
        n.body = "edited".into();
        n.save(&db).await?;
        assert_eq!(n.id, Some(id));
        assert_eq!(Note::query().count(&db).await?, 1);
        assert_eq!(Note::find(&db, id).await?.map(|n| n.body), Some("edited".to_owned()));

        let mut m = Note { id: None, body: "second".into() };
        m.insert(&db).await?;
        assert!(m.id.is_some() && m.id != n.id);
        let ordered = Note::query().order_by(Note::ID.asc()).all(&db).await?;
        assert_eq!(ordered.len(), 2);
        let by_key = Note::query().filter(Note::ID.eq(id)).all(&db).await?;
        assert_eq!(by_key, vec![n]);
        Ok(())
    });
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
}

#[tokio::test]
async fn crud_model_with_only_a_primary_key() {
    each_backend!("crud_only_key", |db| {
        Tag::create_table(&db).await?;
        let mut a = Tag { id: 0 };
        a.save(&db).await?;
        let mut b = Tag { id: 0 };
        b.insert(&db).await?;
        assert!(a.id > 0 && b.id > 0 && a.id != b.id);
        // Saving an existing key-only row changes nothing and inserts nothing.
        a.save(&db).await?;
        a.update(&db).await?;
        assert_eq!(Tag::query().count(&db).await?, 2);
        let err = Tag { id: 424_242 }.update(&db).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
        // save with a missing key inserts it.
        let mut c = Tag { id: 5000 };
        c.save(&db).await?;
        assert_eq!(Tag::find(&db, 5000).await?, Some(c));
        assert!(a.delete(&db).await?);
        assert_eq!(Tag::query().order_by(Tag::ID.asc()).all(&db).await?, vec![b, Tag { id: 5000 }]);
        Ok(())
    });
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "settings")]
pub struct Setting {
    #[orm(primary_key)]
    pub key: String,
    pub value: String,
}

#[tokio::test]
async fn crud_text_primary_key() {
    each_backend!("crud_text_key", |db| {
        Setting::create_table(&db).await?;
        let mut s = Setting { key: "theme".into(), value: "dark".into() };
        s.save(&db).await?; // not found -> INSERT
        s.value = "light".into();
        s.save(&db).await?; // found -> UPDATE
        assert_eq!(Setting::query().count(&db).await?, 1);
        assert_eq!(Setting::find(&db, "theme").await?, Some(s.clone()));
        assert_eq!(Setting::find(&db, "Theme").await?, None, "keys compare case-sensitively");
        let err = s.clone().insert(&db).await.unwrap_err();
        assert!(matches!(err, Error::UniqueViolation(_)), "{err:?}");
        assert!(s.delete(&db).await?);
        Ok(())
    });
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "authors")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "books")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Author, on_delete = "cascade")]
    pub author_id: i64,
    pub title: String,
}

#[tokio::test]
async fn crud_belongs_to_cascade() {
    each_backend!("crud_cascade", |db| {
        Author::create_table(&db).await?;
        Book::create_table(&db).await?;
        let mut a = Author { id: 0, name: "A".into() };
        a.save(&db).await?;
        let mut other = Author { id: 0, name: "O".into() };
        other.save(&db).await?;
        for (author, title) in [(a.id, "one"), (a.id, "two"), (other.id, "three")] {
            Book { id: 0, author_id: author, title: title.into() }.save(&db).await?;
        }
        assert!(a.delete(&db).await?);
        let left = Book::query().all(&db).await?;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].title, "three");
        Book::drop_table(&db).await?;
        Author::drop_table(&db).await?;
        Ok(())
    });
}

#[tokio::test]
async fn crud_explicit_keys_do_not_collide_with_generated_ones() {
    // PostgreSQL's identity sequence ignores explicit values: the ORM advances it, so a later
    // generated key does not collide (MySQL and SQLite do this themselves).
    each_backend!("crud_explicit_then_generated", |db| {
        User::create_table(&db).await?;
        let mut a = user("a@x.io", "A", None);
        a.save(&db).await?;
        assert_eq!(a.id, 1);
        let mut explicit = user("e@x.io", "E", None);
        explicit.id = 42;
        explicit.save(&db).await?; // no row 42 yet: UPDATE finds none, so INSERT with the key
        let mut low = user("l@x.io", "L", None);
        low.id = 7;
        low.insert(&db).await?; // below the counter: nothing to move
        let mut next = user("n@x.io", "N", None);
        next.save(&db).await?;
        assert!(next.id > 42, "generated key {} after an explicit 42", next.id);
        let mut after = user("m@x.io", "M", None);
        after.insert(&db).await?;
        assert!(after.id > next.id);
        assert_eq!(count_users(&db).await?, 5);
        Ok(())
    });
}
