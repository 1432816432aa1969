//! Behind PgBouncer in transaction pooling mode (issue 8, part 3).
//!
//! The test starts its own PostgreSQL cluster and its own PgBouncer (`pool_mode = transaction`,
//! stock startup-parameter handling, trust auth, loopback, private ports; orm-tests/src/servers.rs)
//! and runs 8 tasks of CRUD, transactions and relation loads through it with the ORM's PgBouncer
//! mode (`?pgbouncer=true`, and `DbOptions::pgbouncer`): no panic, no wrong row, no lost
//! acknowledged write, and never "prepared statement ... does not exist / already exists". The
//! stock mode, without the flag, is shown to be refused by such a PgBouncer.

use orm_core::DbOptions;
use orm_core::prelude::*;
use orm_tests::servers::{PgBouncer, PrivatePostgres};
use std::time::Duration;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pb_authors")]
pub struct PbAuthor {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique, max_length = 60)]
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "pb_books")]
pub struct PbBook {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = PbAuthor, on_delete = "cascade")]
    pub author_id: i64,
    pub title: String,
    pub n: i64,
}

const TASKS: i64 = 8;
const ROUNDS: i64 = 40;
const LIMIT: Duration = Duration::from_secs(30);

type Check = std::result::Result<(), String>;

async fn bounded<T>(what: &str, f: impl std::future::Future<Output = Result<T>>) -> std::result::Result<T, String> {
    match tokio::time::timeout(LIMIT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: HUNG for {LIMIT:?}")),
    }
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Check {
    if ok { Ok(()) } else { Err(what()) }
}

/// One task's work: every round an author and three books (in a transaction), reads, an
/// update, a delete, a relation load and a rolled-back transaction, each checked.
async fn crud_task(db: Db, t: i64) -> Check {
    for r in 0..ROUNDS {
        let mut author = PbAuthor { id: 0, name: format!("t{t}-r{r}") };
        bounded("save an author", author.save(&db)).await?;
        let found = bounded("find the author", PbAuthor::find(&db, author.id)).await?;
        ensure(found.as_ref() == Some(&author), || format!("find({}) returned {found:?}, not {author:?}", author.id))?;

        let mut tx = bounded("begin", db.begin()).await?;
        let mut books = Vec::new();
        for n in 0..3 {
            let mut b = PbBook { id: 0, author_id: author.id, title: format!("t{t}-r{r}-b{n}"), n };
            bounded("insert a book in a transaction", b.insert(&mut tx)).await?;
            books.push(b);
        }
        let in_tx =
            bounded("count in the transaction", PbBook::query().filter(PbBook::AUTHOR_ID.eq(author.id)).count(&mut tx))
                .await?;
        ensure(in_tx == 3, || format!("the transaction sees {in_tx} of its 3 books"))?;
        bounded("commit", tx.commit()).await?;

        let mut stored = bounded(
            "query the books",
            PbBook::query().filter(PbBook::AUTHOR_ID.eq(author.id)).order_by(PbBook::N.asc()).all(&db),
        )
        .await?;
        ensure(stored == books, || format!("author {}: stored books {stored:?} differ from {books:?}", author.id))?;

        books[0].title = format!("t{t}-r{r}-b0-updated");
        bounded("update a book", books[0].update(&db)).await?;
        let b0 = bounded("find the updated book", PbBook::find(&db, books[0].id)).await?;
        ensure(b0.as_ref() == Some(&books[0]), || format!("updated book reads back as {b0:?}"))?;

        let deleted = bounded("delete a book", books[2].delete(&db)).await?;
        ensure(deleted, || "delete found no row".into())?;
        ensure(bounded("find the deleted book", PbBook::find(&db, books[2].id)).await?.is_none(), || {
            "a deleted book is still there".into()
        })?;
        books.pop();

        let loaded: Vec<(PbAuthor, Vec<PbBook>)> = bounded(
            "load the children",
            vec![author.clone()].with(&db, PbBook::AUTHOR.children().order_by(PbBook::N.asc())),
        )
        .await?;
        ensure(loaded.len() == 1 && loaded[0].1 == books, || format!("relation load returned {loaded:?}"))?;
        let parents: Vec<(PbBook, PbAuthor)> =
            bounded("load the parents", books.clone().with(&db, PbBook::AUTHOR)).await?;
        ensure(parents.iter().all(|(_, a)| *a == author), || format!("parent load returned {parents:?}"))?;

        let mut tx = bounded("begin", db.begin()).await?;
        let mut gone = PbBook { id: 0, author_id: author.id, title: "rolled back".into(), n: 9 };
        bounded("insert in a rolled-back transaction", gone.insert(&mut tx)).await?;
        bounded("rollback", tx.rollback()).await?;
        stored =
            bounded("query after rollback", PbBook::query().filter(PbBook::AUTHOR_ID.eq(author.id)).all(&db)).await?;
        stored.sort_by_key(|b| b.n);
        ensure(stored == books, || format!("after a rollback the books are {stored:?}, not {books:?}"))?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pgbouncer_transaction_mode_crud_transactions_relations() {
    let Some(pg) = PrivatePostgres::start("pgbouncer") else { return };
    let Some(bouncer) = PgBouncer::start(&pg, "pgbouncer", 4) else { return };
    let direct_url = pg.create_database("pgb_crud").await;
    let url = format!("{}?pgbouncer=true", bouncer.url("pgb_crud"));

    let options = DbOptions { max_connections: 16, acquire_timeout: Duration::from_secs(10), ..DbOptions::default() };
    let db = match tokio::time::timeout(LIMIT, Db::connect_with(&url, options)).await {
        Ok(Ok(db)) => db,
        Ok(Err(e)) => panic!("connecting through PgBouncer with ?pgbouncer=true: {e}\n{}", bouncer.log_tail()),
        Err(_) => panic!("connecting through PgBouncer HUNG"),
    };
    PbAuthor::create_table(&db).await.expect("create pb_authors through PgBouncer");
    PbBook::create_table(&db).await.expect("create pb_books through PgBouncer");

    let tasks: Vec<_> = (0..TASKS).map(|t| tokio::spawn(crud_task(db.clone(), t))).collect();
    let mut failures = Vec::new();
    for (t, task) in tasks.into_iter().enumerate() {
        match tokio::time::timeout(LIMIT * 4, task).await {
            Err(_) => failures.push(format!("task {t} HUNG")),
            Ok(Err(join)) => failures.push(format!("task {t} PANICKED: {join}")),
            Ok(Ok(Err(e))) => failures.push(format!("task {t}: {e}")),
            Ok(Ok(Ok(()))) => {}
        }
    }
    let prepared: Vec<&String> = failures.iter().filter(|f| f.contains("prepared statement")).collect();
    assert!(prepared.is_empty(), "prepared statements confused behind PgBouncer: {prepared:?}");
    assert!(failures.is_empty(), "behind PgBouncer:\n{}", failures.join("\n"));

    // Nothing acknowledged lost: seen directly on PostgreSQL, every task's every round holds its
    // two remaining books.
    let direct = Db::connect(&direct_url).await.expect("the private PostgreSQL server");
    let authors = PbAuthor::query().count(&direct).await.expect("count authors");
    let books = PbBook::query().count(&direct).await.expect("count books");
    assert_eq!(authors, (TASKS * ROUNDS) as u64, "authors lost or duplicated");
    assert_eq!(books, (TASKS * ROUNDS * 2) as u64, "books lost or duplicated");
    eprintln!(
        "PgBouncer (transaction mode): {TASKS} tasks x {ROUNDS} rounds, {authors} authors and {books} books, none lost"
    );

    // The same mode chosen in DbOptions rather than in the URL.
    let options = DbOptions { pgbouncer: true, acquire_timeout: Duration::from_secs(10), ..DbOptions::default() };
    let db2 = tokio::time::timeout(LIMIT, Db::connect_with(&bouncer.url("pgb_crud"), options))
        .await
        .expect("connecting HUNG")
        .expect("connecting through PgBouncer with DbOptions::pgbouncer");
    crud_task(db2.clone(), 100).await.unwrap_or_else(|e| panic!("with DbOptions::pgbouncer: {e}"));
    let _ = tokio::time::timeout(LIMIT, db2.close()).await;
    let _ = tokio::time::timeout(LIMIT, db.close()).await;
    direct.close().await;
}

/// Without the flag the ORM sends the startup parameters a stock PgBouncer refuses
/// (`extra_float_digits`), so the connection fails, clearly and at once: the flag is needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbouncer_stock_mode_is_refused_by_a_stock_pgbouncer() {
    let Some(pg) = PrivatePostgres::start("pgbouncer_stock") else { return };
    let Some(bouncer) = PgBouncer::start(&pg, "pgbouncer_stock", 2) else { return };
    pg.create_database("pgb_stock").await;
    let options = DbOptions { acquire_timeout: Duration::from_secs(5), ..DbOptions::default() };
    let r = tokio::time::timeout(LIMIT, Db::connect_with(&bouncer.url("pgb_stock"), options))
        .await
        .expect("connecting without the flag HUNG");
    let e = r.expect_err("a stock PgBouncer accepted the ORM's stock startup parameters");
    let msg = e.to_string();
    assert!(
        msg.contains("extra_float_digits") || msg.contains("unsupported startup parameter"),
        "unexpected error: {msg}"
    );
}
