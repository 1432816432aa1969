//! Shared harness of the cross-backend test suite.
//!
//! [`databases`] gives one fresh, empty database per backend for the calling test, so tests run
//! in parallel without seeing each other's tables:
//! * SQLite: a new in-memory database;
//! * PostgreSQL and MySQL/MariaDB: a database named after the test, dropped and re-created on
//!   the servers named by `ORM_TEST_POSTGRES` / `ORM_TEST_MYSQL` (defaults: the local servers).
//!
//! A server that cannot be reached fails the test when `CI` or `ORM_REQUIRE_ALL_BACKENDS` is set
//! (every backend is required in CI); otherwise it is skipped with a loud message on stderr.

#![warn(missing_docs)]

pub mod chinook;
pub mod servers;

use orm_core::{Backend, Db, DbOptions};
use std::time::Duration;

/// The default PostgreSQL server URL (without a database name).
pub const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432";
/// The default MySQL/MariaDB server URL (without a database name).
pub const MYSQL_URL: &str = "mysql://root@127.0.0.1:3306";

pub(crate) fn server(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned()).trim_end_matches('/').to_owned()
}

pub(crate) fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
        || std::env::var_os("ORM_REQUIRE_ALL_BACKENDS").is_some()
}

pub(crate) fn options() -> DbOptions {
    DbOptions { acquire_timeout: Duration::from_secs(20), ..DbOptions::default() }
}

/// A fresh database on `backend` for the test `name` (letters, digits and `_`), or `None` when
/// the server is down and backends are not required.
pub async fn database(backend: Backend, name: &str) -> Option<Db> {
    database_with(backend, name, options()).await
}

/// [`database`] with pool settings of the test's own (on SQLite, a new in-memory database).
pub async fn database_with(backend: Backend, name: &str, options: DbOptions) -> Option<Db> {
    assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "bad test name {name}");
    let result = match backend {
        Backend::Sqlite => Db::connect_with("sqlite::memory:", options).await,
        Backend::Postgres => fresh(&server("ORM_TEST_POSTGRES", POSTGRES_URL), "test", name, true, options).await,
        Backend::MySql => fresh(&server("ORM_TEST_MYSQL", MYSQL_URL), "test", name, false, options).await,
    };
    match result {
        Ok(db) => Some(db),
        Err(e) if !required() => {
            eprintln!("SKIPPING {} for test `{name}`: {e}", backend.name());
            None
        }
        Err(e) => panic!("{} is required (CI) but unavailable for test `{name}`: {e}", backend.name()),
    }
}

pub(crate) async fn fresh(
    server: &str,
    admin_db: &str,
    name: &str,
    pg: bool,
    options: DbOptions,
) -> orm_core::Result<Db> {
    let admin = Db::connect_with(&format!("{server}/{admin_db}"), crate::options()).await?;
    let db_name = db_name(name);
    // Test names are checked above to be plain identifiers.
    let drop = if pg {
        format!("DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)")
    } else {
        format!("DROP DATABASE IF EXISTS `{db_name}`")
    };
    orm_core::raw(drop).execute(&admin).await?;
    let create = if pg {
        format!("CREATE DATABASE \"{db_name}\"")
    } else {
        format!("CREATE DATABASE `{db_name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    };
    orm_core::raw(create).execute(&admin).await?;
    admin.close().await;
    Db::connect_with(&format!("{server}/{db_name}"), options).await
}

/// The name of test `name`'s database on a server: `orm_t_<name>`, or `<ORM_TEST_DB_PREFIX><name>`
/// when that variable is set (letters, digits and `_` only), so two checkouts can run the same
/// tests against one server at the same time.
pub fn db_name(name: &str) -> String {
    match std::env::var("ORM_TEST_DB_PREFIX") {
        Ok(p) if !p.is_empty() => {
            assert!(
                p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "ORM_TEST_DB_PREFIX may hold only letters, digits and `_`: {p:?}"
            );
            format!("{p}{name}")
        }
        _ => format!("orm_t_{name}"),
    }
}

/// The URL of the database that [`database`] made for test `name` on a server backend, for a
/// second, independent pool (SQLite's in-memory databases cannot be shared: panics there).
pub fn database_url(backend: Backend, name: &str) -> String {
    match backend {
        Backend::Postgres => format!("{}/{}", server("ORM_TEST_POSTGRES", POSTGRES_URL), db_name(name)),
        Backend::MySql => format!("{}/{}", server("ORM_TEST_MYSQL", MYSQL_URL), db_name(name)),
        Backend::Sqlite => panic!("an in-memory SQLite database has no URL another pool could open"),
    }
}

/// One fresh database per backend (see the module docs).
pub async fn databases(name: &str) -> Vec<Db> {
    let mut out = Vec::new();
    for b in Backend::ALL {
        if let Some(db) = database(b, name).await {
            out.push(db);
        }
    }
    out
}

/// Runs `body` once per backend on a fresh database, naming the backend in any panic.
#[macro_export]
macro_rules! each_backend {
    ($name:expr, |$db:ident| $body:expr) => {{
        for $db in $crate::databases($name).await {
            let backend = $db.backend();
            let r: ::std::result::Result<(), ::orm_core::Error> = async { $body }.await;
            if let Err(e) = r {
                panic!("[{}] {}", backend.name(), e);
            }
        }
    }};
}

/// The examples of `docs/guide.md`, compiled and run as doctests by `cargo test --workspace`.
#[cfg(doctest)]
#[doc = include_str!("../../docs/guide.md")]
pub struct Guide;

/// The examples of `docs/reliability.md`, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/reliability.md")]
pub struct Reliability;

/// The examples of `docs/web-apps.md` (axum, from the dev-dependencies), compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/web-apps.md")]
pub struct WebApps;

/// The example in `README.md`, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct Readme;
