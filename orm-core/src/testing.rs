//! The runtime of `#[orm_core::test]`: a fresh database per test.
//!
//! Without `ORM_TEST_DATABASE_URL`, or with a `sqlite:` one, a test gets a new in-memory SQLite
//! database. With a server URL (`postgres://user@host:5432`, `mysql://root@host:3306`, with or
//! without a database name and query parameters), a database named after the test is created on
//! that server before the test and dropped after it passes; a failing test leaves it there for
//! inspection (its name is printed).

use crate::backend::Backend;
use crate::{Db, Result};
use std::future::Future;

/// The environment variable naming the server tests run on.
pub const DATABASE_URL_VAR: &str = "ORM_TEST_DATABASE_URL";

/// Runs the test `path` (its `module_path!()::name`) with a fresh database on a runtime of its
/// own; a test that returns an error panics with it, failing the test.
pub fn run<F, Fut, E>(path: &str, test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = std::result::Result<(), E>>,
    E: std::fmt::Display,
{
    let url = std::env::var(DATABASE_URL_VAR).ok().filter(|u| !u.trim().is_empty());
    if let Err(e) = run_on(url.as_deref(), path, test) {
        panic!("{e}");
    }
}

/// [`run`], applying `migrations` (what `#[orm_core::test(migrations = "dir")]` embeds) to the
/// fresh database before the test.
pub fn run_migrated<F, Fut, E>(path: &str, migrations: Result<crate::migrate::Migrator>, test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = std::result::Result<(), E>>,
    E: std::fmt::Display,
{
    let migrator = match migrations {
        Ok(m) => m,
        Err(e) => panic!("test `{path}`: cannot read its migrations: {e}"),
    };
    run(path, move |db: Db| async move {
        migrator.run(&db).await.map_err(|e| format!("applying the migrations: {e}"))?;
        test(db).await.map_err(|e| e.to_string())
    });
}

/// [`run`] on the server `url` (`None`: in-memory SQLite); the error of the test or of the
/// database setup, as text.
pub fn run_on<F, Fut, E>(url: Option<&str>, path: &str, test: F) -> std::result::Result<(), String>
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = std::result::Result<(), E>>,
    E: std::fmt::Display,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime for test `{path}`: {e}"))?;
    runtime.block_on(async {
        let server = url.filter(|u| !u.starts_with("sqlite:"));
        let Some(server) = server else {
            let db = Db::connect("sqlite::memory:").await.map_err(|e| format!("test `{path}`: {e}"))?;
            let r = test(db.clone()).await;
            db.close().await;
            return r.map_err(|e| e.to_string());
        };
        let fresh = FreshDb::create(server, path).await.map_err(|e| format!("test `{path}`: {e}"))?;
        let r = test(fresh.db.clone()).await;
        match r {
            Ok(()) => fresh.drop_database().await.map_err(|e| format!("test `{path}` passed, but: {e}")),
            Err(e) => {
                fresh.db.close().await;
                fresh.admin.close().await;
                Err(format!("{e}\n(the test's database `{}` is kept for inspection)", fresh.name))
            }
        }
    })
}

/// The name of the database of the test `path`: the path made an identifier (`a::b::c` ->
/// `a__b__c`), shortened to fit every server's limit, with a hash of the path and the process
/// id so that two processes running the same test (two checkouts) do not share it.
pub fn database_name(path: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    std::process::id().hash(&mut h);
    let mut name: String =
        path.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    // 63 bytes on PostgreSQL, 64 on MySQL: 54 + `_` + 8 hex digits.
    name.truncate(54);
    format!("{name}_{:08x}", h.finish() as u32)
}

/// Splits `scheme://authority/db?query` into (`scheme://authority`, `db`, `?query`).
fn split_url(url: &str) -> (&str, &str, &str) {
    let after = url.find("://").map_or(0, |i| i + 3);
    let (base, rest) = match url[after..].find('/') {
        Some(i) => url.split_at(after + i),
        None => match url[after..].find('?') {
            Some(i) => url.split_at(after + i),
            None => (url, ""),
        },
    };
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    match rest.find('?') {
        Some(i) => (base, &rest[..i], &rest[i..]),
        None => (base, rest, ""),
    }
}

struct FreshDb {
    admin: Db,
    db: Db,
    name: String,
}

impl FreshDb {
    async fn create(url: &str, path: &str) -> Result<FreshDb> {
        let (base, db_in_url, query) = split_url(url);
        let probe = Db::connect(url).await?;
        let backend: Backend = probe.backend();
        let admin = if db_in_url.is_empty() && !backend.admin_database().is_empty() {
            probe.close().await;
            Db::connect(&format!("{base}/{}{query}", backend.admin_database())).await?
        } else {
            probe
        };
        let name = database_name(path);
        crate::raw(backend.drop_database_sql(&name)).execute(&admin).await?;
        crate::raw(backend.create_database_sql(&name)).execute(&admin).await?;
        let db = Db::connect(&format!("{base}/{name}{query}")).await?;
        Ok(FreshDb { admin, db, name })
    }

    async fn drop_database(self) -> Result<()> {
        self.db.close().await;
        let r = crate::raw(self.admin.backend().drop_database_sql(&self.name)).execute(&self.admin).await;
        self.admin.close().await;
        r.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split() {
        assert_eq!(split_url("postgres://u@h:5432"), ("postgres://u@h:5432", "", ""));
        assert_eq!(split_url("postgres://u@h:5432/"), ("postgres://u@h:5432", "", ""));
        assert_eq!(split_url("postgres://u@h:5432/test"), ("postgres://u@h:5432", "test", ""));
        assert_eq!(split_url("mysql://r@h/x?ssl-mode=required"), ("mysql://r@h", "x", "?ssl-mode=required"));
        assert_eq!(split_url("postgres://h?sslmode=require"), ("postgres://h", "", "?sslmode=require"));
    }

    #[test]
    fn names_fit_and_differ() {
        let long = database_name(&"very_long_module::".repeat(10));
        assert!(long.len() <= 63, "{long}");
        assert!(long.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert_ne!(database_name("a::b"), database_name("a::c"));
        assert!(database_name("conduit::tests::x").starts_with("conduit__tests__x_"));
    }
}
