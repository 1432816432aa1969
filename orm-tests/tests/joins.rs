//! Typed joins along declared relations, on every backend with the same code: Chinook reports
//! checked against the same question asked in raw SQL (and against numbers known of Chinook),
//! left joins decoding into `Option`, a self-join under an alias, grouping and aggregates over
//! joined columns (PostgreSQL's strict GROUP BY; MySQL/MariaDB with ONLY_FULL_GROUP_BY set on the
//! session), projections into a `FromRow` struct, and soft-deleted joined rows.

use orm_core::prelude::*;
use orm_core::{Backend, raw};
use orm_tests::each_chinook;
use rust_decimal::Decimal;

/// MySQL 8's default `sql_mode` (ONLY_FULL_GROUP_BY first), for the session of `tx`.
async fn strict_group_by(tx: &mut Tx) -> orm_core::Result<()> {
    if tx.backend() == Backend::MySql {
        raw("SET SESSION sql_mode = 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'")
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

fn sorted<T: PartialOrd>(mut v: Vec<T>) -> Vec<T> {
    v.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    v
}

#[tokio::test]
async fn joins_revenue_per_country() {
    each_chinook!("joins_revenue_per_country", |db| {
        let mut tx = db.begin().await?;
        strict_group_by(&mut tx).await?;
        // The pinned surface: one row per invoice line with its track's name and country.
        let lines: Vec<(String, Option<String>, i32)> = InvoiceLine::query()
            .join(InvoiceLine::TRACK)
            .join(InvoiceLine::INVOICE)
            .select((Track::NAME, Invoice::BILLING_COUNTRY, InvoiceLine::QUANTITY))
            .order_by(InvoiceLine::INVOICE_LINE_ID.asc())
            .all(&mut tx)
            .await?;
        assert_eq!(lines.len(), 2240);
        // Invoice line 1 is track 2 ("Balls to the Wall") of invoice 1 (Germany).
        assert_eq!(lines[0], ("Balls to the Wall".to_owned(), Some("Germany".to_owned()), 1));

        // Revenue per billing country, through the invoice lines.
        let per_country: Vec<(Option<String>, Option<Decimal>, i64)> = InvoiceLine::query()
            .join(InvoiceLine::INVOICE)
            .select((Invoice::BILLING_COUNTRY, InvoiceLine::UNIT_PRICE.sum(), count::<InvoiceLine>()))
            .group_by(Invoice::BILLING_COUNTRY)
            .order_by(Invoice::BILLING_COUNTRY.asc())
            .all(&mut tx)
            .await?;
        let sql = format!(
            "SELECT i.{country}, SUM(l.{price} * l.{qty}), COUNT(*) FROM {lines} l JOIN {inv} i ON i.{iid} = l.{liid} \
             GROUP BY i.{country}",
            country = Invoice::BILLING_COUNTRY.name(),
            price = InvoiceLine::UNIT_PRICE.name(),
            qty = InvoiceLine::QUANTITY.name(),
            lines = InvoiceLine::TABLE,
            inv = Invoice::TABLE,
            iid = Invoice::INVOICE_ID.name(),
            liid = InvoiceLine::INVOICE_ID.name(),
        );
        let expected: Vec<(Option<String>, Option<Decimal>, i64)> = raw(sql).fetch_all(&mut tx).await?;
        let round = |v: Vec<(Option<String>, Option<Decimal>, i64)>| {
            sorted(v.into_iter().map(|(c, s, n)| (c, s.map(|d| d.round_dp(2)), n)).collect())
        };
        assert_eq!(round(per_country.clone()), round(expected));
        assert_eq!(per_country.len(), 24);
        let usa = per_country.iter().find(|r| r.0.as_deref() == Some("USA")).expect("USA");
        assert_eq!(usa.1.map(|d| d.round_dp(2)), Some(Decimal::new(52306, 2)));
        let total: Decimal = per_country.iter().filter_map(|r| r.1).sum();
        assert_eq!(total.round_dp(2), Decimal::new(232860, 2));

        // Filters and HAVING over joined columns; ordering by an aggregate.
        let big: Vec<(Option<String>, i64)> = InvoiceLine::query()
            .join(InvoiceLine::INVOICE)
            .join(InvoiceLine::TRACK)
            .filter(Track::MILLISECONDS.gt(300_000))
            .select((Invoice::BILLING_COUNTRY, count::<InvoiceLine>()))
            .group_by(Invoice::BILLING_COUNTRY)
            .having(count::<InvoiceLine>().gte(20))
            .order_by(count::<InvoiceLine>().desc())
            .order_by(Invoice::BILLING_COUNTRY.asc())
            .all(&mut tx)
            .await?;
        let sql = format!(
            "SELECT i.{country}, COUNT(*) FROM {lines} l JOIN {inv} i ON i.{iid} = l.{liid} \
             JOIN {track} t ON t.{tid} = l.{ltid} WHERE t.{ms} > 300000 GROUP BY i.{country} HAVING COUNT(*) >= 20",
            country = Invoice::BILLING_COUNTRY.name(),
            lines = InvoiceLine::TABLE,
            inv = Invoice::TABLE,
            iid = Invoice::INVOICE_ID.name(),
            liid = InvoiceLine::INVOICE_ID.name(),
            track = Track::TABLE,
            tid = Track::TRACK_ID.name(),
            ltid = InvoiceLine::TRACK_ID.name(),
            ms = Track::MILLISECONDS.name(),
        );
        let expected: Vec<(Option<String>, i64)> = raw(sql).fetch_all(&mut tx).await?;
        assert!(!expected.is_empty());
        assert_eq!(sorted(big.clone()), sorted(expected));
        assert!(big.windows(2).all(|w| w[0].1 >= w[1].1), "ordered by the count");

        // The model rows that have a match, and their count.
        let q = InvoiceLine::query().join(InvoiceLine::INVOICE).filter(Invoice::BILLING_COUNTRY.eq("Canada"));
        let canada = q.count(&mut tx).await?;
        let rows = q.clone().order_by(InvoiceLine::INVOICE_LINE_ID.asc()).all(&mut tx).await?;
        assert_eq!(rows.len() as u64, canada);
        let sql = format!(
            "SELECT COUNT(*) FROM {lines} l JOIN {inv} i ON i.{iid} = l.{liid} WHERE i.{country} = 'Canada'",
            country = Invoice::BILLING_COUNTRY.name(),
            lines = InvoiceLine::TABLE,
            inv = Invoice::TABLE,
            iid = Invoice::INVOICE_ID.name(),
            liid = InvoiceLine::INVOICE_ID.name(),
        );
        assert_eq!(raw(sql).fetch_scalar::<i64>(&mut tx).await?, Some(canada as i64));
        assert_eq!(q.limit(5).count(&mut tx).await?, 5);
        Ok(())
    });
}

#[tokio::test]
async fn joins_tracks_per_genre_left_join() {
    each_chinook!("joins_tracks_per_genre_left_join", |db| {
        let mut tx = db.begin().await?;
        strict_group_by(&mut tx).await?;
        // A genre without tracks (rolled back with the transaction).
        Genre { genre_id: 9_999, name: Some("Silence".into()) }.insert(&mut tx).await?;
        let per_genre: Vec<(i32, Option<String>, i64, Option<i64>)> = Genre::query()
            .left_join(Track::GENRE)
            .select((Genre::GENRE_ID, Genre::NAME, Track::TRACK_ID.count(), Track::MILLISECONDS.sum()))
            .group_by((Genre::GENRE_ID, Genre::NAME))
            .order_by(Genre::GENRE_ID.asc())
            .all(&mut tx)
            .await?;
        assert_eq!(per_genre.len(), 26);
        assert_eq!(per_genre.last(), Some(&(9_999, Some("Silence".to_owned()), 0, None)));
        assert_eq!(per_genre[0].2, 1297, "Rock");
        assert_eq!(per_genre.iter().map(|r| r.2).sum::<i64>(), 3503);
        let sql = format!(
            "SELECT g.{gid}, g.{gname}, COUNT(t.{tid}) FROM {genre} g LEFT JOIN {track} t \
             ON t.{tgid} = g.{gid} GROUP BY g.{gid}, g.{gname}",
            gid = Genre::GENRE_ID.name(),
            gname = Genre::NAME.name(),
            tid = Track::TRACK_ID.name(),
            genre = Genre::TABLE,
            track = Track::TABLE,
            tgid = Track::GENRE_ID.name(),
        );
        let expected: Vec<(i32, Option<String>, i64)> = raw(sql).fetch_all(&mut tx).await?;
        assert_eq!(per_genre.iter().map(|r| (r.0, r.1.clone(), r.2)).collect::<Vec<_>>(), sorted(expected));
        let all_ms = Track::query().aggregate(&mut tx, Track::MILLISECONDS.sum()).await?;
        assert_eq!(per_genre.iter().filter_map(|r| r.3).sum::<i64>(), all_ms.expect("tracks"));
        // An inner join keeps only the genres with tracks.
        let inner = Genre::query().join(Track::GENRE).select(Genre::GENRE_ID).distinct().all(&mut tx).await?;
        assert_eq!(inner.len(), 25);

        // From the other side: a left-joined parent's columns are `Option` (`String` here).
        Track {
            track_id: 9_999,
            name: "No album".into(),
            album_id: None,
            media_type_id: 1,
            genre_id: None,
            composer: None,
            milliseconds: 1,
            bytes: None,
            unit_price: Decimal::new(99, 2),
        }
        .insert(&mut tx)
        .await?;
        let rows: Vec<(String, Option<String>, Option<String>)> = Track::query()
            .left_join(Track::ALBUM)
            .left_join(Track::GENRE)
            .filter(Track::TRACK_ID.is_in([1, 9_999]))
            .select((Track::NAME, Album::TITLE, Genre::NAME))
            .order_by(Track::TRACK_ID.asc())
            .all(&mut tx)
            .await?;
        assert_eq!(
            rows,
            vec![
                (
                    "For Those About To Rock (We Salute You)".to_owned(),
                    Some("For Those About To Rock We Salute You".to_owned()),
                    Some("Rock".to_owned())
                ),
                ("No album".to_owned(), None, None),
            ]
        );
        // A chain of joins through a left-joined table; a filter on it.
        let acdc: Vec<(String, Option<String>)> = Track::query()
            .left_join(Track::ALBUM)
            .left_join(Album::ARTIST)
            .filter(Artist::NAME.eq("AC/DC"))
            .select((Track::NAME, Artist::NAME))
            .all(&mut tx)
            .await?;
        assert_eq!(acdc.len(), 18);
        // A computation on a left-joined column, read as possibly NULL; streamed.
        let q = Track::query()
            .left_join(Track::ALBUM)
            .filter(Track::TRACK_ID.is_in([1, 9_999]))
            .select((Track::TRACK_ID, (Album::ARTIST_ID * 10).nullable()))
            .order_by(Track::TRACK_ID.asc());
        let mut stream = q.stream(&mut tx);
        let mut streamed = Vec::new();
        while let Some(row) = stream.try_next().await? {
            streamed.push(row);
        }
        drop(stream);
        assert_eq!(streamed, vec![(1, Some(10)), (9_999, None)]);
        Ok(())
    });
}

#[tokio::test]
async fn joins_employee_and_manager() {
    each_chinook!("joins_employee_and_manager", |db| {
        orm_core::alias!(Manager = Employee);
        orm_core::alias!(Grand = Employee);
        orm_core::alias!(Report = Employee);
        let mut tx = db.begin().await?;
        strict_group_by(&mut tx).await?;
        let rows: Vec<(i32, String, Option<String>, Option<String>)> = Employee::query()
            .left_join(Employee::REPORTS_TO_REL.parent_as(Manager))
            .left_join(Employee::REPORTS_TO_REL.parent_as(Grand).from(Manager))
            .select((
                Employee::EMPLOYEE_ID,
                Employee::FIRST_NAME,
                Manager::col(Employee::FIRST_NAME),
                Grand::col(Employee::FIRST_NAME),
            ))
            .order_by(Employee::EMPLOYEE_ID.asc())
            .all(&mut tx)
            .await?;
        let sql = format!(
            "SELECT e.{id}, e.{first}, m.{first}, g.{first} FROM {t} e LEFT JOIN {t} m ON m.{id} = e.{up} \
             LEFT JOIN {t} g ON g.{id} = m.{up} ORDER BY e.{id}",
            id = Employee::EMPLOYEE_ID.name(),
            first = Employee::FIRST_NAME.name(),
            up = Employee::REPORTS_TO.name(),
            t = Employee::TABLE,
        );
        let expected: Vec<(i32, String, Option<String>, Option<String>)> = raw(sql).fetch_all(&mut tx).await?;
        assert_eq!(rows, expected);
        assert_eq!(rows.len(), 8);
        assert_eq!(rows[0], (1, "Andrew".to_owned(), None, None));
        assert_eq!(rows[2], (3, "Jane".to_owned(), Some("Nancy".to_owned()), Some("Andrew".to_owned())));

        // Filter on the alias; an inner join drops the employee without a manager.
        let under_nancy = Employee::query()
            .join(Employee::REPORTS_TO_REL.parent_as(Manager))
            .filter(Manager::col(Employee::FIRST_NAME).eq("Nancy"))
            .select(Employee::FIRST_NAME)
            .order_by(Employee::FIRST_NAME.asc())
            .all(&mut tx)
            .await?;
        assert_eq!(under_nancy, vec!["Jane", "Margaret", "Steve"]);

        // The other way: every manager with how many report to them (grouped by the base table).
        let reports: Vec<(String, i64)> = Employee::query()
            .join(Employee::REPORTS_TO_REL.children_as(Report))
            .select((Employee::FIRST_NAME, Report::col(Employee::EMPLOYEE_ID).count()))
            .group_by((Employee::EMPLOYEE_ID, Employee::FIRST_NAME))
            .order_by(Employee::EMPLOYEE_ID.asc())
            .all(&mut tx)
            .await?;
        assert_eq!(reports, vec![("Andrew".to_owned(), 2), ("Nancy".to_owned(), 3), ("Michael".to_owned(), 2)]);

        // Customers with their support rep's name, counted per rep: three models.
        let per_rep: Vec<(String, i64)> = Customer::query()
            .join(Customer::SUPPORT_REP)
            .select((Employee::LAST_NAME, count::<Customer>()))
            .group_by(Employee::LAST_NAME)
            .order_by(Employee::LAST_NAME.asc())
            .all(&mut tx)
            .await?;
        assert_eq!(per_rep, vec![("Johnson".to_owned(), 18), ("Park".to_owned(), 20), ("Peacock".to_owned(), 21)]);
        Ok(())
    });
}

// --- own models: soft delete, projections, SQL ------------------------------------------------------

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "jn_author")]
pub struct Author {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[orm(soft_delete)]
    pub deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "jn_book")]
pub struct Book {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[orm(belongs_to = Author)]
    pub author_id: Option<i64>,
    pub kind: Kind,
}

/// A derived type, read from a left-joined table as `Option<Kind>`.
#[derive(SqlType, Debug, Clone, Copy, PartialEq)]
#[orm(rename_all = "snake_case")]
pub enum Kind {
    Novel,
    Essay,
}

#[derive(FromRow, Debug, PartialEq)]
pub struct BookLine {
    pub title: String,
    pub name: Option<String>,
}

#[tokio::test]
async fn joins_soft_delete_and_projection() {
    orm_tests::each_backend!("joins_soft_delete", |db| {
        Author::create_table(&db).await?;
        Book::create_table(&db).await?;
        let mut ann = Author { id: 0, name: "Ann".into(), deleted_at: None };
        ann.insert(&db).await?;
        let mut bob = Author { id: 0, name: "Bob".into(), deleted_at: None };
        bob.insert(&db).await?;
        for (title, author) in [("A1", Some(ann.id)), ("A2", Some(ann.id)), ("B1", Some(bob.id)), ("N1", None)] {
            let kind = if title == "A2" { Kind::Essay } else { Kind::Novel };
            Book { id: 0, title: title.into(), author_id: author, kind }.insert(&db).await?;
        }
        bob.delete(&db).await?;

        // Inner join: the books of a deleted author do not match.
        let inner: Vec<(String, String)> = Book::query()
            .join(Book::AUTHOR)
            .select((Book::TITLE, Author::NAME))
            .order_by(Book::TITLE.asc())
            .all(&db)
            .await?;
        assert_eq!(inner, vec![("A1".to_owned(), "Ann".to_owned()), ("A2".to_owned(), "Ann".to_owned())]);
        assert_eq!(Book::query().join(Book::AUTHOR).count(&db).await?, 2);
        // Left join: they stay, without their author.
        let left: Vec<BookLine> =
            Book::query().left_join(Book::AUTHOR).select_as::<BookLine>().order_by(Book::TITLE.asc()).all(&db).await?;
        let line = |t: &str, n: Option<&str>| BookLine { title: t.into(), name: n.map(Into::into) };
        assert_eq!(left, vec![line("A1", Some("Ann")), line("A2", Some("Ann")), line("B1", None), line("N1", None)]);
        // From the parent: a deleted author is not read (the base query's scope) unless asked.
        let per_author: Vec<(String, i64)> = Author::query()
            .with_deleted()
            .left_join(Book::AUTHOR)
            .select((Author::NAME, Book::ID.count()))
            .group_by((Author::ID, Author::NAME))
            .order_by(Author::NAME.asc())
            .all(&db)
            .await?;
        assert_eq!(per_author, vec![("Ann".to_owned(), 2), ("Bob".to_owned(), 1)]);
        let kinds: Vec<(String, Option<Kind>)> = Author::query()
            .with_deleted()
            .left_join(Book::AUTHOR)
            .filter(Book::KIND.eq(Kind::Essay).or(Book::KIND.is_null()))
            .select((Author::NAME, Book::KIND))
            .order_by(Author::NAME.asc())
            .all(&db)
            .await?;
        assert_eq!(kinds, vec![("Ann".to_owned(), Some(Kind::Essay))]);
        let live: Vec<String> = Author::query().join(Book::AUTHOR).select(Author::NAME).distinct().all(&db).await?;
        assert_eq!(live, vec!["Ann"]);
        // Whole rows of the queried model.
        let ann_books = Book::query().join(Book::AUTHOR).filter(Author::NAME.eq("Ann")).all(&db).await?;
        assert_eq!(ann_books.iter().map(|b| b.title.as_str()).collect::<Vec<_>>(), vec!["A1", "A2"]);
        // OR across tables.
        let some: Vec<String> = Book::query()
            .left_join(Book::AUTHOR)
            .filter_any((Book::TITLE.eq("N1"), Author::NAME.eq("Ann")))
            .select(Book::TITLE)
            .order_by(Book::TITLE.asc())
            .all(&db)
            .await?;
        assert_eq!(some, vec!["A1", "A2", "N1"]);
        let first = Book::query().join(Book::AUTHOR).order_by(Book::TITLE.desc()).first(&db).await?;
        assert_eq!(first.map(|b| b.title), Some("A2".to_owned()));

        // Identifiers quoted, values bound, the soft-delete condition in ON.
        let sql = Book::query()
            .left_join(Book::AUTHOR)
            .filter(Author::NAME.eq("Ann"))
            .select((Book::TITLE, Author::NAME))
            .to_sql(db.backend())?;
        let q = |s: &str| {
            let mut out = String::new();
            db.backend().write_ident(&mut out, s);
            out
        };
        let expected_from = format!(
            " FROM {book} LEFT JOIN {author} ON (({author}.{id} = {book}.{aid}) AND ({author}.{del} IS NULL)) WHERE ",
            book = q("jn_book"),
            author = q("jn_author"),
            id = q("id"),
            aid = q("author_id"),
            del = q("deleted_at"),
        );
        assert!(sql.contains(&expected_from), "{sql}");
        assert!(!sql.contains("Ann"), "bound, not inlined: {sql}");

        // A projection naming a column two tables have is an error, not a guess.
        #[derive(FromRow, Debug)]
        #[allow(dead_code)]
        struct Ids {
            id: i64,
        }
        let err = Book::query().join(Book::AUTHOR).select_as::<Ids>().all(&db).await.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err}");
        Ok(())
    });
}
