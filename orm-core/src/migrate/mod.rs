//! Schema migrations generated from the models, and introspection of a live database.
//!
//! ```no_run
//! use orm_core::migrate::{self, MakeOptions, Migrator, Schema};
//! use orm_core::prelude::*;
//!
//! #[derive(Model)]
//! struct Artist { #[orm(primary_key)] id: i64, name: String }
//!
//! # async fn f(db: &Db) -> orm_core::Result<()> {
//! let schema = Schema::new().model::<Artist>();
//! // Offline: compares the models with the newest migration's snapshot.
//! let written = migrate::make(&schema, "migrations", "add_artists", MakeOptions::default())?;
//! migrate::check(&schema, "migrations")?; // Err when a change has no migration (for CI)
//! let m = Migrator::from_dir("migrations")?;
//! let applied: Vec<String> = m.run(db).await?;
//! # Ok(()) }
//! ```
//!
//! A migration file `NNNN_name.json` holds a backend-neutral list of [`Op`]s and the snapshot of
//! the whole [`Schema`] after them, so `make` needs no database and one history serves every
//! backend: the dialect layer renders the operations when they are applied. See
//! `docs/migrations.md`.

mod cli;
mod diff;
mod file;
mod run;
mod rust;
mod schema;

pub use cli::{cli, run as run_cli};
pub use file::{Migration, checksum, parse_history};
pub use run::{Applied, DataFn, DataFuture, DataTx, Migrator, Resolution, Status, data};
pub use schema::{Check, ColumnSchema, EnumType, ForeignKeySchema, Index, Op, Schema, Table};

use crate::db::{Db, Executor};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

#[doc(hidden)]
pub fn __embedded(files: &[(&str, &str)]) -> Result<Migrator> {
    let files: Vec<(String, String)> = files.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect();
    Migrator::from_files(&files)
}

/// The migrator's history table.
pub const HISTORY_TABLE: &str = "orm_migrations";

/// Options of [`make`].
#[derive(Debug, Clone, Default)]
pub struct MakeOptions {
    /// Write the migration even when it drops a table or a column, narrows a type, or makes a
    /// column NOT NULL without a default (else [`Error::Destructive`]).
    pub allow_destructive: bool,
}

/// Compares `schema` (the models) with the snapshot of the newest migration in `dir` and, when
/// they differ, writes the next migration `NNNN_name.json`; `Ok(None)` when nothing changed.
/// Needs no database.
///
/// A destructive operation is [`Error::Destructive`] naming each one, unless
/// [`MakeOptions::allow_destructive`]. Renames come only from `#[orm(renamed_from = "...")]`;
/// they are never guessed.
pub fn make(schema: &Schema, dir: impl AsRef<Path>, name: &str, options: MakeOptions) -> Result<Option<PathBuf>> {
    let dir = dir.as_ref();
    let history = parse_history(&file::read_dir(dir)?)?;
    let prev = history.last().map(|m| m.snapshot.clone()).unwrap_or_default();
    let ops = diff::diff(&prev, schema)?;
    if ops.is_empty() {
        return Ok(None);
    }
    if !options.allow_destructive {
        let mut cur = prev.clone();
        let mut found = Vec::new();
        for op in &ops {
            if let Some(why) = diff::destructive(op, &cur) {
                found.push(why);
            }
            cur.apply(op)?;
        }
        if !found.is_empty() {
            return Err(Error::Destructive { operations: found });
        }
    }
    let id = file::new_id(history.len() + 1, name)?;
    let mut snapshot = schema.clone();
    snapshot.hints = Default::default();
    let text = file::render(&id, history.last().map(|m| m.id.as_str()), ops, snapshot)?;
    let io = |e: std::io::Error| Error::Migration {
        id: id.clone(),
        message: format!("cannot write {}: {e}", dir.display()),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let path = dir.join(format!("{id}.json"));
    std::fs::write(&path, text).map_err(io)?;
    Ok(Some(path))
}

/// An empty migration (for raw SQL or a data migration) written as the next file of `dir`.
pub fn make_empty(dir: impl AsRef<Path>, name: &str) -> Result<PathBuf> {
    let dir = dir.as_ref();
    let history = parse_history(&file::read_dir(dir)?)?;
    let prev = history.last().map(|m| m.snapshot.clone()).unwrap_or_default();
    let id = file::new_id(history.len() + 1, name)?;
    let text = file::render(&id, history.last().map(|m| m.id.as_str()), Vec::new(), prev)?;
    let io = |e: std::io::Error| Error::Migration {
        id: id.clone(),
        message: format!("cannot write {}: {e}", dir.display()),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let path = dir.join(format!("{id}.json"));
    std::fs::write(&path, text).map_err(io)?;
    Ok(path)
}

/// `Err(Error::SchemaChanged)` when the models hold changes that no migration in `dir` has
/// (for CI), listing them.
pub fn check(schema: &Schema, dir: impl AsRef<Path>) -> Result<()> {
    let history = parse_history(&file::read_dir(dir.as_ref())?)?;
    let prev = history.last().map(|m| m.snapshot.clone()).unwrap_or_default();
    let ops = diff::diff(&prev, schema)?;
    if ops.is_empty() {
        return Ok(());
    }
    Err(Error::SchemaChanged { operations: ops.iter().map(Op::describe).collect() })
}

/// The operations that would turn `from` into `to` (what `make` writes).
pub fn diff(from: &Schema, to: &Schema) -> Result<Vec<Op>> {
    diff::diff(from, to)
}

/// The schema of the database `db` is connected to, read from its catalog (the migrator's
/// history table left out). Guessed type mappings are kept as notes for [`Schema::to_rust`].
pub async fn introspect(db: &Db) -> Result<Schema> {
    let mut conn = crate::backend::dedicated::Dedicated::acquire(Executor::from(db).0).await?;
    let (mut schema, notes) = crate::backend::introspect::introspect(&mut conn).await?;
    schema.hints.notes = notes;
    Ok(schema)
}

/// Writes `schema` (e.g. from [`introspect`]) as the first migration of the empty folder `dir`,
/// so that an existing database is adopted: mark it applied there with
/// [`Migrator::resolve`]`(db, id, Resolution::Applied)`, and the next [`make`] only holds what
/// the models change.
pub fn baseline(schema: &Schema, dir: impl AsRef<Path>, name: &str) -> Result<PathBuf> {
    let dir = dir.as_ref();
    let history = parse_history(&file::read_dir(dir)?)?;
    if !history.is_empty() {
        return Err(Error::Migration {
            id: history[0].id.clone(),
            message: "a baseline is the first migration; the folder has migrations already".into(),
        });
    }
    let mut s = schema.clone();
    s.hints = Default::default();
    let ops = diff::diff(&Schema::new(), &s)?;
    let id = file::new_id(1, name)?;
    let text = file::render(&id, None, ops, s)?;
    let io = |e: std::io::Error| Error::Migration {
        id: id.clone(),
        message: format!("cannot write {}: {e}", dir.display()),
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let path = dir.join(format!("{id}.json"));
    std::fs::write(&path, text).map_err(io)?;
    Ok(path)
}
