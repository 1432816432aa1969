//! Columns the ORM manages: `auto_now_add` / `auto_now` timestamps, `version` optimistic locking,
//! `update_fields`, and `upsert_on` a composite unique, on every backend with the same code.

use chrono::{DateTime, Timelike, Utc};
use orm_core::prelude::*;
use orm_core::raw;
use orm_tests::each_backend;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ty_doc")]
pub struct Doc {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub body: String,
    #[orm(version)]
    pub version: i32,
    #[orm(auto_now_add)]
    pub created_at: DateTime<Utc>,
    #[orm(auto_now)]
    pub updated_at: DateTime<Utc>,
}

/// Not versioned: `update_fields` next to another writer.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ty_note", unique(owner, slug))]
pub struct Note {
    #[orm(primary_key)]
    pub id: i64,
    pub owner: i64,
    pub slug: String,
    pub title: String,
    pub body: String,
    #[orm(auto_now_add)]
    pub created_at: DateTime<Utc>,
    #[orm(auto_now)]
    pub updated_at: Option<DateTime<Utc>>,
}

fn doc(title: &str) -> Doc {
    Doc {
        id: 0,
        title: title.into(),
        body: "b".into(),
        version: 0,
        created_at: DateTime::<Utc>::UNIX_EPOCH,
        updated_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

fn note(owner: i64, slug: &str, title: &str) -> Note {
    Note {
        id: 0,
        owner,
        slug: slug.into(),
        title: title.into(),
        body: String::new(),
        created_at: DateTime::<Utc>::UNIX_EPOCH,
        updated_at: None,
    }
}

fn whole_micros(t: DateTime<Utc>) -> bool {
    t.nanosecond().is_multiple_of(1000)
}

#[tokio::test]
async fn timestamps_are_set_on_every_write() {
    each_backend!("ty_timestamps", |db| {
        Doc::create_table(&db).await?;
        let before = Utc::now() - chrono::Duration::seconds(1);
        let mut d = doc("a");
        d.insert(&db).await?;
        assert!(d.created_at >= before && whole_micros(d.created_at), "{:?}", d.created_at);
        assert_eq!(d.created_at, d.updated_at);
        assert_eq!(Doc::find(&db, d.id).await?, Some(d.clone()), "microseconds and UTC kept");

        let (created, first_update) = (d.created_at, d.updated_at);
        d.title = "b".into();
        d.update(&db).await?;
        assert_eq!(d.created_at, created);
        assert!(d.updated_at > first_update, "monotonic: {:?} then {:?}", first_update, d.updated_at);
        assert_eq!(d.version, 1);
        assert_eq!(Doc::find(&db, d.id).await?, Some(d.clone()));

        let previous = d.updated_at;
        d.save(&db).await?;
        assert!(d.updated_at > previous);
        assert_eq!(d.version, 2);
        assert_eq!(Doc::find(&db, d.id).await?, Some(d.clone()));

        // Bulk writes bind the time of the call (the rows are borrowed, so not written back).
        let rows = vec![doc("m1"), doc("m2")];
        assert_eq!(Doc::insert_many(&db, &rows).await?, 2);
        let stored = Doc::query().filter(Doc::TITLE.like("m%")).all(&db).await?;
        assert!(stored.iter().all(|r| r.created_at > d.updated_at && r.created_at == r.updated_at), "{stored:?}");

        // Set-based updates set auto_now (unless told not to) and bump the version.
        let n = Doc::query().filter(Doc::TITLE.eq("m1")).update(&db, [Doc::BODY.set("z".to_owned())]).await?;
        assert_eq!(n, 1);
        let m1 = Doc::query().filter(Doc::TITLE.eq("m1")).first(&db).await?.expect("m1");
        let m1_before = stored.iter().find(|r| r.title == "m1").expect("m1").clone();
        assert!(m1.updated_at > m1_before.updated_at);
        assert_eq!((m1.version, m1.created_at), (m1_before.version + 1, m1_before.created_at));
        Doc::query().filter(Doc::TITLE.eq("m1")).update_without_auto_now(&db, [Doc::BODY.set("y".to_owned())]).await?;
        let again = Doc::find(&db, m1.id).await?.expect("m1");
        assert_eq!((again.updated_at, again.body.as_str()), (m1.updated_at, "y"));
        Ok(())
    });
}

#[tokio::test]
async fn a_stale_version_is_refused_and_nothing_is_written() {
    each_backend!("ty_stale", |db| {
        Doc::create_table(&db).await?;
        let mut d = doc("a");
        d.save(&db).await?;
        let mut a = Doc::find(&db, d.id).await?.expect("row");
        let mut b = a.clone();
        a.title = "by a".into();
        a.update(&db).await?;
        b.title = "by b".into();
        match b.update(&db).await {
            Err(Error::StaleObject { table, key }) => assert_eq!((table.as_str(), key), ("ty_doc", d.id.to_string())),
            other => panic!("expected StaleObject, got {other:?}"),
        }
        assert_eq!(b.version, 0, "the loser keeps its version");
        assert!(matches!(b.save(&db).await, Err(Error::StaleObject { .. })));
        assert!(matches!(b.update_fields(&db, Doc::TITLE).await, Err(Error::StaleObject { .. })));
        assert!(matches!(b.upsert(&db).await, Err(Error::StaleObject { .. })));
        assert_eq!(Doc::find(&db, d.id).await?, Some(a.clone()));

        // A row that is gone is NotFound, not stale.
        let mut gone = a.clone();
        gone.id = 9999;
        assert!(matches!(gone.update(&db).await, Err(Error::NotFound { .. })));

        // Two tasks updating the same row at once: exactly one wins.
        for round in 0..3 {
            let mut x = Doc::find(&db, d.id).await?.expect("row");
            let mut y = x.clone();
            x.body = format!("x{round}");
            y.body = format!("y{round}");
            let (rx, ry) = tokio::join!(x.update(&db), y.update(&db));
            let oks = [rx.is_ok(), ry.is_ok()];
            assert_eq!(oks.iter().filter(|o| **o).count(), 1, "{rx:?} {ry:?}");
            for r in [&rx, &ry] {
                assert!(matches!(r, Ok(()) | Err(Error::StaleObject { .. })), "{r:?}");
            }
            let winner = if rx.is_ok() { &x } else { &y };
            assert_eq!(Doc::find(&db, d.id).await?.as_ref(), Some(winner));
        }
        Ok(())
    });
}

#[tokio::test]
async fn update_fields_writes_only_the_given_columns() {
    each_backend!("ty_update_fields", |db| {
        Note::create_table(&db).await?;
        Doc::create_table(&db).await?;
        let mut n = note(1, "a", "first");
        n.save(&db).await?;
        assert_eq!(n.updated_at, Some(n.created_at));
        let t = if db.backend() == orm_core::Backend::MySql { "`ty_note`" } else { "\"ty_note\"" };
        raw(format!("UPDATE {t} SET body = 'other writer' WHERE id = ?")).bind(n.id).execute(&db).await?;
        n.title = "mine".into();
        n.body = "stale in memory".into();
        let before = n.updated_at;
        n.update_fields(&db, Note::TITLE).await?;
        let stored = Note::find(&db, n.id).await?.expect("row");
        assert_eq!((stored.title.as_str(), stored.body.as_str()), ("mine", "other writer"));
        assert!(stored.updated_at > before && stored.updated_at == n.updated_at);

        let mut d = doc("d");
        d.save(&db).await?;
        d.title = "t2".into();
        d.body = "b2".into();
        d.update_fields(&db, (Doc::TITLE, Doc::BODY)).await?;
        assert_eq!(d.version, 1);
        assert_eq!(Doc::find(&db, d.id).await?, Some(d.clone()));
        assert!(matches!(d.update_fields(&db, Doc::ID).await, Err(Error::InvalidValue(_))));
        Ok(())
    });
}

#[tokio::test]
async fn upsert_on_a_composite_unique() {
    each_backend!("ty_upsert_on", |db| {
        Note::create_table(&db).await?;
        let mut a = note(1, "s", "one");
        a.upsert_on(&db, (Note::OWNER, Note::SLUG)).await?;
        assert!(a.id > 0);
        let created = a.created_at;
        let mut b = note(1, "s", "two");
        b.upsert_on(&db, (Note::OWNER, Note::SLUG)).await?;
        assert_eq!(b.id, a.id, "the existing row's key is read back");
        let stored = Note::find(&db, a.id).await?.expect("row");
        assert_eq!(stored.title, "two");
        assert_eq!(stored.created_at, created, "auto_now_add is kept on update");
        assert!(stored.updated_at > Some(created));
        let mut c = note(2, "s", "three");
        c.upsert_on(&db, (Note::OWNER, Note::SLUG)).await?;
        assert_ne!(c.id, a.id);
        assert_eq!(Note::query().count(&db).await?, 2);
        // upsert (on the key) keeps auto_now_add too.
        let mut again = stored.clone();
        again.created_at = DateTime::<Utc>::UNIX_EPOCH;
        again.title = "four".into();
        again.upsert(&db).await?;
        assert_eq!(Note::find(&db, a.id).await?.map(|n| (n.title, n.created_at)), Some(("four".to_owned(), created)));
        Ok(())
    });
}

#[tokio::test]
async fn bulk_writes_and_managed_columns() {
    each_backend!("ty_bulk_managed", |db| {
        Doc::create_table(&db).await?;
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        // `insert_many_with_keys` stores the keys and the time it wrote into the rows.
        let mut rows = vec![doc("a"), doc("b")];
        Doc::insert_many_with_keys(&db, &mut rows).await?;
        for r in &rows {
            assert!(r.created_at > epoch && whole_micros(r.created_at), "{r:?}");
            assert_eq!(r.created_at, r.updated_at);
            assert_eq!(Doc::find(&db, r.id).await?.as_ref(), Some(r));
        }
        // `insert_many` borrows the rows: the database has the time, the rows keep their fields.
        let plain = vec![doc("c")];
        Doc::insert_many(&db, &plain).await?;
        assert_eq!(plain[0].created_at, epoch);
        let c = Doc::query().filter(Doc::TITLE.eq("c")).first(&db).await?.expect("c");
        assert!(c.created_at > epoch && c.updated_at > epoch);

        // `upsert_many` of a versioned model increments an existing row's version, so a copy read
        // before is stale; a new row is inserted.
        let old = Doc::find(&db, rows[0].id).await?.expect("a");
        let mut changed = old.clone();
        changed.title = "a2".into();
        let mut new = doc("d");
        new.id = 1_000;
        assert_eq!(Doc::upsert_many(&db, &[changed, new]).await?, 2);
        let now = Doc::find(&db, rows[0].id).await?.expect("a");
        assert_eq!((now.title.as_str(), now.version), ("a2", old.version + 1));
        assert_eq!(now.created_at, old.created_at, "auto_now_add is kept");
        assert!(now.updated_at >= old.updated_at);
        let mut stale = old.clone();
        stale.body = "late".into();
        assert!(matches!(stale.update(&db).await, Err(Error::StaleObject { .. })));
        let mut current = now.clone();
        current.body = "on time".into();
        current.update(&db).await?;
        assert_eq!(Doc::find(&db, 1_000).await?.map(|d| d.title), Some("d".to_owned()));
        Ok(())
    });
}
