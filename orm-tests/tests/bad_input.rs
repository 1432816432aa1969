//! Bad input gets a clear error, the same on every backend, and never a panic, a hang or a
//! silently changed value (issue 8, part 4).
//!
//! * text longer than `max_length`: rejected on all three backends, also on a MariaDB whose
//!   global `sql_mode` is `''` (a private server started with `--sql-mode=`);
//! * numbers out of a column's range: the write or the read fails, never a clamped value;
//! * a closed port: `Error::Connect` naming the refusal, long before `acquire_timeout`;
//! * `postgres:127.0.0.1/faults` (no `//`): `Error::InvalidUrl`;
//! * a NUL byte in text: `Error::InvalidValue` on every backend;
//! * empty `IN` lists; strings that look like SQL round-trip unchanged.

use orm_core::DbOptions;
use orm_core::prelude::*;
use orm_tests::servers::{PrivateMariaDb, free_port};
use std::time::Duration;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "bad_names")]
pub struct Name {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(max_length = 10)]
    pub name: String,
    pub small: i16,
    pub note: Option<String>,
}

fn name(s: &str) -> Name {
    Name { id: 0, name: s.to_owned(), small: 0, note: None }
}

/// The checks of `max_length` and of numeric ranges on one database.
async fn lengths_and_ranges(db: &Db, what: &str) -> Result<()> {
    Name::create_table(db).await?;
    // At the limit, in characters (not bytes): accepted.
    let mut ok = name("0123456789");
    ok.insert(db).await?;
    let mut accents = name("éééééééééé");
    accents.insert(db).await?;
    assert_eq!(Name::find(db, accents.id).await?.map(|n| n.name), Some("éééééééééé".into()), "[{what}]");
    // Over it: an error, and nothing stored.
    for long in ["0123456789AB", "ééééééééééé"] {
        let r = name(long).insert(db).await;
        assert!(
            matches!(r, Err(Error::CheckViolation(_) | Error::Database(_) | Error::InvalidValue(_))),
            "[{what}] a {}-character value in a max_length = 10 column: {r:?}",
            long.chars().count()
        );
    }
    let stored: Vec<String> = Name::query().all(db).await?.into_iter().map(|n| n.name).collect();
    assert_eq!(stored.len(), 2, "[{what}] a too-long value was stored (truncated?): {stored:?}");
    // The same through an update.
    let mut longer = ok.clone();
    longer.name = "0123456789AB".into();
    assert!(longer.update(db).await.is_err(), "[{what}] update to a too-long value succeeded");
    assert_eq!(Name::find(db, ok.id).await?.map(|n| n.name), Some("0123456789".into()), "[{what}]");

    // 40000 does not fit the SMALLINT of an i16: the write fails, or (SQLite, which stores it)
    // reading it back fails; never a clamped 32767.
    let w = orm_core::raw("UPDATE bad_names SET small = ? WHERE id = ?").bind(40000_i64).bind(ok.id).execute(db).await;
    if w.is_ok() {
        let read = Name::find(db, ok.id).await;
        assert!(read.is_err(), "[{what}] 40000 written into an i16 column reads back as {read:?}");
    }
    let w = orm_core::raw("UPDATE bad_names SET small = small - ? WHERE id = ?")
        .bind(70000_i64)
        .bind(accents.id)
        .execute(db)
        .await;
    if w.is_ok() {
        let read = Name::find(db, accents.id).await;
        assert!(read.is_err(), "[{what}] -70000 written into an i16 column reads back as {read:?}");
    }
    Ok(())
}

#[tokio::test]
async fn bad_input_too_long_text_and_out_of_range_numbers_rejected() {
    orm_tests::each_backend!("bad_input_lengths", |db| {
        let what = db.backend().name();
        lengths_and_ranges(&db, what).await
    });
}

/// MariaDB's global `sql_mode = ''` truncates too-long text and clamps numbers silently; the ORM
/// sets a strict mode on every connection it opens, so it must not matter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_mariadb_with_empty_sql_mode_is_still_strict() {
    let Some(my) = PrivateMariaDb::start("bad_input_sqlmode", &["--sql-mode="]) else { return };
    let url = my.create_database("bad_input_sqlmode").await;
    let db = Db::connect(&url).await.expect("the private MariaDB server");
    let global = orm_core::raw("SELECT @@GLOBAL.sql_mode").fetch_scalar::<String>(&db).await.expect("sql_mode");
    assert_eq!(global.as_deref(), Some(""), "the server was started with --sql-mode=");
    lengths_and_ranges(&db, "MariaDB sql_mode=''").await.unwrap_or_else(|e| panic!("[MariaDB sql_mode=''] {e}"));
    let _ = tokio::time::timeout(Duration::from_secs(10), db.close()).await;
}

/// A port nothing listens on fails at once, with the cause; `acquire_timeout` is 30 s and the
/// whole attempt must be over within 10 s (a bound on a hang, not a performance figure).
#[tokio::test]
async fn bad_input_closed_port_fails_fast_with_the_cause() {
    let port = free_port(5400);
    for url in [format!("postgres://postgres@127.0.0.1:{port}/faults"), format!("mysql://root@127.0.0.1:{port}/faults")]
    {
        let options = DbOptions { acquire_timeout: Duration::from_secs(30), ..DbOptions::default() };
        let r = tokio::time::timeout(Duration::from_secs(10), Db::connect_with(&url, options))
            .await
            .unwrap_or_else(|_| panic!("{url}: a closed port was not reported within 10 s (acquire_timeout 30 s)"));
        let e = r.expect_err("nothing listens on that port");
        assert!(matches!(e, Error::Connect { .. }), "{url}: expected Error::Connect, got {e:?}");
        let msg = format!("{e} {e:?}").to_lowercase();
        assert!(msg.contains("refused"), "{url}: the error does not name the refusal: {e}");
    }
}

#[tokio::test]
async fn bad_input_url_without_slashes_is_invalid() {
    for url in ["postgres:127.0.0.1/faults", "postgresql:127.0.0.1/faults", "mysql:127.0.0.1/faults"] {
        let r = tokio::time::timeout(Duration::from_secs(10), Db::connect(url))
            .await
            .unwrap_or_else(|_| panic!("{url}: no answer within 10 s"));
        assert!(matches!(r, Err(Error::InvalidUrl { .. })), "{url}: expected Error::InvalidUrl, got {r:?}");
    }
}

#[tokio::test]
async fn bad_input_nul_byte_is_invalid_value_everywhere() {
    orm_tests::each_backend!("bad_input_nul", |db| {
        let what = db.backend().name();
        Name::create_table(&db).await?;
        let r = name("a\0b").insert(&db).await;
        assert!(matches!(r, Err(Error::InvalidValue(_))), "[{what}] insert of a NUL byte: {r:?}");
        let mut n = name("a\u{1}b");
        n.note = Some("x\0".into());
        let r = n.insert(&db).await;
        assert!(matches!(r, Err(Error::InvalidValue(_))), "[{what}] a NUL byte in an Option<String>: {r:?}");
        let r = Name::query().filter(Name::NAME.eq("a\0b")).all(&db).await;
        assert!(matches!(r, Err(Error::InvalidValue(_))), "[{what}] a NUL byte in a filter: {r:?}");
        let r =
            orm_core::raw("SELECT COUNT(*) FROM bad_names WHERE name = ?").bind("\0").fetch_scalar::<i64>(&db).await;
        assert!(matches!(r, Err(Error::InvalidValue(_))), "[{what}] a NUL byte bound to raw SQL: {r:?}");
        assert_eq!(Name::query().count(&db).await?, 0, "[{what}] nothing was stored");
        // A control character other than NUL is fine.
        let mut ok = name("a\u{1}b");
        ok.insert(&db).await?;
        assert_eq!(Name::find(&db, ok.id).await?.map(|n| n.name), Some("a\u{1}b".into()), "[{what}]");
        Ok(())
    });
}

/// A scalar that does not decode says which column failed and names no empty table ("of ``").
#[tokio::test]
async fn bad_input_scalar_decode_error_is_clear() {
    orm_tests::each_backend!("bad_input_scalar", |db| {
        let what = db.backend().name();
        let r = orm_core::raw("SELECT 'not a number' AS word").fetch_scalar::<i64>(&db).await;
        let e = r.expect_err("text read as an integer");
        assert!(matches!(e, Error::Decode { .. }), "[{what}] expected Error::Decode, got {e:?}");
        assert!(!e.to_string().contains("``"), "[{what}] the message names an empty table: {e}");
        Ok(())
    });
}

#[tokio::test]
async fn bad_input_empty_in_lists() {
    orm_tests::each_backend!("bad_input_empty_in", |db| {
        let what = db.backend().name();
        Name::create_table(&db).await?;
        let mut rows = vec![name("a"), name("b"), name("c")];
        rows[1].note = Some("x".into());
        for r in &mut rows {
            r.insert(&db).await?;
        }
        let none: Vec<i64> = Vec::new();
        assert_eq!(Name::query().filter(Name::ID.is_in(none.clone())).count(&db).await?, 0, "[{what}] IN ()");
        assert_eq!(Name::query().filter(Name::ID.not_in(none.clone())).count(&db).await?, 3, "[{what}] NOT IN ()");
        assert_eq!(
            Name::query().filter(Name::ID.is_in(none.clone()).not()).count(&db).await?,
            3,
            "[{what}] NOT (IN ())"
        );
        let q = Name::query().filter(Name::ID.is_in(none.clone()).or(Name::NAME.eq("b")));
        assert_eq!(q.count(&db).await?, 1, "[{what}] IN () OR name = 'b'");
        let q = Name::query().filter(Name::ID.not_in(none.clone()).and(Name::NAME.ne("b")));
        assert_eq!(q.count(&db).await?, 2, "[{what}] NOT IN () AND name <> 'b'");
        assert_eq!(Name::query().filter(Name::ID.is_in(none)).delete(&db).await?, 0, "[{what}] DELETE ... IN ()");
        let strings: Vec<String> = Vec::new();
        assert_eq!(Name::query().filter(Name::NAME.is_in(strings)).count(&db).await?, 0, "[{what}] text IN ()");
        Ok(())
    });
}

/// Strings that look like SQL (quotes, comments, placeholders, escapes) are values: stored and
/// read back unchanged, and matched exactly by `eq` and by an escaped `like`.
#[tokio::test]
async fn bad_input_sql_looking_strings_round_trip() {
    let samples = [
        "'; DROP TABLE bad_texts; --",
        "' OR '1'='1",
        "\" OR \"\"=\"",
        "`backtick`",
        "back\\slash\\",
        "\\'",
        "$1 $2",
        "? ?",
        "%_!%",
        "/* comment */",
        "-- dash",
        "line\nbreak\r\ttab",
        "Ünïcödé 𝄞 🙂",
        "\u{7f}\u{1b}[0m",
        "NULL",
        "",
    ];
    orm_tests::each_backend!("bad_input_sql_strings", |db| {
        let what = db.backend().name();
        Text::create_table(&db).await?;
        let mut ids = Vec::new();
        for s in samples {
            let mut t = Text { id: 0, body: s.to_owned() };
            t.insert(&db).await?;
            ids.push(t.id);
        }
        assert_eq!(Text::query().count(&db).await?, samples.len() as u64, "[{what}] the table is still there, whole");
        for (s, id) in samples.iter().zip(&ids) {
            assert_eq!(Text::find(&db, *id).await?.map(|t| t.body).as_deref(), Some(*s), "[{what}] {s:?}");
            let eq: Vec<i64> =
                Text::query().filter(Text::BODY.eq(*s)).all(&db).await?.into_iter().map(|t| t.id).collect();
            assert_eq!(eq, vec![*id], "[{what}] eq {s:?}");
            let like: Vec<i64> = Text::query()
                .filter(Text::BODY.like(orm_core::escape_like(s)))
                .all(&db)
                .await?
                .into_iter()
                .map(|t| t.id)
                .collect();
            assert_eq!(like, vec![*id], "[{what}] like(escape_like({s:?}))");
            let raw: Option<String> =
                orm_core::raw("SELECT body FROM bad_texts WHERE id = ?").bind(*id).fetch_scalar(&db).await?;
            assert_eq!(raw.as_deref(), Some(*s), "[{what}] raw {s:?}");
        }
        Ok(())
    });
}

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "bad_texts")]
pub struct Text {
    #[orm(primary_key)]
    pub id: i64,
    pub body: String,
}
