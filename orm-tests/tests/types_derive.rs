//! `#[derive(SqlType)]` (text enums, integer enums, newtypes), `Json<T>`, `default = ...` and
//! composite `unique(...)` / `index(...)`, on SQLite, PostgreSQL and MariaDB with the same code.

use orm_core::prelude::*;
use orm_core::{Json, Value, raw};
use orm_tests::each_backend;
use serde::{Deserialize, Serialize};

#[derive(SqlType, Debug, Clone, Copy, PartialEq)]
#[orm(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Published,
    #[orm(rename = "in_review")]
    InReview,
    ArchivedForGood,
}

#[derive(SqlType, Debug, Clone, Copy, PartialEq)]
#[orm(repr = "i16")]
pub enum Priority {
    Low = 1,
    High = 5,
}

/// Without `rename_all`: the variant names as they are.
#[derive(SqlType, Debug, Clone, Copy, PartialEq)]
pub enum Color {
    Red,
    DarkBlue,
}

#[derive(SqlType, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserId(pub i64);

#[derive(SqlType, Debug, Clone, PartialEq)]
pub struct Slug(pub String);

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Dims {
    pub w: u32,
    pub h: u32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct PostMeta {
    pub tags: Vec<String>,
    pub cover: Option<Dims>,
    pub extra: std::collections::BTreeMap<String, Vec<i32>>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ty_author")]
pub struct Author {
    #[orm(primary_key)]
    pub id: UserId,
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ty_post", unique(author_id, slug), index(status, priority))]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Author)]
    pub author_id: UserId,
    pub slug: Slug,
    #[orm(default = "draft")]
    pub status: Status,
    #[orm(default = 1)]
    pub priority: Priority,
    pub color: Option<Color>,
    pub reviewer: Option<UserId>,
    pub meta: Json<PostMeta>,
    #[orm(default = "it's \\ here")]
    pub note: String,
    #[orm(default = 7)]
    pub score: i32,
    #[orm(default = -2.5)]
    pub ratio: f64,
    #[orm(default = true)]
    pub visible: bool,
}

/// A table written by raw SQL without the CHECK, to read values no variant names.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ty_loose")]
pub struct Loose {
    #[orm(primary_key)]
    pub id: i64,
    pub status: Status,
    pub priority: Option<Priority>,
}

fn post(author: UserId, slug: &str, status: Status, priority: Priority) -> Post {
    Post {
        id: 0,
        author_id: author,
        slug: Slug(slug.into()),
        status,
        priority,
        color: None,
        reviewer: None,
        meta: Json(PostMeta::default()),
        note: String::new(),
        score: 0,
        ratio: 0.0,
        visible: false,
    }
}

async fn setup(db: &Db) -> orm_core::Result<(Author, Author)> {
    Author::create_table(db).await?;
    Post::create_table(db).await?;
    let mut ann = Author { id: UserId(0), name: "ann".into() };
    ann.save(db).await?;
    let mut bob = Author { id: UserId(0), name: "bob".into() };
    bob.insert(db).await?;
    assert_ne!(ann.id, UserId(0));
    assert_ne!(ann.id, bob.id);
    Ok((ann, bob))
}

#[tokio::test]
async fn derived_types_round_trip_and_filter() {
    each_backend!("ty_round_trip", |db| {
        let (ann, bob) = setup(&db).await?;
        let mut p1 = post(ann.id, "hello", Status::Published, Priority::High);
        p1.color = Some(Color::DarkBlue);
        p1.reviewer = Some(bob.id);
        let mut extra = std::collections::BTreeMap::new();
        extra.insert("a".to_owned(), vec![1, -2, 3]);
        p1.meta =
            Json(PostMeta { tags: vec!["x".into(), "ü😀".into()], cover: Some(Dims { w: 640, h: 480 }), extra });
        p1.save(&db).await?;
        let mut p2 = post(ann.id, "second", Status::InReview, Priority::Low);
        p2.save(&db).await?;
        let mut p3 = post(bob.id, "third", Status::ArchivedForGood, Priority::Low);
        p3.color = Some(Color::Red);
        p3.save(&db).await?;

        assert_eq!(Post::find(&db, p1.id).await?, Some(p1.clone()));
        assert_eq!(Author::find(&db, ann.id).await?, Some(ann.clone()));
        // Filters, is_in, ordering on derived types.
        let published = Post::query().filter(Post::STATUS.eq(Status::Published)).all(&db).await?;
        assert_eq!(published, vec![p1.clone()]);
        let by_ann = Post::query().filter(Post::AUTHOR_ID.eq(ann.id)).order_by(Post::ID.asc()).all(&db).await?;
        assert_eq!(by_ann, vec![p1.clone(), p2.clone()]);
        let some = Post::query()
            .filter(Post::STATUS.is_in([Status::InReview, Status::ArchivedForGood]))
            .order_by(Post::PRIORITY.desc())
            .order_by(Post::ID.desc())
            .all(&db)
            .await?;
        assert_eq!(some.iter().map(|p| p.id).collect::<Vec<_>>(), vec![p3.id, p2.id]);
        assert_eq!(Post::query().filter(Post::COLOR.eq(Color::Red)).count(&db).await?, 1);
        assert_eq!(Post::query().filter(Post::COLOR.eq(None)).count(&db).await?, 1);
        assert_eq!(Post::query().filter(Post::REVIEWER.eq(bob.id)).count(&db).await?, 1);
        assert_eq!(Post::query().filter(Post::SLUG.eq(Slug("third".into()))).count(&db).await?, 1);
        let high = Post::query().filter(Post::PRIORITY.gt(Priority::Low)).all(&db).await?;
        assert_eq!(high, vec![p1.clone()]);

        // Aggregates and select tuples.
        let (lo, hi) = Post::query().aggregate(&db, (Post::PRIORITY.min(), Post::PRIORITY.max())).await?;
        assert_eq!((lo, hi), (Some(Priority::Low), Some(Priority::High)));
        assert_eq!(Post::query().aggregate(&db, Post::AUTHOR_ID.max()).await?, Some(UserId(bob.id.0.max(ann.id.0))));
        let pairs: Vec<(Status, Priority, Option<Color>)> =
            Post::query().select((Post::STATUS, Post::PRIORITY, Post::COLOR)).order_by(Post::ID.asc()).all(&db).await?;
        assert_eq!(
            pairs,
            vec![
                (Status::Published, Priority::High, Some(Color::DarkBlue)),
                (Status::InReview, Priority::Low, None),
                (Status::ArchivedForGood, Priority::Low, Some(Color::Red)),
            ]
        );

        // Raw SQL binds and scalars.
        let table = if db.backend() == orm_core::Backend::MySql { "`ty_post`" } else { "\"ty_post\"" };
        let n: Option<i64> = raw(format!("SELECT COUNT(*) FROM {table} WHERE status = ?"))
            .bind(Status::InReview)
            .fetch_scalar(&db)
            .await?;
        assert_eq!(n, Some(1));
        let s: Option<Status> =
            raw(format!("SELECT status FROM {table} WHERE id = ?")).bind(p3.id).fetch_scalar(&db).await?;
        assert_eq!(s, Some(Status::ArchivedForGood));
        let a: Option<UserId> = raw(format!("SELECT author_id FROM {table} WHERE slug = ?"))
            .bind(Slug("hello".into()))
            .fetch_scalar(&db)
            .await?;
        assert_eq!(a, Some(ann.id));
        let pr: Vec<Priority> = raw(format!("SELECT priority FROM {table} ORDER BY id")).fetch_scalars(&db).await?;
        assert_eq!(pr, vec![Priority::High, Priority::Low, Priority::Low]);

        // Relations through a newtype key: parent and eager loading.
        assert_eq!(Post::AUTHOR.parent_of(&db, &p3).await?, bob);
        let loaded: Vec<(Author, Vec<Post>)> =
            Author::query().order_by(Author::ID.asc()).all(&db).await?.with_children::<Post>(&db).await?;
        let counts: Vec<(UserId, usize)> = loaded.iter().map(|(a, ps)| (a.id, ps.len())).collect();
        assert_eq!(counts, vec![(ann.id, 2), (bob.id, 1)]);
        assert_eq!(
            Author::query().filter(Post::AUTHOR.any_where(Post::STATUS.eq(Status::Published))).count(&db).await?,
            1
        );

        // Streams.
        let mut stream = Post::query().filter(Post::STATUS.ne(Status::Draft)).stream(&db);
        let mut seen = 0;
        while let Some(p) = stream.try_next().await? {
            assert_ne!(p.status, Status::Draft);
            seen += 1;
        }
        assert_eq!(seen, 3);

        // Set-based updates with derived values.
        let n = Post::query()
            .filter(Post::STATUS.eq(Status::InReview))
            .update(&db, [Post::STATUS.set(Status::Published)])
            .await?;
        assert_eq!(n, 1);
        assert_eq!(Post::query().filter(Post::STATUS.eq(Status::Published)).count(&db).await?, 2);
        Ok(())
    });
}

#[tokio::test]
async fn derived_types_in_bulk_writes_and_upserts() {
    each_backend!("ty_bulk", |db| {
        let (ann, bob) = setup(&db).await?;
        let rows: Vec<Post> = (0..50)
            .map(|i| {
                let status = [Status::Draft, Status::Published, Status::InReview][i % 3];
                let mut p = post(if i % 2 == 0 { ann.id } else { bob.id }, &format!("s{i}"), status, Priority::Low);
                p.meta = Json(PostMeta { tags: vec![format!("t{i}")], ..PostMeta::default() });
                p
            })
            .collect();
        assert_eq!(Post::insert_many(&db, &rows).await?, 50);
        assert_eq!(Post::query().filter(Post::STATUS.eq(Status::Draft)).count(&db).await?, 17);
        let mut first = Post::query().filter(Post::SLUG.eq(Slug("s0".into()))).first(&db).await?.expect("s0");
        assert_eq!(first.meta.tags, vec!["t0".to_owned()]);
        first.status = Status::ArchivedForGood;
        first.priority = Priority::High;
        first.upsert(&db).await?;
        assert_eq!(Post::find(&db, first.id).await?, Some(first.clone()));
        let mut again = first.clone();
        again.reviewer = Some(bob.id);
        assert_eq!(Post::upsert_many(&db, &[again.clone()]).await?, 1);
        assert_eq!(Post::find(&db, first.id).await?.map(|p| p.reviewer), Some(Some(bob.id)));
        // Newtype keys in bulk: authors with explicit keys.
        let more = vec![Author { id: UserId(1000), name: "c".into() }, Author { id: UserId(1001), name: "d".into() }];
        assert_eq!(Author::insert_many(&db, &more).await?, 2);
        assert_eq!(Author::find(&db, UserId(1001)).await?.map(|a| a.name), Some("d".to_owned()));
        let mut generated = vec![Author { id: UserId(0), name: "e".into() }];
        Author::insert_many_with_keys(&db, &mut generated).await?;
        assert!(generated[0].id.0 > 1001, "{:?}", generated[0].id);
        Ok(())
    });
}

#[tokio::test]
async fn unknown_enum_values_are_decode_errors() {
    each_backend!("ty_unknown", |db| {
        raw("CREATE TABLE ty_loose (id BIGINT PRIMARY KEY, status VARCHAR(50) NOT NULL, priority SMALLINT)")
            .execute(&db)
            .await?;
        raw("INSERT INTO ty_loose (id, status, priority) VALUES (1, 'in_review', 5), (2, 'bogus', NULL), (3, 'draft', 3)")
            .execute(&db)
            .await?;
        let one = Loose::find(&db, 1).await?;
        assert_eq!(one, Some(Loose { id: 1, status: Status::InReview, priority: Some(Priority::High) }));
        for (id, column, value) in [(2, "status", "\"bogus\""), (3, "priority", "3")] {
            match Loose::find(&db, id).await {
                Err(e @ Error::Decode { .. }) => {
                    let Error::Decode { table, column: c, .. } = &e else { unreachable!() };
                    assert_eq!((table.as_str(), c.as_str()), ("ty_loose", column));
                    let msg = e.to_string();
                    assert!(msg.contains(value), "{msg}");
                    assert!(msg.contains("ty_loose") && msg.contains(column), "{msg}");
                }
                other => panic!("expected a decode error, got {other:?}"),
            }
        }
        // The same through a raw scalar.
        let r: orm_core::Result<Option<Status>> =
            raw("SELECT status FROM ty_loose WHERE id = 2").fetch_scalar(&db).await;
        assert!(matches!(r, Err(Error::Decode { .. })), "{r:?}");
        Ok(())
    });
}

#[tokio::test]
async fn checks_defaults_and_composite_constraints() {
    each_backend!("ty_constraints", |db| {
        let (ann, bob) = setup(&db).await?;
        let t = |s: &str| if db.backend() == orm_core::Backend::MySql { format!("`{s}`") } else { format!("\"{s}\"") };
        // A row inserted with raw SQL gets the defaults.
        raw(format!("INSERT INTO {} (author_id, slug, meta) VALUES (?, ?, ?)", t("ty_post")))
            .bind(ann.id)
            .bind("raw")
            .bind(Value::Json(serde_json::json!({"tags": [], "cover": null, "extra": {}})))
            .execute(&db)
            .await?;
        let p = Post::query().filter(Post::SLUG.eq(Slug("raw".into()))).first(&db).await?.expect("raw row");
        assert_eq!(p.status, Status::Draft);
        assert_eq!(p.priority, Priority::Low);
        assert_eq!(p.note, "it's \\ here");
        assert_eq!((p.score, p.ratio, p.visible), (7, -2.5, true));

        // The CHECK refuses text and integers no variant has.
        let bad = raw(format!("UPDATE {} SET status = 'bogus'", t("ty_post"))).execute(&db).await;
        assert!(matches!(bad, Err(Error::CheckViolation(_))), "{bad:?}");
        let bad = raw(format!("UPDATE {} SET priority = 3", t("ty_post"))).execute(&db).await;
        assert!(matches!(bad, Err(Error::CheckViolation(_))), "{bad:?}");

        // Composite unique: the same slug for another author is fine, for the same one an error
        // naming both columns.
        post(bob.id, "raw", Status::Draft, Priority::Low).save(&db).await?;
        match post(ann.id, "raw", Status::Published, Priority::High).save(&db).await {
            Err(Error::UniqueViolation(info)) => {
                let cols = info.column.clone().unwrap_or_default();
                assert!(cols.contains("author_id") && cols.contains("slug"), "{info:?}");
                assert_eq!(info.table.as_deref(), Some("ty_post"), "{info:?}");
            }
            other => panic!("expected a unique violation, got {other:?}"),
        }
        // The same through insert_many.
        let dup = vec![post(bob.id, "raw", Status::Draft, Priority::Low)];
        assert!(
            matches!(Post::insert_many(&db, &dup).await, Err(Error::UniqueViolation(i)) if i.column.as_deref().is_some_and(|c| c.contains("slug")))
        );
        assert_eq!(Post::query().count(&db).await?, 2);
        Ok(())
    });
}

#[test]
fn ddl_lists_checks_defaults_and_composite_constraints() {
    use orm_core::Backend;
    let pg = orm_core::create_table_sql::<Post>(Backend::Postgres);
    // Each enum's CHECK is a table constraint named as `Schema::model` and the migrations name it.
    assert!(pg[0].contains(r#""status" TEXT NOT NULL DEFAULT 'draft', "#), "{}", pg[0]);
    assert!(pg[0].contains(r#"CONSTRAINT "ty_post_status_check" CHECK ("status" IN ('draft', 'published', 'in_review', 'archived_for_good'))"#), "{}", pg[0]);
    assert!(pg[0].contains(r#""priority" SMALLINT NOT NULL DEFAULT 1, "#), "{}", pg[0]);
    assert!(pg[0].contains(r#"CONSTRAINT "ty_post_priority_check" CHECK ("priority" IN (1, 5))"#), "{}", pg[0]);
    assert!(pg[0].contains(r#"CONSTRAINT "ty_post_author_id_slug_key" UNIQUE ("author_id", "slug")"#), "{}", pg[0]);
    assert!(
        pg.iter().any(|s| s.contains(
            r#"CREATE INDEX IF NOT EXISTS "ty_post_status_priority_idx" ON "ty_post" ("status", "priority")"#
        )),
        "{pg:?}"
    );
    assert!(pg[0].contains(r#""meta" JSONB NOT NULL"#), "{}", pg[0]);
    let my = orm_core::create_table_sql::<Post>(Backend::MySql);
    assert!(
        // VARCHAR(255): `status` is in an index.
        my[0].contains("`status` VARCHAR(255) NOT NULL DEFAULT ('draft'), ")
            && my[0].contains("CONSTRAINT `ty_post_status_check` CHECK (`status` IN ('draft'"),
        "{}",
        my[0]
    );
    assert!(my[0].contains(r"DEFAULT ('it''s \\ here')"), "{}", my[0]);
    assert!(my[0].contains("`meta` JSON NOT NULL"), "{}", my[0]);
    let lite = orm_core::create_table_sql::<Post>(Backend::Sqlite);
    assert!(lite[0].contains(r#""visible" INTEGER NOT NULL DEFAULT 1"#), "{}", lite[0]);
    assert!(lite[0].contains(r#""meta" TEXT NOT NULL"#), "{}", lite[0]);
}
