//! The query language on all three backends with the same code: selecting columns into tuples and
//! structs, aggregates (typed, NULL over no rows, group_by/having), set-based updates with
//! expressions, column-to-column comparisons, get_or_create/update_or_create, text matching
//! (escaping, Unicode case folding), ranges, streaming, row locks and raw SQL; and Chinook.
//!
//! Run with `CI=1 cargo test -p orm-tests --test querylang` so that no backend is skipped.

// The tuple types spell out what each query returns: that is the point of these tests.
#![allow(clippy::type_complexity)]

use orm_core::prelude::*;
use orm_core::{Backend, SqlType, Value, escape_like, raw};
use orm_tests::each_backend;
use rust_decimal::Decimal;
use std::str::FromStr;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

// --- fixtures --------------------------------------------------------------------------------

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ql_products")]
struct Product {
    #[orm(primary_key)]
    id: i64,
    #[orm(unique, max_length = 100)]
    name: String,
    category: Option<String>,
    stock: i32,
    reserved: i32,
    price: f64,
    cost: Option<Decimal>,
    weight: Option<i64>,
}

fn product(
    name: &str,
    category: Option<&str>,
    stock: i32,
    reserved: i32,
    price: f64,
    cost: Option<&str>,
    weight: Option<i64>,
) -> Product {
    Product {
        id: 0,
        name: name.into(),
        category: category.map(Into::into),
        stock,
        reserved,
        price,
        cost: cost.map(dec),
        weight,
    }
}

/// Four products: ids 1..=4 in this order.
async fn seed_products(db: &Db) -> orm_core::Result<()> {
    Product::create_table(db).await?;
    for mut p in [
        product("apple", Some("fruit"), 10, 2, 1.5, Some("1.10"), Some(5_000_000_000)),
        product("banana", Some("fruit"), 0, 0, 0.25, Some("2.20"), Some(6_000_000_000)),
        product("carrot", Some("veg"), 7, 7, 2.0, None, None),
        product("dill", None, 5, 9, 4.0, Some("3.30"), Some(1)),
    ] {
        p.insert(db).await?;
    }
    Ok(())
}

/// A smaller struct than `Product`, read by column name.
#[derive(FromRow, Debug, PartialEq)]
struct ProductName {
    id: i64,
    #[orm(column = "name")]
    title: String,
}

#[derive(FromRow, Debug, PartialEq)]
struct NotAColumn {
    id: i64,
    colour: String,
}

// --- selecting columns -------------------------------------------------------------------------

#[tokio::test]
async fn select_columns_into_tuples_and_structs() {
    each_backend!("querylang_select", |db| {
        seed_products(&db).await?;

        let names: Vec<String> = Product::query().select(Product::NAME).order_by(Product::NAME.desc()).all(&db).await?;
        assert_eq!(names, ["dill", "carrot", "banana", "apple"]);

        let pairs: Vec<(i64, String)> = Product::query()
            .filter(Product::STOCK.gt(0))
            .select((Product::ID, Product::NAME))
            .order_by(Product::ID.asc())
            .all(&db)
            .await?;
        assert_eq!(pairs, [(1, "apple".to_owned()), (3, "carrot".to_owned()), (4, "dill".to_owned())]);

        // Nullable columns, nested tuples, expressions.
        let rows: Vec<((i64, Option<String>), Option<Decimal>, i32)> = Product::query()
            .select(((Product::ID, Product::CATEGORY), Product::COST, Product::STOCK - Product::RESERVED))
            .order_by(Product::ID.asc())
            .all(&db)
            .await?;
        assert_eq!(rows[2], ((3, Some("veg".to_owned())), None, 0));
        assert_eq!(rows[3], ((4, None), Some(dec("3.30")), -4));

        let first: Option<(String, f64)> =
            Product::query().select((Product::NAME, Product::PRICE)).order_by(Product::PRICE.desc()).first(&db).await?;
        assert_eq!(first, Some(("dill".to_owned(), 4.0)));

        // distinct
        let mut categories: Vec<Option<String>> =
            Product::query().select(Product::CATEGORY).distinct().all(&db).await?;
        categories.sort();
        assert_eq!(categories, [None, Some("fruit".to_owned()), Some("veg".to_owned())]);
        let n_distinct = Product::query().aggregate(&db, Product::CATEGORY.count_distinct()).await?;
        assert_eq!(n_distinct, 2);

        // A smaller struct, by column name.
        let small: Vec<ProductName> = Product::query()
            .filter(Product::ID.lte(2))
            .select_as::<ProductName>()
            .order_by(Product::ID.asc())
            .all(&db)
            .await?;
        assert_eq!(
            small,
            [ProductName { id: 1, title: "apple".into() }, ProductName { id: 2, title: "banana".into() }]
        );
        let sql = Product::query().select_as::<ProductName>().to_sql(db.backend())?;
        assert!(!sql.contains('*'), "{sql}");

        // A struct naming a column the model lacks: a clear error, before reaching the database.
        let before = db.statement_count();
        match Product::query().select_as::<NotAColumn>().all(&db).await {
            Err(Error::Decode { table, column, .. }) => {
                assert_eq!((table.as_str(), column.as_str()), ("ql_products", "colour"))
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
        assert_eq!(db.statement_count(), before);
        Ok(())
    });
}

// --- aggregates --------------------------------------------------------------------------------

#[tokio::test]
async fn aggregates_over_no_rows_are_null() {
    each_backend!("querylang_agg_empty", |db| {
        seed_products(&db).await?;
        let none = Product::query().filter(Product::ID.lt(0));

        let (n, sum, avg, min, max) = none
            .aggregate(
                &db,
                (count(), Product::STOCK.sum(), Product::STOCK.avg(), Product::NAME.min(), Product::PRICE.max()),
            )
            .await?;
        let typed: (i64, Option<i64>, Option<f64>, Option<String>, Option<f64>) = (n, sum, avg, min, max);
        assert_eq!(typed, (0, None, None, None, None));

        let (cost_sum, cost_avg, weight_sum, weight_min, n_weight) = none
            .aggregate(
                &db,
                (
                    Product::COST.sum(),
                    Product::COST.avg(),
                    Product::WEIGHT.sum(),
                    Product::WEIGHT.min(),
                    Product::WEIGHT.count(),
                ),
            )
            .await?;
        let typed: (Option<Decimal>, Option<Decimal>, Option<i64>, Option<i64>, i64) =
            (cost_sum, cost_avg, weight_sum, weight_min, n_weight);
        assert_eq!(typed, (None, None, None, None, 0));

        // Only NULLs: also NULL.
        let only_null = Product::query().filter(Product::COST.is_null());
        assert_eq!(only_null.aggregate(&db, Product::COST.sum()).await?, None);
        assert_eq!(only_null.aggregate(&db, (count(), Product::WEIGHT.max())).await?, (1, None));
        Ok(())
    });
}

#[tokio::test]
async fn aggregates_have_the_same_types_everywhere() {
    each_backend!("querylang_agg_values", |db| {
        seed_products(&db).await?;
        let all = Product::query();

        // COUNT is i64; SUM of INTEGER is i64 (NUMERIC/DECIMAL cast back), AVG is f64 (not an
        // integer division: 22 / 4 = 5.5).
        let (n, stock_sum, stock_avg, stock_min, stock_max) = all
            .aggregate(
                &db,
                (count(), Product::STOCK.sum(), Product::STOCK.avg(), Product::STOCK.min(), Product::STOCK.max()),
            )
            .await?;
        assert_eq!((n, stock_sum, stock_avg, stock_min, stock_max), (4, Some(22), Some(5.5), Some(0), Some(10)));

        // SUM of BIGINT beyond i32 (NUMERIC on PostgreSQL), NULLs skipped.
        let (w_sum, w_avg, w_max, w_count) = all
            .aggregate(
                &db,
                (Product::WEIGHT.sum(), Product::WEIGHT.avg(), Product::WEIGHT.max(), Product::WEIGHT.count()),
            )
            .await?;
        assert_eq!(w_sum, Some(11_000_000_001));
        assert_eq!(w_max, Some(6_000_000_000));
        assert_eq!(w_count, 3);
        assert!((w_avg.unwrap() - 11_000_000_001.0 / 3.0).abs() < 1e-3, "{w_avg:?}");

        // Floats and decimals.
        let (p_sum, p_avg) = all.aggregate(&db, (Product::PRICE.sum(), Product::PRICE.avg())).await?;
        assert_eq!((p_sum, p_avg), (Some(7.75), Some(1.9375)));
        let (c_sum, c_avg, c_min) =
            all.aggregate(&db, (Product::COST.sum(), Product::COST.avg(), Product::COST.min())).await?;
        // SQLite sums decimals in floating point: compare at the column's scale.
        assert_eq!(c_sum.map(|d| d.round_dp(2)), Some(dec("6.60")));
        assert_eq!(c_avg.map(|d| d.round_dp(2)), Some(dec("2.20")));
        assert_eq!(c_min, Some(dec("1.10")));

        // MIN/MAX of text.
        assert_eq!(
            all.aggregate(&db, (Product::NAME.min(), Product::NAME.max())).await?,
            (Some("apple".into()), Some("dill".into()))
        );

        // Aggregates of expressions, and counting with limit/offset (over the rows they keep).
        let free: Option<i64> = all.aggregate(&db, (Product::STOCK - Product::RESERVED).sum()).await?;
        assert_eq!(free, Some(22 - 18));
        let first_two = Product::query().order_by(Product::ID.asc()).limit(2);
        assert_eq!(first_two.aggregate(&db, (count(), Product::STOCK.sum())).await?, (2, Some(10)));
        let skip_one = Product::query().order_by(Product::ID.asc()).offset(1);
        assert_eq!(skip_one.aggregate(&db, Product::NAME.min()).await?, Some("banana".into()));
        Ok(())
    });
}

#[tokio::test]
async fn group_by_and_having() {
    each_backend!("querylang_group_by", |db| {
        seed_products(&db).await?;
        let per_category: Vec<(Option<String>, i64, Option<i64>, Option<f64>)> = Product::query()
            .select((Product::CATEGORY, count(), Product::STOCK.sum(), Product::PRICE.avg()))
            .group_by(Product::CATEGORY)
            .order_by(count().desc())
            .order_by(Product::CATEGORY.asc())
            .all(&db)
            .await?;
        assert_eq!(per_category[0], (Some("fruit".into()), 2, Some(10), Some(0.875)));
        assert_eq!(per_category.len(), 3);
        assert!(per_category.contains(&(None, 1, Some(5), Some(4.0))));

        // HAVING on aggregates, WHERE before grouping, and a limit on the groups.
        let big: Vec<(Option<String>, i64)> = Product::query()
            .filter(Product::PRICE.gt(0.1))
            .select((Product::CATEGORY, Product::STOCK.sum()))
            .group_by(Product::CATEGORY)
            .having(Product::STOCK.sum().gte(6).and(count().lt(3)))
            .order_by(Product::STOCK.sum().desc())
            .all(&db)
            .await?
            .into_iter()
            .map(|(c, s)| (c, s.unwrap_or(0)))
            .collect();
        assert_eq!(big, [(Some("fruit".into()), 10), (Some("veg".into()), 7)]);
        let top: Vec<Option<String>> = Product::query()
            .select(Product::CATEGORY)
            .group_by(Product::CATEGORY)
            .having(Product::CATEGORY.is_not_null())
            .order_by(Product::CATEGORY.desc())
            .limit(1)
            .all(&db)
            .await?;
        assert_eq!(top, [Some("veg".to_owned())]);

        // Grouping by two keys.
        let mut by_two: Vec<(Option<String>, i32, i64)> = Product::query()
            .select((Product::CATEGORY, Product::RESERVED, count()))
            .group_by((Product::CATEGORY, Product::RESERVED))
            .all(&db)
            .await?;
        by_two.sort();
        assert_eq!(by_two.len(), 4);
        assert_eq!(by_two[0], (None, 9, 1));
        Ok(())
    });
}

// --- set-based update and column comparisons ---------------------------------------------------

async fn stocks(db: &Db) -> orm_core::Result<Vec<(i64, i32, i32)>> {
    Product::query().select((Product::ID, Product::STOCK, Product::RESERVED)).order_by(Product::ID.asc()).all(db).await
}

#[tokio::test]
async fn update_with_expressions_without_loading_rows() {
    each_backend!("querylang_update", |db| {
        seed_products(&db).await?;

        // stock = stock - 1 where stock > 0: one statement, rows matched returned.
        let before = db.statement_count();
        let n =
            Product::query().filter(Product::STOCK.gt(0)).update(&db, [Product::STOCK.set(Product::STOCK - 1)]).await?;
        assert_eq!(n, 3);
        assert_eq!(db.statement_count() - before, 1);
        assert_eq!(stocks(&db).await?, [(1, 9, 2), (2, 0, 0), (3, 6, 7), (4, 4, 9)]);

        // Several assignments: a column from another column, arithmetic on two columns, a value,
        // NULL, and floats.
        let n = Product::query()
            .filter(Product::ID.eq(1))
            .update(
                &db,
                [
                    Product::RESERVED.set(Product::STOCK),
                    Product::PRICE.set(Product::PRICE * 2.0 + 0.5),
                    Product::NAME.set("apple pie"),
                    Product::WEIGHT.set(None),
                    Product::COST.set(Product::COST + dec("0.05")),
                ],
            )
            .await?;
        assert_eq!(n, 1);
        let apple = Product::find(&db, 1).await?.unwrap();
        assert_eq!(
            (apple.reserved, apple.price, apple.name.as_str(), apple.weight, apple.cost),
            (9, 3.5, "apple pie", None, Some(dec("1.15")))
        );

        // Integer division truncates on every backend (MySQL's `/` would give a DECIMAL).
        Product::query().filter(Product::ID.eq(3)).update(&db, [Product::STOCK.set(Product::STOCK / 4)]).await?;
        Product::query()
            .filter(Product::ID.eq(4))
            .update(&db, [Product::STOCK.set((Product::STOCK + Product::RESERVED) * 2 - 1)])
            .await?;
        assert_eq!(stocks(&db).await?, [(1, 9, 9), (2, 0, 0), (3, 1, 7), (4, 25, 9)]);

        // Rows that match but do not change count too (MySQL: CLIENT_FOUND_ROWS).
        assert_eq!(Product::query().update(&db, [Product::STOCK.set(Product::STOCK)]).await?, 4);
        assert_eq!(Product::query().filter(Product::ID.lt(0)).update(&db, [Product::STOCK.set(1)]).await?, 0);

        // order_by + limit: the rows are picked by key.
        let n =
            Product::query().order_by(Product::STOCK.desc()).limit(2).update(&db, [Product::RESERVED.set(0)]).await?;
        assert_eq!(n, 2);
        assert_eq!(stocks(&db).await?, [(1, 9, 0), (2, 0, 0), (3, 1, 7), (4, 25, 0)]);

        // Bad input is a clear error.
        let empty: [orm_core::Assignment<Product>; 0] = [];
        assert!(matches!(Product::query().update(&db, empty).await, Err(Error::InvalidValue(_))));
        let twice = [Product::STOCK.set(1), Product::STOCK.set(2)];
        assert!(matches!(Product::query().update(&db, twice).await, Err(Error::InvalidValue(_))));
        // A constraint violated by the update is the usual typed error.
        let dup = Product::query().filter(Product::ID.eq(2)).update(&db, [Product::NAME.set("dill")]).await;
        assert!(matches!(dup, Err(Error::UniqueViolation(_))), "{dup:?}");

        // Inside a transaction.
        let mut tx = db.begin().await?;
        Product::query().update(&mut tx, [Product::STOCK.set(Product::STOCK + 100)]).await?;
        assert_eq!(Product::query().aggregate(&mut tx, Product::STOCK.min()).await?, Some(100));
        tx.rollback().await?;
        assert_eq!(Product::query().aggregate(&db, Product::STOCK.min()).await?, Some(0));
        Ok(())
    });
}

#[tokio::test]
async fn column_to_column_comparisons() {
    each_backend!("querylang_compare_columns", |db| {
        seed_products(&db).await?;
        let db = &db;
        let ids =
            move |q: Query<Product>| async move { q.select(Product::ID).order_by(Product::ID.asc()).all(db).await };
        assert_eq!(ids(Product::query().filter(Product::STOCK.gt_col(Product::RESERVED))).await?, [1]);
        assert_eq!(ids(Product::query().filter(Product::STOCK.eq_col(Product::RESERVED))).await?, [2, 3]);
        assert_eq!(ids(Product::query().filter(Product::STOCK.lt_col(Product::RESERVED))).await?, [4]);
        assert_eq!(ids(Product::query().filter(Product::STOCK.gte_col(Product::RESERVED * 2))).await?, [1, 2]);
        assert_eq!(ids(Product::query().filter(Product::STOCK.ne_col(Product::RESERVED))).await?, [1, 4]);
        assert_eq!(ids(Product::query().filter(Product::STOCK.lte_col(Product::RESERVED - 4))).await?, [4]);
        // An expression on the left, a value or a column on the right.
        assert_eq!(ids(Product::query().filter((Product::STOCK - Product::RESERVED).gte(5))).await?, [1]);
        assert_eq!(ids(Product::query().filter((Product::STOCK + 1).gt(Product::RESERVED))).await?, [1, 2, 3]);
        assert_eq!(
            ids(Product::query().filter(Product::PRICE.to_expr().between(Product::PRICE, 2.0))).await?,
            [1, 2, 3]
        );
        // NULL compares as in Django: eq(None) is IS NULL.
        assert_eq!(ids(Product::query().filter(Product::COST.to_expr().eq(None))).await?, [3]);
        Ok(())
    });
}

// --- get_or_create / update_or_create ----------------------------------------------------------

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ql_users")]
struct User {
    #[orm(primary_key)]
    id: i64,
    #[orm(unique, max_length = 100)]
    email: String,
    name: String,
    visits: i32,
}

fn user(email: &str, name: &str) -> User {
    User { id: 0, email: email.into(), name: name.into(), visits: 0 }
}

#[tokio::test]
async fn get_or_create_and_update_or_create() {
    each_backend!("querylang_get_or_create", |db| {
        User::create_table(&db).await?;
        let ann = || User::query().filter(User::EMAIL.eq("ann@x.io"));

        let (a, created) = ann().get_or_create(&db, || user("ann@x.io", "Ann")).await?;
        assert!(created);
        assert!(a.id > 0);
        let (b, created) = ann().get_or_create(&db, || panic!("must not be called: the row exists")).await?;
        assert!(!created);
        assert_eq!(a, b);

        // More than one match is an error, not an arbitrary pick.
        user("bo1@x.io", "Bo").insert(&db).await?;
        user("bo2@x.io", "Bo").insert(&db).await?;
        let many = User::query().filter(User::NAME.eq("Bo")).get_or_create(&db, || user("bo3@x.io", "Bo")).await;
        assert!(matches!(many, Err(Error::MultipleRows { ref table }) if table == "ql_users"), "{many:?}");

        // update_or_create: updates the existing row (and saves it)...
        let (c, created) = ann().update_or_create(&db, || panic!("exists"), |u| u.visits += 5).await?;
        assert!(!created);
        assert_eq!((c.id, c.visits), (a.id, 5));
        assert_eq!(User::find(&db, a.id).await?.unwrap().visits, 5);
        // ...or creates a new one.
        let (d, created) = User::query()
            .filter(User::EMAIL.eq("cy@x.io"))
            .update_or_create(&db, || User { visits: 1, ..user("cy@x.io", "Cy") }, |u| u.visits += 1)
            .await?;
        assert!(created);
        assert_eq!(User::find(&db, d.id).await?, Some(d));

        // Inside a transaction: a unique violation of the insert does not break the transaction
        // (a savepoint guards it; PostgreSQL would abort the transaction otherwise).
        let mut tx = db.begin().await?;
        let clash = User::query()
            .filter(User::EMAIL.eq("nobody@x.io"))
            .get_or_create(&mut tx, || user("ann@x.io", "Another Ann"))
            .await;
        assert!(matches!(clash, Err(Error::UniqueViolation(_))), "{clash:?}");
        let (e, created) =
            User::query().filter(User::EMAIL.eq("di@x.io")).get_or_create(&mut tx, || user("di@x.io", "Di")).await?;
        assert!(created);
        let (_, created) = ann().update_or_create(&mut tx, || panic!("exists"), |u| u.visits = 100).await?;
        assert!(!created);
        tx.rollback().await?;
        assert_eq!(User::find(&db, e.id).await?, None);
        assert_eq!(User::find(&db, a.id).await?.unwrap().visits, 5);
        Ok(())
    });
}

/// In a transaction whose snapshot predates the winning row (MySQL's REPEATABLE READ fixes it at
/// the first read), the lost insert's re-read still finds the row another connection committed.
/// Not on SQLite: its in-memory test database has one connection, which the transaction holds
/// (and SQLite has one writer at a time: the race cannot happen inside a write transaction).
#[tokio::test]
async fn get_or_create_in_a_transaction_finds_a_row_committed_after_its_snapshot() {
    each_backend!("querylang_get_or_create_snapshot", |db| {
        if db.backend() == Backend::Sqlite {
            eprintln!("not on SQLite (see the test's docs)");
            return Ok(());
        }
        User::create_table(&db).await?;
        let mut tx = db.begin().await?;
        assert_eq!(User::query().count(&mut tx).await?, 0);
        user("late@x.io", "Committed elsewhere").insert(&db).await?;
        let (found, created) = User::query()
            .filter(User::EMAIL.eq("late@x.io"))
            .get_or_create(&mut tx, || user("late@x.io", "Mine"))
            .await?;
        assert!(!created);
        assert_eq!(found.name, "Committed elsewhere");
        tx.commit().await?;
        assert_eq!(User::query().count(&db).await?, 1);
        Ok(())
    });
}

#[tokio::test]
async fn get_or_create_races_create_one_row() {
    each_backend!("querylang_get_or_create_race", |db| {
        User::create_table(&db).await?;
        // Eight tasks ask for the same new row at once: one creates it, all get the same row.
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    User::query()
                        .filter(User::EMAIL.eq("race@x.io"))
                        .get_or_create(&db, move || user("race@x.io", &format!("task {i}")))
                        .await
                })
            })
            .collect();
        let mut ids = Vec::new();
        let mut created = 0;
        for t in tasks {
            let (u, c) = t.await.expect("task panicked")?;
            ids.push(u.id);
            created += usize::from(c);
        }
        assert_eq!(created, 1);
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
        assert_eq!(User::query().count(&db).await?, 1);

        // Eight concurrent update_or_create increments of one row lose none (the row is locked
        // FOR UPDATE on PostgreSQL and MySQL; SQLite's transaction holds the write lock).
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    User::query()
                        .filter(User::EMAIL.eq("race@x.io"))
                        .update_or_create(&db, || user("race@x.io", "new"), |u| u.visits += 1)
                        .await
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task panicked")?;
        }
        assert_eq!(User::query().aggregate(&db, User::VISITS.max()).await?, Some(8));
        Ok(())
    });
}

// --- text matching and ranges ------------------------------------------------------------------

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ql_words")]
struct Word {
    #[orm(primary_key)]
    id: i64,
    text: String,
    note: Option<String>,
    n: i32,
}

const WORDS: &[&str] = &[
    "100% pure",
    "100 pure",
    "a_b",
    "axb",
    "C:\\dir",
    "wow!",
    "wow",
    "Äpfel",
    "äpfel",
    "ÉCOLE",
    "école",
    "Straße",
    "plain",
    "it's",
    "50!% off",
];

async fn seed_words(db: &Db) -> orm_core::Result<()> {
    Word::create_table(db).await?;
    for (i, t) in WORDS.iter().enumerate() {
        let note = (i % 3 == 0).then(|| t.to_uppercase());
        Word { id: 0, text: (*t).into(), note, n: i as i32 + 1 }.insert(db).await?;
    }
    Ok(())
}

async fn texts(db: &Db, cond: Cond<Word>) -> orm_core::Result<Vec<String>> {
    Word::query().filter(cond).select(Word::TEXT).order_by(Word::ID.asc()).all(db).await
}

#[tokio::test]
async fn text_helpers_escape_wildcards() {
    each_backend!("querylang_text_escape", |db| {
        seed_words(&db).await?;
        assert_eq!(texts(&db, Word::TEXT.starts_with("100%")).await?, ["100% pure"]);
        assert_eq!(texts(&db, Word::TEXT.contains("%")).await?, ["100% pure", "50!% off"]);
        assert_eq!(texts(&db, Word::TEXT.contains("_")).await?, ["a_b"]);
        assert_eq!(texts(&db, Word::TEXT.ends_with("!")).await?, ["wow!"]);
        assert_eq!(texts(&db, Word::TEXT.contains("!%")).await?, ["50!% off"]);
        assert_eq!(texts(&db, Word::TEXT.contains("\\")).await?, ["C:\\dir"]);
        assert_eq!(texts(&db, Word::TEXT.starts_with("C:\\d")).await?, ["C:\\dir"]);
        assert_eq!(texts(&db, Word::TEXT.contains("'")).await?, ["it's"]);
        assert_eq!(texts(&db, Word::TEXT.ends_with("pure")).await?, ["100% pure", "100 pure"]);
        // Case-sensitive helpers are case-sensitive everywhere.
        assert_eq!(texts(&db, Word::TEXT.starts_with("Ä")).await?, ["Äpfel"]);
        assert_eq!(texts(&db, Word::TEXT.contains("COLE")).await?, ["ÉCOLE"]);

        // like/ilike: wildcards are live, `!` escapes them (escape_like does it for you).
        assert_eq!(texts(&db, Word::TEXT.like("a_b")).await?, ["a_b", "axb"]);
        assert_eq!(texts(&db, Word::TEXT.like("a!_b")).await?, ["a_b"]);
        assert_eq!(texts(&db, Word::TEXT.like(format!("{}%", escape_like("100%")))).await?, ["100% pure"]);
        assert_eq!(escape_like("5!%_"), "5!!!%!_");
        Ok(())
    });
}

#[tokio::test]
async fn case_insensitive_matching_folds_unicode_everywhere() {
    each_backend!("querylang_text_ilike", |db| {
        seed_words(&db).await?;
        assert_eq!(texts(&db, Word::TEXT.ilike("äp%")).await?, ["Äpfel", "äpfel"]);
        assert_eq!(texts(&db, Word::TEXT.ilike("ÄPFEL")).await?, ["Äpfel", "äpfel"]);
        assert_eq!(texts(&db, Word::TEXT.ieq("äPFEL")).await?, ["Äpfel", "äpfel"]);
        assert_eq!(texts(&db, Word::TEXT.icontains("cOLE")).await?, ["ÉCOLE", "école"]);
        assert_eq!(texts(&db, Word::TEXT.istarts_with("é")).await?, ["ÉCOLE", "école"]);
        assert_eq!(texts(&db, Word::TEXT.istarts_with("É")).await?, ["ÉCOLE", "école"]);
        assert_eq!(texts(&db, Word::TEXT.iends_with("SSE")).await?, Vec::<String>::new());
        assert_eq!(texts(&db, Word::TEXT.iends_with("ASSE")).await?, Vec::<String>::new());
        assert_eq!(texts(&db, Word::TEXT.iends_with("aße")).await?, ["Straße"]);
        assert_eq!(texts(&db, Word::TEXT.icontains("100%")).await?, ["100% pure"]);
        assert_eq!(texts(&db, Word::TEXT.ieq("A_B")).await?, ["a_b"]);
        // Accents are not ignored (é is not e).
        assert_eq!(texts(&db, Word::TEXT.icontains("ecole")).await?, Vec::<String>::new());
        // Nullable columns: NULL never matches.
        assert_eq!(texts(&db, Word::NOTE.icontains("äpfel")).await?, Vec::<String>::new());
        assert_eq!(texts(&db, Word::NOTE.ilike("100%")).await?, ["100% pure"]);
        Ok(())
    });
}

#[tokio::test]
async fn between_includes_both_bounds() {
    each_backend!("querylang_between", |db| {
        seed_words(&db).await?;
        let ns =
            |c: Cond<Word>| async { Word::query().filter(c).select(Word::N).order_by(Word::N.asc()).all(&db).await };
        assert_eq!(ns(Word::N.between(3, 5)).await?, [3, 4, 5]);
        assert_eq!(ns(Word::N.between(5, 5)).await?, [5]);
        assert_eq!(ns(Word::N.between(6, 5)).await?, Vec::<i32>::new());
        assert_eq!(ns(!Word::N.between(2, 14)).await?, [1, 15]);
        assert_eq!(texts(&db, Word::TEXT.between("a_b", "axb")).await?, ["a_b", "axb"]);
        Ok(())
    });
}

// --- streaming ---------------------------------------------------------------------------------

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ql_items")]
struct Item {
    #[orm(primary_key)]
    id: i64,
    n: i64,
    label: String,
}

/// Identifiers quoted for `db`, for raw SQL.
fn q(db: &Db, ident: &str) -> String {
    let mut s = String::new();
    db.backend().write_ident(&mut s, ident);
    s
}

/// Inserts `count` items (n = 1..=count) in multi-row INSERTs.
async fn seed_items(db: &Db, count: i64) -> orm_core::Result<()> {
    Item::create_table(db).await?;
    let mut next = 1;
    while next <= count {
        let end = (next + 999).min(count);
        let mut sql = format!("INSERT INTO {} ({}, {}) VALUES ", q(db, "ql_items"), q(db, "n"), q(db, "label"));
        for i in next..=end {
            sql.push_str(if i == next { "(?, ?)" } else { ", (?, ?)" });
        }
        let mut r = raw(sql);
        for i in next..=end {
            r = r.bind(i).bind(format!("item {i}"));
        }
        r.execute(db).await?;
        next = end + 1;
    }
    Ok(())
}

#[tokio::test]
async fn stream_rows_as_they_arrive() {
    each_backend!("querylang_stream", |db| {
        seed_items(&db, 2000).await?;
        let before = db.statement_count();
        let mut stream = Item::query().filter(Item::N.gt(1000)).order_by(Item::N.asc()).stream(&db);
        let (mut count, mut sum, mut last) = (0, 0, 0);
        while let Some(item) = stream.try_next().await? {
            assert!(item.n > last);
            last = item.n;
            count += 1;
            sum += item.n;
        }
        drop(stream);
        assert_eq!((count, sum), (1000, (1001..=2000).sum::<i64>()));
        assert_eq!(db.statement_count() - before, 1);

        // As a futures Stream, with combinators.
        use futures_util::TryStreamExt;
        let labels: Vec<String> = Item::query()
            .filter(Item::N.lte(3))
            .order_by(Item::N.asc())
            .stream(&db)
            .map_ok(|i| i.label)
            .try_collect()
            .await?;
        assert_eq!(labels, ["item 1", "item 2", "item 3"]);

        // Selected columns, raw SQL, and a transaction.
        let mut pairs = Item::query().select((Item::N, Item::N * 2)).filter(Item::N.lte(10)).stream(&db);
        let mut total = 0;
        while let Some((n, twice)) = pairs.try_next().await? {
            assert_eq!(twice, n * 2);
            total += twice;
        }
        drop(pairs);
        assert_eq!(total, 110);
        let sql = format!("SELECT {} FROM {} WHERE {} <= ?", q(&db, "n"), q(&db, "ql_items"), q(&db, "n"));
        let raw_sum: i64 = raw(sql)
            .bind(100_i64)
            .fetch_stream::<(i64,)>(&db)
            .map_ok(|(n,)| n)
            .try_fold(0, |a, n| async move { Ok(a + n) })
            .await?;
        assert_eq!(raw_sum, 5050);

        let mut tx = db.begin().await?;
        Item::query().filter(Item::N.gt(1990)).delete(&mut tx).await?;
        let mut in_tx = 0;
        {
            let mut s = Item::query().stream(&mut tx);
            while s.try_next().await?.is_some() {
                in_tx += 1;
            }
        }
        assert_eq!(in_tx, 1990);
        tx.rollback().await?;

        // A query that cannot be rendered yields its error as the first item.
        let mut bad = Item::query().select_as::<NotAColumn>().stream(&db);
        assert!(matches!(bad.try_next().await, Err(Error::Decode { .. })));
        Ok(())
    });
}

#[tokio::test]
async fn stream_200k_rows_on_sqlite() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    seed_items(&db, 200_000).await.unwrap();
    let mut stream = Item::query().stream(&db);
    let (mut count, mut sum) = (0_i64, 0_i64);
    while let Some(item) = stream.try_next().await.unwrap() {
        count += 1;
        sum += item.n;
    }
    assert_eq!(count, 200_000);
    assert_eq!(sum, 200_000 * 200_001 / 2);
}

// --- row locks ---------------------------------------------------------------------------------

#[tokio::test]
async fn for_update_locks_rows_in_a_transaction() {
    each_backend!("querylang_for_update", |db| {
        seed_items(&db, 3).await?;
        let backend = db.backend();
        let mut tx = db.begin().await?;
        let locked = Item::query().filter(Item::N.eq(1)).for_update().first(&mut tx).await;
        if backend.supports_for_update() {
            let mut item = locked?.expect("row 1");
            item.label = "locked".into();
            item.update(&mut tx).await?;
            let sql = Item::query().for_update().to_sql(backend)?;
            assert!(sql.ends_with(" FOR UPDATE"), "{sql}");
        } else {
            assert_eq!(backend, Backend::Sqlite);
            assert!(matches!(locked, Err(Error::Unsupported(_))), "{locked:?}");
            assert!(Item::query().for_update().to_sql(backend).is_err());
        }
        tx.commit().await?;

        // Read-modify-write from six tasks at once loses no update: the portable pattern locks
        // where row locks exist (SQLite's BEGIN IMMEDIATE already serializes the transactions).
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    let mut tx = db.begin().await?;
                    let mut q = Item::query().filter(Item::ID.eq(2));
                    if tx.backend().supports_for_update() {
                        q = q.for_update();
                    }
                    let mut item = q.first(&mut tx).await?.expect("row 2");
                    tokio::task::yield_now().await;
                    item.n += 100;
                    item.update(&mut tx).await?;
                    tx.commit().await
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task panicked")?;
        }
        assert_eq!(Item::query().filter(Item::ID.eq(2)).select(Item::N).first(&db).await?, Some(602));
        Ok(())
    });
}

// --- raw SQL -----------------------------------------------------------------------------------

#[derive(FromRow, Debug, PartialEq)]
struct CategoryTotal {
    category: Option<String>,
    total: i64,
}

#[tokio::test]
async fn raw_sql_maps_rows_to_models_tuples_and_structs() {
    each_backend!("querylang_raw", |db| {
        seed_products(&db).await?;
        let t = q(&db, "ql_products");
        let (name, category, stock) = (q(&db, "name"), q(&db, "category"), q(&db, "stock"));

        // Models, by column name.
        let fruit: Vec<Product> =
            raw(format!("SELECT * FROM {t} WHERE {category} = ? ORDER BY {name}")).bind("fruit").fetch_all(&db).await?;
        assert_eq!(fruit.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["apple", "banana"]);

        // Tuples, by position; aggregates cast by hand in raw SQL.
        let cast = match db.backend() {
            Backend::MySql => "SIGNED",
            _ => "BIGINT",
        };
        let totals: Vec<(Option<String>, i64)> = raw(format!(
            "SELECT {category}, CAST(SUM({stock}) AS {cast}) FROM {t} GROUP BY {category} ORDER BY {category}"
        ))
        .fetch_all(&db)
        .await?;
        assert!(totals.contains(&(Some("fruit".into()), 10)));

        // A #[derive(FromRow)] struct, by name.
        let s: Option<CategoryTotal> = raw(format!(
            "SELECT {category} AS {c}, CAST(SUM({stock}) AS {cast}) AS {tot} FROM {t} WHERE {category} = ? GROUP BY {category}",
            c = q(&db, "category"),
            tot = q(&db, "total")
        ))
        .bind(Some("veg"))
        .fetch_optional(&db)
        .await?;
        assert_eq!(s, Some(CategoryTotal { category: Some("veg".into()), total: 7 }));

        // Parameters of every kind: &str, Option<&str> None, Value, numbers.
        let none: Option<&str> = None;
        let n = raw(format!("UPDATE {t} SET {category} = ? WHERE {name} = ? OR {stock} = ?"))
            .bind(none)
            .bind("apple")
            .bind_value(Value::I32(7))
            .execute(&db)
            .await?;
        assert_eq!(n, 2);
        let missing: Option<(i64,)> =
            raw(format!("SELECT {stock} FROM {t} WHERE {name} = ?")).bind("kiwi").fetch_optional(&db).await?;
        assert_eq!(missing, None);
        let nulls: Option<i64> =
            raw(format!("SELECT COUNT(*) FROM {t} WHERE {category} IS NULL")).fetch_scalar(&db).await?;
        assert_eq!(nulls, Some(3));

        // A struct reading a column the result lacks: a decode error naming it.
        let bad: orm_core::Result<Vec<CategoryTotal>> = raw(format!("SELECT {name} FROM {t}")).fetch_all(&db).await;
        assert!(matches!(bad, Err(Error::Decode { ref column, .. }) if column == "category"), "{bad:?}");
        Ok(())
    });
}

// --- golden SQL ----------------------------------------------------------------------------------

#[test]
fn rendered_sql_per_dialect() {
    let q = Product::query()
        .filter(Product::NAME.icontains("a%"))
        .select((Product::CATEGORY, count(), Product::STOCK.sum(), Product::PRICE.avg(), Product::COST.sum()))
        .group_by(Product::CATEGORY)
        .having(Product::WEIGHT.max().gt(1));
    assert_eq!(
        q.to_sql(Backend::Postgres).unwrap(),
        "SELECT \"ql_products\".\"category\", COUNT(*), CAST(SUM(\"ql_products\".\"stock\") AS BIGINT), \
         AVG(CAST(\"ql_products\".\"price\" AS DOUBLE PRECISION)), SUM(\"ql_products\".\"cost\") FROM \"ql_products\" \
         WHERE (LOWER(\"ql_products\".\"name\") LIKE LOWER($1) ESCAPE '!') GROUP BY \"ql_products\".\"category\" \
         HAVING (MAX(\"ql_products\".\"weight\") > $2)"
    );
    assert_eq!(
        q.to_sql(Backend::MySql).unwrap(),
        "SELECT `ql_products`.`category`, COUNT(*), CAST(SUM(`ql_products`.`stock`) AS SIGNED), \
         AVG(CAST(`ql_products`.`price` AS DOUBLE)), SUM(`ql_products`.`cost`) FROM `ql_products` \
         WHERE (LOWER(`ql_products`.`name`) LIKE LOWER(?) ESCAPE '!') GROUP BY `ql_products`.`category` \
         HAVING (MAX(`ql_products`.`weight`) > ?)"
    );
    assert_eq!(
        q.to_sql(Backend::Sqlite).unwrap(),
        "SELECT \"ql_products\".\"category\", COUNT(*), CAST(SUM(\"ql_products\".\"stock\") AS INTEGER), \
         AVG(CAST(\"ql_products\".\"price\" AS REAL)), SUM(\"ql_products\".\"cost\") FROM \"ql_products\" \
         WHERE (orm_lower(\"ql_products\".\"name\") LIKE orm_lower(?) ESCAPE '!') GROUP BY \"ql_products\".\"category\" \
         HAVING (MAX(\"ql_products\".\"weight\") > ?)"
    );

    let div = Product::query().select(Product::STOCK / 2).distinct().filter(Product::STOCK.between(1, 9));
    assert_eq!(
        div.to_sql(Backend::MySql).unwrap(),
        "SELECT DISTINCT (`ql_products`.`stock` DIV 2) FROM `ql_products` WHERE (`ql_products`.`stock` BETWEEN ? AND ?)"
    );
    assert_eq!(
        Product::query().select(Product::PRICE / 2.0).to_sql(Backend::MySql).unwrap(),
        "SELECT (`ql_products`.`price` / ?) FROM `ql_products`"
    );
    assert_eq!(
        Product::query().filter(Product::ID.eq(1)).for_update().to_sql(Backend::Postgres).unwrap(),
        "SELECT \"ql_products\".\"id\", \"ql_products\".\"name\", \"ql_products\".\"category\", \"ql_products\".\"stock\", \
         \"ql_products\".\"reserved\", \"ql_products\".\"price\", \"ql_products\".\"cost\", \"ql_products\".\"weight\" \
         FROM \"ql_products\" WHERE (\"ql_products\".\"id\" = $1) FOR UPDATE"
    );
    assert!(matches!(Product::query().for_update().to_sql(Backend::Sqlite), Err(Error::Unsupported(_))));
    assert_eq!(
        Product::query().limit(5).select(count()).to_sql(Backend::Postgres).unwrap(),
        "SELECT COUNT(*) FROM \"ql_products\" LIMIT $1"
    );
}

// --- Chinook -------------------------------------------------------------------------------------

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ql_genre", rename_all = "PascalCase")]
struct Genre {
    #[orm(primary_key)]
    genre_id: i32,
    name: Option<String>,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ql_track", rename_all = "PascalCase")]
struct Track {
    #[orm(primary_key)]
    track_id: i32,
    name: String,
    album_id: Option<i32>,
    media_type_id: i32,
    #[orm(index)]
    genre_id: Option<i32>,
    composer: Option<String>,
    milliseconds: i32,
    bytes: Option<i32>,
    unit_price: Decimal,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ql_invoice", rename_all = "PascalCase")]
struct Invoice {
    #[orm(primary_key)]
    invoice_id: i32,
    customer_id: i32,
    invoice_date: chrono::NaiveDateTime,
    billing_country: Option<String>,
    total: Decimal,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "ql_playlist_track", rename_all = "PascalCase")]
struct PlaylistTrack {
    #[orm(primary_key)]
    id: i64,
    playlist_id: i32,
    track_id: i32,
}

/// Inserts rows of values in multi-row INSERTs (test fixture loading, not the ORM under test).
async fn bulk(db: &Db, table: &str, cols: &[&str], rows: Vec<Vec<Value>>) -> orm_core::Result<()> {
    let head = format!(
        "INSERT INTO {} ({}) VALUES ",
        q(db, table),
        cols.iter().map(|c| q(db, c)).collect::<Vec<_>>().join(", ")
    );
    let one = format!("({})", vec!["?"; cols.len()].join(", "));
    for chunk in rows.chunks(500) {
        let sql = format!("{head}{}", vec![one.as_str(); chunk.len()].join(", "));
        let mut r = raw(sql);
        for v in chunk.iter().flatten() {
            r = r.bind_value(v.clone());
        }
        r.execute(db).await?;
    }
    Ok(())
}

/// A private copy of the Chinook SQLite file (our connection switches a file to WAL mode), or
/// `None` (after a loud message; a failure under CI) when the Chinook files are not there.
async fn chinook_source(test: &str) -> Option<(Db, std::path::PathBuf)> {
    if !orm_tests::chinook::chinook_available(test) {
        return None;
    }
    let src = orm_tests::chinook::chinook_dir().join("Chinook_Sqlite.sqlite");
    let copy = std::env::temp_dir().join(format!("querylang_chinook_{}.sqlite", std::process::id()));
    std::fs::copy(&src, &copy).expect("copy the Chinook database");
    let db = Db::connect(&format!("sqlite://{}", copy.display())).await.expect("open the Chinook copy");
    Some((db, copy))
}

fn lower(s: &str) -> String {
    s.chars().map(|c| c.to_lowercase().next().unwrap_or(c)).collect()
}

#[tokio::test]
async fn chinook_aggregates_and_matching() {
    let Some((src, copy)) = chinook_source("chinook_aggregates_and_matching").await else { return };
    let genres: Vec<Genre> = raw("SELECT GenreId, Name FROM Genre").fetch_all(&src).await.unwrap();
    let tracks: Vec<Track> =
        raw("SELECT TrackId, Name, AlbumId, MediaTypeId, GenreId, Composer, Milliseconds, Bytes, UnitPrice FROM Track")
            .fetch_all(&src)
            .await
            .unwrap();
    let invoices: Vec<Invoice> = raw("SELECT InvoiceId, CustomerId, InvoiceDate, BillingCountry, Total FROM Invoice")
        .fetch_all(&src)
        .await
        .unwrap();
    let memberships: Vec<(i32, i32)> =
        raw("SELECT PlaylistId, TrackId FROM PlaylistTrack").fetch_all(&src).await.unwrap();
    assert_eq!((genres.len(), tracks.len(), invoices.len(), memberships.len()), (25, 3503, 412, 8715));

    // Expected results, computed by SQLite on the original data with hand-written SQL.
    let mut per_genre: Vec<(Option<i32>, i64, Option<i64>, Option<i64>)> =
        raw("SELECT GenreId, COUNT(*), SUM(Milliseconds), SUM(Bytes) FROM Track GROUP BY GenreId")
            .fetch_all(&src)
            .await
            .unwrap();
    per_genre.sort();
    let per_customer: Vec<(i32, i64, f64)> =
        raw("SELECT CustomerId, COUNT(*), SUM(Total) FROM Invoice GROUP BY CustomerId ORDER BY CustomerId")
            .fetch_all(&src)
            .await
            .unwrap();
    let per_playlist: Vec<(i32, i64)> =
        raw("SELECT PlaylistId, COUNT(*) FROM PlaylistTrack GROUP BY PlaylistId ORDER BY COUNT(*) DESC, PlaylistId")
            .fetch_all(&src)
            .await
            .unwrap();
    src.close().await;
    let _ = std::fs::remove_file(&copy);

    each_backend!("querylang_chinook", |db| {
        Genre::create_table(&db).await?;
        Track::create_table(&db).await?;
        Invoice::create_table(&db).await?;
        PlaylistTrack::create_table(&db).await?;
        bulk(
            &db,
            "ql_genre",
            &["GenreId", "Name"],
            genres.iter().map(|g| vec![g.genre_id.to_value(), g.name.to_value()]).collect(),
        )
        .await?;
        let track_rows = tracks
            .iter()
            .map(|t| {
                vec![
                    t.track_id.to_value(),
                    t.name.to_value(),
                    t.album_id.to_value(),
                    t.media_type_id.to_value(),
                    t.genre_id.to_value(),
                    t.composer.to_value(),
                    t.milliseconds.to_value(),
                    t.bytes.to_value(),
                    t.unit_price.to_value(),
                ]
            })
            .collect();
        let track_cols =
            ["TrackId", "Name", "AlbumId", "MediaTypeId", "GenreId", "Composer", "Milliseconds", "Bytes", "UnitPrice"];
        bulk(&db, "ql_track", &track_cols, track_rows).await?;
        let invoice_rows = invoices
            .iter()
            .map(|i| {
                vec![
                    i.invoice_id.to_value(),
                    i.customer_id.to_value(),
                    i.invoice_date.to_value(),
                    i.billing_country.to_value(),
                    i.total.to_value(),
                ]
            })
            .collect();
        bulk(&db, "ql_invoice", &["InvoiceId", "CustomerId", "InvoiceDate", "BillingCountry", "Total"], invoice_rows)
            .await?;
        let pt_rows = memberships.iter().map(|(p, t)| vec![Value::I32(*p), Value::I32(*t)]).collect();
        bulk(&db, "ql_playlist_track", &["PlaylistId", "TrackId"], pt_rows).await?;

        // Number of tracks, total milliseconds and bytes per genre.
        let mut got: Vec<(Option<i32>, i64, Option<i64>, Option<i64>)> = Track::query()
            .select((Track::GENRE_ID, count(), Track::MILLISECONDS.sum(), Track::BYTES.sum()))
            .group_by(Track::GENRE_ID)
            .all(&db)
            .await?;
        got.sort();
        assert_eq!(got, per_genre);
        assert_eq!(got[0].0, Some(1));
        assert_eq!(got[0].1, 1297); // Rock

        // Genres with more than 300 tracks, biggest first, with their average length.
        let big: Vec<(Option<i32>, i64, Option<f64>)> = Track::query()
            .select((Track::GENRE_ID, count(), Track::MILLISECONDS.avg()))
            .group_by(Track::GENRE_ID)
            .having(count().gt(300))
            .order_by(count().desc())
            .all(&db)
            .await?;
        let expected: Vec<(Option<i32>, i64)> = {
            let mut e: Vec<_> = per_genre.iter().filter(|g| g.1 > 300).map(|g| (g.0, g.1)).collect();
            e.sort_by_key(|g| -g.1);
            e
        };
        assert_eq!(big.iter().map(|b| (b.0, b.1)).collect::<Vec<_>>(), expected);
        let rock_avg = per_genre[0].2.unwrap() as f64 / per_genre[0].1 as f64;
        assert!((big[0].2.unwrap() - rock_avg).abs() < 1e-6, "{big:?} {rock_avg}");

        // Whole-table aggregates: a sum beyond i32, dates, decimals.
        let (n, bytes, longest, first, last) = Track::query()
            .aggregate(
                &db,
                (count(), Track::BYTES.sum(), Track::MILLISECONDS.max(), Track::NAME.min(), Track::NAME.max()),
            )
            .await?;
        assert_eq!((n, bytes, longest), (3503, Some(117_386_255_350), Some(5_286_953)));
        assert!(first.is_some() && last.is_some());
        let (from, to) =
            Invoice::query().aggregate(&db, (Invoice::INVOICE_DATE.min(), Invoice::INVOICE_DATE.max())).await?;
        assert_eq!(from.unwrap().to_string(), "2021-01-01 00:00:00");
        assert_eq!(to.unwrap().to_string(), "2025-12-22 00:00:00");

        // Invoices and money spent per customer.
        let spent: Vec<(i32, i64, Option<Decimal>)> = Invoice::query()
            .select((Invoice::CUSTOMER_ID, count(), Invoice::TOTAL.sum()))
            .group_by(Invoice::CUSTOMER_ID)
            .order_by(Invoice::CUSTOMER_ID.asc())
            .all(&db)
            .await?;
        assert_eq!(spent.len(), per_customer.len());
        for ((c, n, total), (ec, en, etotal)) in spent.iter().zip(&per_customer) {
            assert_eq!((c, n), (ec, en));
            assert_eq!(total.unwrap().round_dp(2), dec(&format!("{etotal:.2}")), "customer {c}");
        }
        let loyal = Invoice::query()
            .select(Invoice::CUSTOMER_ID)
            .group_by(Invoice::CUSTOMER_ID)
            .having(count().gte(7))
            .all(&db)
            .await?;
        assert_eq!(loyal.len(), per_customer.iter().filter(|c| c.1 >= 7).count());

        // Playlist membership: tracks per playlist, biggest first.
        let lists: Vec<(i32, i64)> = PlaylistTrack::query()
            .select((PlaylistTrack::PLAYLIST_ID, count()))
            .group_by(PlaylistTrack::PLAYLIST_ID)
            .order_by(count().desc())
            .order_by(PlaylistTrack::PLAYLIST_ID.asc())
            .all(&db)
            .await?;
        assert_eq!(lists, per_playlist);
        let distinct_tracks = PlaylistTrack::query().aggregate(&db, PlaylistTrack::TRACK_ID.count_distinct()).await?;
        assert_eq!(
            distinct_tracks,
            memberships.iter().map(|m| m.1).collect::<std::collections::BTreeSet<_>>().len() as i64
        );

        // Case-insensitive matching of non-ASCII names agrees with Unicode lower-casing.
        for needle in ["É", "ç", "Ó", "à", "LOVE"] {
            let want = tracks.iter().filter(|t| lower(&t.name).contains(&lower(needle))).count() as u64;
            assert_eq!(
                Track::query().filter(Track::NAME.icontains(needle)).count(&db).await?,
                want,
                "icontains({needle})"
            );
            let exact = tracks.iter().filter(|t| t.name.contains(needle)).count() as u64;
            assert_eq!(
                Track::query().filter(Track::NAME.contains(needle)).count(&db).await?,
                exact,
                "contains({needle})"
            );
        }

        // A set-based price rise for one genre, in a transaction that is rolled back.
        let mut tx = db.begin().await?;
        let n = Track::query()
            .filter(Track::GENRE_ID.eq(1))
            .update(&mut tx, [Track::UNIT_PRICE.set(Track::UNIT_PRICE * dec("1.10"))])
            .await?;
        assert_eq!(n, 1297);
        let max = Track::query().filter(Track::GENRE_ID.eq(1)).aggregate(&mut tx, Track::UNIT_PRICE.max()).await?;
        assert_eq!(max.map(|d| d.round_dp(3)), Some(dec("1.089")));
        tx.rollback().await?;
        Ok(())
    });
}

#[test]
fn raw_placeholders_skip_strings_and_comments() {
    assert_eq!(
        Backend::Postgres
            .rewrite_placeholders("SELECT '?', \"a?\" /* ? */ FROM t -- ?\nWHERE a = ? /*/ ? */ AND b = ?"),
        "SELECT '?', \"a?\" /* ? */ FROM t -- ?\nWHERE a = $1 /*/ ? */ AND b = $2"
    );
    assert_eq!(Backend::MySql.rewrite_placeholders("a = ?"), "a = ?");
}
