//! `#[orm(pg_enum = "name")]`: a text enum stored as a native enum type on PostgreSQL and as
//! text with a CHECK on SQLite and MariaDB, with the same test code on all three backends.

use orm_core::prelude::*;
use orm_core::{Backend, raw};
use orm_tests::each_backend;

#[derive(SqlType, Debug, Clone, Copy, PartialEq)]
#[orm(pg_enum = "pe_status", rename_all = "snake_case")]
pub enum Status {
    // Declared out of alphabetical order, so that ordering tells the two orders apart.
    Published,
    Draft,
    #[orm(rename = "in_review")]
    InReview,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pe_post")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[orm(default = "draft", index)]
    pub status: Status,
    pub previous: Option<Status>,
}

/// A second model with a column of the same enum type.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pe_note")]
pub struct Note {
    #[orm(primary_key)]
    pub id: i64,
    pub status: Status,
}

/// A newtype over a pg_enum enum is that enum in the database.
#[derive(SqlType, Debug, Clone, Copy, PartialEq)]
pub struct Wrapped(pub Status);

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pe_wrapped")]
pub struct WrappedRow {
    #[orm(primary_key)]
    pub id: i64,
    pub status: Wrapped,
}

#[derive(orm_core::FromRow, Debug, PartialEq)]
pub struct Pair {
    pub id: i64,
    pub status: Status,
    pub previous: Option<Status>,
}

fn post(title: &str, status: Status, previous: Option<Status>) -> Post {
    Post { id: 0, title: title.into(), status, previous }
}

fn table(db: &Db, name: &str) -> String {
    if db.backend() == Backend::MySql { format!("`{name}`") } else { format!("\"{name}\"") }
}

#[tokio::test]
async fn pg_enum_round_trip_filters_ordering_and_raw() {
    each_backend!("pe_round_trip", |db| {
        Post::create_table(&db).await?;
        // Twice, and a second model sharing the type: the type is created once, no error.
        Post::create_table(&db).await?;
        Note::create_table(&db).await?;
        if db.backend() == Backend::Postgres {
            let udt: Option<String> = raw(
                "SELECT udt_name::text FROM information_schema.columns WHERE table_name = 'pe_post' AND column_name = 'status'",
            )
            .fetch_scalar(&db)
            .await?;
            assert_eq!(udt.as_deref(), Some("pe_status"));
        }
        let mut a = post("a", Status::Published, None);
        a.save(&db).await?;
        let mut b = post("b", Status::Draft, Some(Status::Published));
        b.insert(&db).await?;
        let mut c = post("c", Status::InReview, Some(Status::Draft));
        c.save(&db).await?;
        assert_eq!(Post::find(&db, b.id).await?, Some(b.clone()));

        // Update (and a NULL of the enum type).
        b.previous = None;
        b.status = Status::InReview;
        b.update(&db).await?;
        assert_eq!(Post::find(&db, b.id).await?, Some(b.clone()));

        // Filters: eq, ne, is_in, eq(None).
        assert_eq!(Post::query().filter(Post::STATUS.eq(Status::InReview)).count(&db).await?, 2);
        assert_eq!(Post::query().filter(Post::STATUS.ne(Status::InReview)).all(&db).await?, vec![a.clone()]);
        let some = Post::query()
            .filter(Post::STATUS.is_in([Status::Published, Status::InReview]))
            .order_by(Post::ID.asc())
            .all(&db)
            .await?;
        assert_eq!(some, vec![a.clone(), b.clone(), c.clone()]);
        assert_eq!(Post::query().filter(Post::PREVIOUS.eq(None)).count(&db).await?, 2);
        assert_eq!(Post::query().filter(Post::PREVIOUS.eq(Status::Draft)).all(&db).await?, vec![c.clone()]);
        assert_eq!(Post::query().filter(Post::PREVIOUS.is_in([Status::Draft])).count(&db).await?, 1);

        // Ordering: PostgreSQL orders a native enum by declaration order (published < draft <
        // in_review), the others by text (draft < in_review < published).
        let order: Vec<Status> =
            Post::query().select(Post::STATUS).order_by(Post::STATUS.asc()).order_by(Post::ID.asc()).all(&db).await?;
        let expected = if db.backend() == Backend::Postgres {
            vec![Status::Published, Status::InReview, Status::InReview]
        } else {
            vec![Status::InReview, Status::InReview, Status::Published]
        };
        assert_eq!(order, expected);

        // Raw SQL binds and scalars.
        let t = table(&db, "pe_post");
        let n: Option<i64> =
            raw(format!("SELECT COUNT(*) FROM {t} WHERE status = ?")).bind(Status::InReview).fetch_scalar(&db).await?;
        assert_eq!(n, Some(2));
        let s: Option<Status> =
            raw(format!("SELECT status FROM {t} WHERE id = ?")).bind(a.id).fetch_scalar(&db).await?;
        assert_eq!(s, Some(Status::Published));
        let prev: Option<Option<Status>> =
            raw(format!("SELECT previous FROM {t} WHERE id = ?")).bind(b.id).fetch_scalar(&db).await?;
        assert_eq!(prev, Some(None));
        // A FromRow struct read by raw SQL.
        let rows: Vec<Pair> =
            raw(format!("SELECT id, status, previous FROM {t} WHERE id = ?")).bind(c.id).fetch_all(&db).await?;
        assert_eq!(rows, vec![Pair { id: c.id, status: Status::InReview, previous: Some(Status::Draft) }]);
        raw(format!("INSERT INTO {t} (title, status, previous) VALUES (?, ?, ?)"))
            .bind("raw")
            .bind(Status::Draft)
            .bind(None::<Status>)
            .execute(&db)
            .await?;
        assert_eq!(Post::query().filter(Post::STATUS.eq(Status::Draft)).count(&db).await?, 1);
        // The column's DEFAULT, seen by a row inserted without it.
        raw(format!("INSERT INTO {t} (title) VALUES (?)")).bind("defaulted").execute(&db).await?;
        assert_eq!(
            Post::query().filter(Post::TITLE.eq("defaulted")).first(&db).await?.map(|p| p.status),
            Some(Status::Draft)
        );

        // Set-based update, of the enum and to a NULL of it.
        let n = Post::query()
            .filter(Post::STATUS.eq(Status::Draft))
            .update(&db, [Post::STATUS.set(Status::Published), Post::PREVIOUS.set(Some(Status::Draft))])
            .await?;
        assert_eq!(n, 2);
        let n = Post::query().filter(Post::TITLE.eq("raw")).update(&db, [Post::PREVIOUS.set(None)]).await?;
        assert_eq!(n, 1);
        assert_eq!(Post::query().filter(Post::PREVIOUS.eq(Status::Draft)).count(&db).await?, 2);

        // Aggregates over the enum.
        let most = Post::query().aggregate(&db, Post::STATUS.max()).await?;
        assert_eq!(most, Some(if db.backend() == Backend::Postgres { Status::InReview } else { Status::Published }));

        // The second model sharing the type, and a newtype over the enum.
        Note { id: 0, status: Status::Draft }.save(&db).await?;
        assert_eq!(Note::query().filter(Note::STATUS.eq(Status::Draft)).count(&db).await?, 1);
        WrappedRow::create_table(&db).await?;
        let mut w = WrappedRow { id: 0, status: Wrapped(Status::InReview) };
        w.save(&db).await?;
        assert_eq!(WrappedRow::find(&db, w.id).await?, Some(w.clone()));
        assert_eq!(WrappedRow::query().filter(WrappedRow::STATUS.eq(Wrapped(Status::InReview))).count(&db).await?, 1);

        // drop_table leaves the type, so it can be created again (and other tables keep it).
        Post::drop_table(&db).await?;
        Post::create_table(&db).await?;
        assert_eq!(Post::query().count(&db).await?, 0);
        Ok(())
    });
}

#[tokio::test]
async fn pg_enum_in_bulk_writes_and_upserts() {
    each_backend!("pe_bulk", |db| {
        Post::create_table(&db).await?;
        let rows: Vec<Post> = (0..30)
            .map(|i| {
                let s = [Status::Draft, Status::Published, Status::InReview][i % 3];
                post(&format!("t{i}"), s, if i % 2 == 0 { None } else { Some(s) })
            })
            .collect();
        assert_eq!(Post::insert_many(&db, &rows).await?, 30);
        assert_eq!(Post::query().filter(Post::STATUS.eq(Status::Draft)).count(&db).await?, 10);
        assert_eq!(Post::query().filter(Post::PREVIOUS.eq(Status::Published)).count(&db).await?, 5);
        let mut keyed: Vec<Post> = (0..3).map(|i| post(&format!("k{i}"), Status::InReview, None)).collect();
        Post::insert_many_with_keys(&db, &mut keyed).await?;
        assert!(keyed.iter().all(|p| p.id > 0));

        let mut first = Post::query().filter(Post::TITLE.eq("t0")).first(&db).await?.expect("t0");
        first.status = Status::InReview;
        first.previous = Some(Status::Draft);
        first.upsert(&db).await?;
        assert_eq!(Post::find(&db, first.id).await?, Some(first.clone()));
        let mut other = keyed[0].clone();
        other.status = Status::Published;
        let fresh = Post { id: 9_000, title: "new".into(), status: Status::Draft, previous: Some(Status::InReview) };
        assert_eq!(Post::upsert_many(&db, &[other.clone(), fresh.clone()]).await?, 2);
        assert_eq!(Post::find(&db, other.id).await?, Some(other));
        assert_eq!(Post::find(&db, 9_000).await?, Some(fresh));
        Ok(())
    });
}

#[tokio::test]
async fn pg_enum_unknown_label_is_a_decode_error() {
    each_backend!("pe_unknown", |db| {
        Post::create_table(&db).await?;
        let t = table(&db, "pe_post");
        // A label the program does not know: added to the type on PostgreSQL; elsewhere the
        // CHECK refuses it, so it is read from a loose text column.
        if db.backend() == Backend::Postgres {
            raw("ALTER TYPE \"pe_status\" ADD VALUE IF NOT EXISTS 'retired'").execute(&db).await?;
            raw(format!("INSERT INTO {t} (id, title, status) VALUES (1, 'x', 'retired')")).execute(&db).await?;
        } else {
            raw("CREATE TABLE pe_loose (id BIGINT PRIMARY KEY, title VARCHAR(20) NOT NULL, status VARCHAR(20) NOT NULL, previous VARCHAR(20))")
                .execute(&db)
                .await?;
            raw("INSERT INTO pe_loose (id, title, status) VALUES (1, 'x', 'retired')").execute(&db).await?;
        }
        let (name, r) = if db.backend() == Backend::Postgres {
            ("pe_post", Post::find(&db, 1).await.map(|_| ()))
        } else {
            ("pe_loose", Loose::find(&db, 1).await.map(|_| ()))
        };
        match r {
            Err(e @ Error::Decode { .. }) => {
                let Error::Decode { table, column, .. } = &e else { unreachable!() };
                assert_eq!((table.as_str(), column.as_str()), (name, "status"));
                let msg = e.to_string();
                assert!(msg.contains("\"retired\""), "{msg}");
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
        let r: orm_core::Result<Option<Status>> =
            raw(format!("SELECT status FROM {} WHERE id = 1", table(&db, name))).fetch_scalar(&db).await;
        assert!(matches!(r, Err(Error::Decode { .. })), "{r:?}");
        Ok(())
    });
}

/// `Post`'s columns over a table without the enum type or the CHECK.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pe_loose")]
pub struct Loose {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub status: Status,
    pub previous: Option<Status>,
}

#[tokio::test]
async fn pg_enum_create_table_races() {
    // Four connections create four tables sharing the type at once: one creates the type, the
    // others find it (duplicate_object) or lose the race on the catalog (unique_violation).
    // Three rounds, each on a fresh database (a pooled connection keeps the OID of a type it has
    // bound, so a type dropped and created again needs new connections: docs/types-and-lifecycle.md).
    for round in 0..3 {
        each_backend!(&format!("pe_race{round}"), |db| {
            let tasks: Vec<_> = (0..4)
                .map(|i| {
                    let db = db.clone();
                    tokio::spawn(async move {
                        match i {
                            0 => Post::create_table(&db).await,
                            1 => Note::create_table(&db).await,
                            2 => WrappedRow::create_table(&db).await,
                            _ => Loose::create_table(&db).await,
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("task")?;
            }
            Note { id: 0, status: Status::InReview }.save(&db).await?;
            post("x", Status::Draft, None).save(&db).await?;
            assert_eq!(Post::query().count(&db).await? + Note::query().count(&db).await?, 2);
            Ok(())
        });
    }
}
