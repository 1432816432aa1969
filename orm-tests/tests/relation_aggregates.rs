//! Relation aggregates and EXISTS as selectable expressions, on all three backends with the same
//! code: `ForeignKey::count` / `count_where` (a correlated `COUNT` subquery), `Cond::to_expr` (a
//! condition read as a boolean column), `Cond::always` / `never`, `annotate` on `select_as`
//! projections and window totals (`count().over_all()`), on plain and joined queries; soft-deleted
//! children, self references, bound values.
//!
//! Run with `CI=1 cargo test -p orm-tests --test relation_aggregates` so that no backend is skipped.

use chrono::{DateTime, Utc};
use orm_core::prelude::*;
use orm_core::{Backend, Error};
use orm_tests::each_backend;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ra_author")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// A self reference: the author's mentor.
    #[orm(belongs_to = Author, on_delete = "set null")]
    pub mentor_id: Option<i64>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ra_post")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[orm(belongs_to = Author, on_delete = "cascade")]
    pub author_id: i64,
    pub score: Option<i32>,
}

/// Soft-deleted likes do not count and do not exist.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ra_like")]
pub struct Like {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Post, on_delete = "cascade")]
    pub post_id: i64,
    #[orm(belongs_to = Author, on_delete = "cascade")]
    pub fan_id: i64,
    #[orm(soft_delete)]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Ann (mentor of Bob and Cy) wrote "a1" (liked by Bob and Cy, and by Ann but that like is
/// deleted) and "a2" (liked by Bob); Bob wrote "b1" (no like); Cy wrote nothing.
struct Seed {
    ann: Author,
    bob: Author,
    cy: Author,
    a1: Post,
    b1: Post,
}

async fn seed(db: &Db) -> orm_core::Result<Seed> {
    Author::create_table(db).await?;
    Post::create_table(db).await?;
    Like::create_table(db).await?;
    let mut ann = Author { id: 0, name: "ann".into(), mentor_id: None };
    ann.insert(db).await?;
    let mut bob = Author { id: 0, name: "bob".into(), mentor_id: Some(ann.id) };
    bob.insert(db).await?;
    let mut cy = Author { id: 0, name: "cy".into(), mentor_id: Some(ann.id) };
    cy.insert(db).await?;
    let mut posts = Vec::new();
    for (title, author, score) in [("a1", ann.id, Some(5)), ("a2", ann.id, None), ("b1", bob.id, Some(1))] {
        let mut p = Post { id: 0, title: title.into(), author_id: author, score };
        p.insert(db).await?;
        posts.push(p);
    }
    for (post, fan) in [(0, bob.id), (0, cy.id), (1, bob.id), (0, ann.id)] {
        Like { id: 0, post_id: posts[post].id, fan_id: fan, deleted_at: None }.insert(db).await?;
    }
    let ann_like = Like::query().filter(Like::FAN_ID.eq(ann.id)).first(db).await?.expect("ann's like");
    assert!(ann_like.delete(db).await?);
    let b1 = posts.pop().expect("b1");
    let a1 = posts.remove(0);
    Ok(Seed { ann, bob, cy, a1, b1 })
}

#[derive(FromRow, Debug, PartialEq)]
struct PostSummary {
    title: String,
    likes: i64,
    liked_by_me: bool,
}

#[derive(FromRow, Debug, PartialEq)]
struct PostLine {
    id: i64,
    title: String,
    name: String,
    likes: i64,
    i_follow: bool,
}

#[tokio::test]
async fn relation_count_and_exists_as_columns() {
    each_backend!("relation_count_and_exists_as_columns", |db| {
        let s = seed(&db).await?;

        // COUNT of the children of each row, 0 for none; the soft-deleted like is not counted.
        let counts: Vec<(String, i64)> =
            Post::query().select((Post::TITLE, Like::POST.count())).order_by(Post::TITLE.asc()).all(&db).await?;
        assert_eq!(counts, vec![("a1".into(), 2), ("a2".into(), 1), ("b1".into(), 0)]);
        // ... with a condition on the children, filtered and ordered by.
        let by_bob: Vec<(String, i64)> = Post::query()
            .filter(Like::POST.count().gt(0))
            .select((Post::TITLE, Like::POST.count_where(Like::FAN_ID.eq(s.bob.id))))
            .order_by(Like::POST.count().desc())
            .order_by(Post::TITLE.asc())
            .all(&db)
            .await?;
        assert_eq!(by_bob, vec![("a1".into(), 1), ("a2".into(), 1)]);

        // EXISTS as a boolean column: did Cy like the post? Ann's deleted like does not exist.
        for (me, expected) in [(s.cy.id, [true, false, false]), (s.ann.id, [false, false, false])] {
            let liked: Vec<bool> = Post::query()
                .select(Like::POST.any_where(Like::FAN_ID.eq(me)).to_expr())
                .order_by(Post::TITLE.asc())
                .all(&db)
                .await?;
            assert_eq!(liked, expected, "as {me}");
        }
        // Constant conditions, and a condition that is NULL in SQL (a NULL score) reads false.
        let flags: Vec<(String, bool, bool, bool)> = Post::query()
            .select((Post::TITLE, Cond::always().to_expr(), Cond::never().to_expr(), Post::SCORE.gt(2).to_expr()))
            .order_by(Post::TITLE.asc())
            .all(&db)
            .await?;
        assert_eq!(
            flags,
            vec![
                ("a1".into(), true, false, true),
                ("a2".into(), true, false, false),
                ("b1".into(), true, false, false)
            ]
        );

        // A self reference: the number of mentees of each author (the subquery is aliased).
        let mentees: Vec<(String, i64, bool)> = Author::query()
            .select((Author::NAME, Author::MENTOR.count(), Author::MENTOR.any().to_expr()))
            .order_by(Author::NAME.asc())
            .all(&db)
            .await?;
        assert_eq!(mentees, vec![("ann".into(), 2, true), ("bob".into(), 0, false), ("cy".into(), 0, false)]);

        // Into a projection: `annotate` computes the fields that are no column.
        let me = s.cy.id;
        let summaries: Vec<PostSummary> = Post::query()
            .select_as::<PostSummary>()
            .annotate("likes", Like::POST.count())
            .annotate("liked_by_me", Like::POST.any_where(Like::FAN_ID.eq(me)).to_expr())
            .order_by(Post::TITLE.asc())
            .all(&db)
            .await?;
        assert_eq!(summaries[0], PostSummary { title: "a1".into(), likes: 2, liked_by_me: true });
        assert_eq!(summaries[2], PostSummary { title: "b1".into(), likes: 0, liked_by_me: false });
        // A field left without its annotation is the usual error; a name no field has is one too.
        let missing = Post::query().select_as::<PostSummary>().annotate("likes", Like::POST.count()).all(&db).await;
        assert!(matches!(missing, Err(Error::Decode { ref column, .. }) if column == "liked_by_me"), "{missing:?}");
        let unknown = Post::query().select_as::<PostSummary>().annotate("nope", Like::POST.count()).all(&db).await;
        assert!(matches!(unknown, Err(Error::Unsupported(ref m)) if m.contains("nope")), "{unknown:?}");
        let on_tuple = Post::query().select(Post::TITLE).annotate("title", Like::POST.count()).all(&db).await;
        assert!(matches!(on_tuple, Err(Error::Unsupported(_))), "{on_tuple:?}");
        Ok(())
    });
}

#[tokio::test]
async fn relation_aggregates_in_joined_queries() {
    each_backend!("relation_aggregates_in_joined_queries", |db| {
        let s = seed(&db).await?;
        let me = s.bob.id;

        // The post, its author, its like count, and whether the viewer is mentored by the author:
        // one statement, the subqueries correlated to the joined tables.
        let rows: Vec<(String, String, i64, bool)> = Post::query()
            .join(Post::AUTHOR)
            .select((
                Post::TITLE,
                Author::NAME,
                Like::POST.count(),
                Author::MENTOR.any_where(Author::ID.eq(me)).to_expr(),
            ))
            .order_by(Post::TITLE.asc())
            .all(&db)
            .await?;
        assert_eq!(
            rows,
            vec![
                ("a1".into(), "ann".into(), 2, true),
                ("a2".into(), "ann".into(), 1, true),
                ("b1".into(), "bob".into(), 0, false)
            ]
        );
        // The other way round: authors with the number of their posts, over a left join with each
        // post (an author without posts is kept), filtered on the aggregate.
        let per_author: Vec<(String, Option<String>, i64)> = Author::query()
            .left_join(Post::AUTHOR)
            .filter(Post::AUTHOR.count().lt(2))
            .select((Author::NAME, Post::TITLE, Post::AUTHOR.count()))
            .order_by(Author::NAME.asc())
            .all(&db)
            .await?;
        assert_eq!(per_author, vec![("bob".into(), Some("b1".into()), 1), ("cy".into(), None, 0)]);

        // A projection over the join: `annotate` settles the `id` both tables have, and computes the
        // aggregate and the flag; a filter on the joined table.
        let lines: Vec<PostLine> = Post::query()
            .join(Post::AUTHOR)
            .filter(Author::NAME.eq("ann"))
            .select_as::<PostLine>()
            .annotate("id", Post::ID.to_expr())
            .annotate("likes", Like::POST.count())
            .annotate("i_follow", Author::MENTOR.any_where(Author::ID.eq(me)).to_expr())
            .order_by(Post::TITLE.asc())
            .all(&db)
            .await?;
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            PostLine { id: s.a1.id, title: "a1".into(), name: "ann".into(), likes: 2, i_follow: true }
        );
        // Without the `id` annotation, the clash is reported.
        let clash = Post::query()
            .join(Post::AUTHOR)
            .select_as::<PostLine>()
            .annotate("likes", Like::POST.count())
            .annotate("i_follow", Cond::<Author>::never().to_expr())
            .all(&db)
            .await;
        assert!(matches!(clash, Err(Error::Decode { ref column, .. }) if column == "id"), "{clash:?}");
        assert!(s.b1.id > 0 && s.ann.id > 0);
        Ok(())
    });
}

/// The rendered SQL: values bound, identifiers quoted by each dialect, the subquery aliased.
#[test]
fn relation_aggregates_sql() {
    let q = Post::query().select((Like::POST.count_where(Like::FAN_ID.eq(42)), Like::POST.any().to_expr()));
    let pg = q.to_sql(Backend::Postgres).unwrap();
    assert_eq!(
        pg,
        "SELECT (SELECT COUNT(*) FROM \"ra_like\" AS \"ra_like_1\" WHERE ((\"ra_like_1\".\"post_id\" = \
         \"ra_post\".\"id\") AND (\"ra_like_1\".\"fan_id\" = $1) AND (\"ra_like_1\".\"deleted_at\" IS NULL))), \
         (EXISTS (SELECT 1 FROM \"ra_like\" AS \"ra_like_1\" WHERE ((\"ra_like_1\".\"post_id\" = \"ra_post\".\"id\") \
         AND (\"ra_like_1\".\"deleted_at\" IS NULL)))) FROM \"ra_post\""
    );
    let my = q.to_sql(Backend::MySql).unwrap();
    assert!(my.starts_with("SELECT (SELECT COUNT(*) FROM `ra_like` AS `ra_like_1` WHERE"), "{my}");
    assert!(my.contains("`fan_id` = ?") && !my.contains("42"), "{my}");
    let cond = Post::query().select(Post::SCORE.gt(2).to_expr()).to_sql(Backend::Sqlite).unwrap();
    assert_eq!(cond, "SELECT COALESCE((\"ra_post\".\"score\" > ?), (1 = 0)) FROM \"ra_post\"");
}

/// A page and the total number of matching rows in one statement: `count().over_all()`.
#[tokio::test]
async fn window_total_beside_a_page() {
    each_backend!("window_total_beside_a_page", |db| {
        let s = seed(&db).await?;
        // Two posts of three match; the page holds one of them, each row carries the total.
        let page: Vec<(String, i64, i64)> = Post::query()
            .filter(Post::AUTHOR_ID.eq(s.ann.id))
            .select((Post::TITLE, count().over_all(), Like::POST.count()))
            .order_by(Post::TITLE.asc())
            .limit(1)
            .all(&db)
            .await?;
        assert_eq!(page, vec![("a1".into(), 2, 2)]);
        // Past the end: no row, so no total.
        let empty: Vec<(String, i64)> =
            Post::query().select((Post::TITLE, count().over_all())).limit(5).offset(10).all(&db).await?;
        assert!(empty.is_empty());
        // On a joined query, with other aggregates as windows too, into a projection.
        #[derive(FromRow, Debug, PartialEq)]
        struct Line {
            title: String,
            name: String,
            total: i64,
            best: Option<i32>,
        }
        let lines: Vec<Line> = Post::query()
            .join(Post::AUTHOR)
            .select_as::<Line>()
            .annotate("total", count::<Post>().over_all())
            .annotate("best", Post::SCORE.max().over_all())
            .order_by(Post::TITLE.desc())
            .limit(2)
            .all(&db)
            .await?;
        assert_eq!(lines[0], Line { title: "b1".into(), name: "bob".into(), total: 3, best: Some(5) });
        assert_eq!(lines.len(), 2);
        let sum: Vec<Option<i64>> = Post::query().select(Post::SCORE.sum().over_all()).limit(1).all(&db).await?;
        assert_eq!(sum, vec![Some(6)]);
        // Not an aggregate: a clear error, no SQL sent.
        let bad = Post::query().select(Post::TITLE.to_expr().over_all()).all(&db).await;
        assert!(matches!(bad, Err(Error::Unsupported(ref m)) if m.contains("over_all")), "{bad:?}");
        Ok(())
    });
}

/// `fetch_page`: a page and the total number of matching rows in one statement (the total a
/// `COUNT(*)` subquery beside the page's columns), on model, joined, projected and grouped
/// queries; past the end the total takes a second statement.
#[tokio::test]
async fn fetch_page_counts_all_pages_in_one_statement() {
    each_backend!("fetch_page_counts_all_pages_in_one_statement", |db| {
        let s = seed(&db).await?;
        let statements = |db: &Db, before: u64| db.statement_count() - before;

        // Model rows: the page in the query's order, the total without limit and offset.
        let before = db.statement_count();
        let page = Post::query().order_by(Post::TITLE.asc()).limit(2).fetch_page(&db).await?;
        assert_eq!(page.rows.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(), ["a1", "a2"]);
        assert_eq!((page.total, page.pages(2)), (3, 2));
        assert_eq!(statements(&db, before), 1);
        let last = Post::query().order_by(Post::TITLE.asc()).limit(2).offset(2).fetch_page(&db).await?;
        assert_eq!((last.rows, last.total), (vec![s.b1.clone()], 3));

        // Past the end: no row to carry the total, which a second statement counts.
        let before = db.statement_count();
        let past = Post::query().order_by(Post::ID.asc()).limit(2).offset(10).fetch_page(&db).await?;
        assert_eq!((past.rows.len(), past.total), (0, 3));
        assert_eq!(statements(&db, before), 2);
        let none = Post::query().limit(0).fetch_page(&db).await?;
        assert_eq!((none.rows.len(), none.total), (0, 3));
        // Nothing matches: a first page, so the total is 0 without asking again.
        let before = db.statement_count();
        let empty = Post::query().filter(Post::TITLE.eq("zz")).limit(5).fetch_page(&db).await?;
        assert_eq!((empty.rows.len(), empty.total), (0, 0));
        assert_eq!(statements(&db, before), 1);

        // Bound values and a relation filter in the count too; soft-deleted rows do not count.
        let liked_by_bob = Post::query()
            .filter(Like::POST.any_where(Like::FAN_ID.eq(s.bob.id)) & Post::TITLE.ne("zz"))
            .order_by(Post::TITLE.desc())
            .limit(1)
            .fetch_page(&db)
            .await?;
        assert_eq!((liked_by_bob.rows[0].title.as_str(), liked_by_bob.total), ("a2", 2));
        let likes = Like::query().order_by(Like::ID.asc()).limit(1).fetch_page(&db).await?;
        assert_eq!((likes.rows.len(), likes.total), (1, 3));

        // Joined model rows, filtered on the joined table.
        let by_ann = Post::query()
            .join(Post::AUTHOR)
            .filter(Author::NAME.eq("ann"))
            .order_by(Post::TITLE.asc())
            .limit(1)
            .fetch_page(&db)
            .await?;
        assert_eq!((by_ann.rows, by_ann.total), (vec![s.a1.clone()], 2));

        // A joined projection with annotations (the page's own subqueries stay per row), in a
        // transaction.
        #[derive(FromRow, Debug, PartialEq)]
        struct Line {
            title: String,
            name: String,
            likes: i64,
        }
        let mut tx = db.begin().await?;
        let before = db.statement_count();
        let lines = Post::query()
            .join(Post::AUTHOR)
            .select_as::<Line>()
            .annotate("likes", Like::POST.count())
            .order_by(Post::TITLE.asc())
            .limit(2)
            .offset(1)
            .fetch_page(&mut tx)
            .await?;
        assert_eq!(statements(&db, before), 1);
        tx.commit().await?;
        let want = vec![
            Line { title: "a2".into(), name: "ann".into(), likes: 1 },
            Line { title: "b1".into(), name: "bob".into(), likes: 0 },
        ];
        assert_eq!((lines.rows, lines.total), (want, 3));

        // Grouped and distinct: the total counts result rows (groups), not matching rows.
        let per_author = Post::query()
            .join(Post::AUTHOR)
            .select((Author::NAME, count::<Post>()))
            .group_by(Author::NAME)
            .order_by(Author::NAME.asc())
            .limit(1)
            .fetch_page(&db)
            .await?;
        assert_eq!((per_author.rows, per_author.total), (vec![("ann".to_string(), 2)], 2));
        let authors = Post::query().select(Post::AUTHOR_ID).distinct().limit(1).fetch_page(&db).await?;
        assert_eq!((authors.rows.len(), authors.total), (1, 2));
        let scored = Post::query()
            .select((Post::AUTHOR_ID, Post::SCORE.max()))
            .group_by(Post::AUTHOR_ID)
            .having(count().gt(1))
            .fetch_page(&db)
            .await?;
        assert_eq!((scored.rows, scored.total), (vec![(s.ann.id, Some(5))], 1));
        // Past the end of a grouped page: counted again, as groups.
        let past = Post::query().select(Post::AUTHOR_ID).distinct().offset(5).limit(5).fetch_page(&db).await?;
        assert_eq!((past.rows.len(), past.total), (0, 2));
        // What `map` keeps.
        assert_eq!(page.map(|p| p.id).total, 3);
        let _ = (s.cy, s.ann);
        Ok(())
    });
}
