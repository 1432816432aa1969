//! Databases a test can reopen, and private servers a test can restart.
//!
//! * [`targets`]: the harness's fresh database on every backend together with its URL, so a
//!   test can open a second, independent pool on it (on SQLite a file in a temporary directory,
//!   as an in-memory database cannot be shared by two pools);
//! * [`PrivatePostgres`] and [`PrivateMariaDb`]: a server of the test's own, on a free loopback
//!   port, in a temporary directory, that the test may stop, kill and start again. It is killed
//!   and its directory removed when the value is dropped, also when the test panics.
//!
//! The shared servers (`ORM_TEST_POSTGRES`, `ORM_TEST_MYSQL`) are never restarted or
//! reconfigured. A private server needs the server binaries (the `postgresql` and
//! `mariadb-server` packages): without them it is skipped with a loud message, unless `CI` is set,
//! where it is required. Every wait here is bounded.

use orm_core::{Backend, Db, DbOptions};
use std::path::{Path, PathBuf};

/// A directory under the system's temporary directory, removed with everything in it on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `orm_tests_<name>_<pid>_<nanos>` in the temporary directory.
    pub fn new(name: &str) -> std::io::Result<TempDir> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!("orm_tests_{name}_{}_{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh database of the harness and the URL that reaches it.
#[derive(Debug)]
pub struct Target {
    /// The pool the test works on.
    pub db: Db,
    /// The database's URL: `Db::connect(&target.url)` opens a second pool on the same data.
    pub url: String,
    /// The backend's name, for messages.
    pub label: &'static str,
    _dir: Option<TempDir>,
}

impl Target {
    /// Opens another, independent pool on the same database.
    pub async fn reopen(&self, options: DbOptions) -> orm_core::Result<Db> {
        Db::connect_with(&self.url, options).await
    }
}

/// One fresh database per backend for the test `name`, each with its URL (see the module docs).
/// A backend whose server is down is skipped, or fails the test when backends are required.
pub async fn targets(name: &str, options: DbOptions) -> Vec<Target> {
    let mut out = Vec::new();
    for b in Backend::ALL {
        let (db, url, dir) = match b {
            Backend::Sqlite => {
                let dir = TempDir::new(name).expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
                let db = Db::connect_with(&url, options.clone()).await.expect("a SQLite file database");
                (db, url, Some(dir))
            }
            Backend::Postgres | Backend::MySql => {
                let Some(db) = crate::database_with(b, name, options.clone()).await else { continue };
                let server = match b {
                    Backend::Postgres => crate::server("ORM_TEST_POSTGRES", crate::POSTGRES_URL),
                    _ => crate::server("ORM_TEST_MYSQL", crate::MYSQL_URL),
                };
                (db, format!("{server}/orm_t_{name}"), None)
            }
        };
        out.push(Target { db, url, label: b.name(), _dir: dir });
    }
    out
}
