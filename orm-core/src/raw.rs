//! The raw SQL escape hatch: your SQL text, bound parameters, rows mapped to models by name.

use crate::backend::driver::{self, SqlText};
use crate::backend::{Args, RowRef};
use crate::db::Executor;
use crate::error::Result;
use crate::query::RowStream;
use crate::row::{FromRow, Row};
use crate::value::{SqlType, Value};

/// A statement written by hand. Write `?` for each parameter: on PostgreSQL they become `$1`,
/// `$2`, ... (a statement that already uses `$n` is left alone). Values are always bound, never
/// spliced into the text.
///
/// Rows map to any [`FromRow`] type: a model or a `#[derive(FromRow)]` struct by column name, a
/// tuple by position. See docs/raw-sql.md.
///
/// ```no_run
/// # use orm_core::prelude::*;
/// # #[derive(Model)] struct User { #[orm(primary_key)] id: i64, name: String }
/// # async fn f(db: &Db) -> orm_core::Result<()> {
/// let users: Vec<User> = orm_core::raw("SELECT * FROM users WHERE name = ? OR id = ?")
///     .bind("Ann".to_owned()) // a String: `bind` takes an owned value of a field type
///     .bind(7_i64)
///     .fetch_all(db)
///     .await?;
/// let pairs: Vec<(String, i64)> = orm_core::raw("SELECT name, COUNT(*) FROM users GROUP BY name")
///     .fetch_all(db)
///     .await?;
/// let n = orm_core::raw("UPDATE users SET name = ? WHERE id = ?").bind("Bo").bind(1_i64).execute(db).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Raw {
    sql: String,
    values: Vec<Value>,
}

/// Starts a raw statement; see [`Raw`].
pub fn raw(sql: impl Into<String>) -> Raw {
    Raw { sql: sql.into(), values: Vec::new() }
}

/// A value [`Raw::bind`] accepts: any column type ([`SqlType`], `Option`s included), `&str`,
/// `Option<&str>`, `&[u8]` or a [`Value`].
pub trait Param {
    /// The value to bind.
    fn into_param(self) -> Value;
}

impl<T: SqlType> Param for T {
    fn into_param(self) -> Value {
        self.to_value()
    }
}

impl Param for &str {
    fn into_param(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl Param for Option<&str> {
    fn into_param(self) -> Value {
        match self {
            Some(s) => Value::Text(s.to_owned()),
            None => Value::Null(crate::SqlKind::Text),
        }
    }
}

impl Param for &[u8] {
    fn into_param(self) -> Value {
        Value::Bytes(self.to_vec())
    }
}

impl Param for Value {
    fn into_param(self) -> Value {
        self
    }
}

impl Raw {
    /// Binds the next parameter.
    pub fn bind(mut self, value: impl Param) -> Self {
        self.values.push(value.into_param());
        self
    }

    /// Binds the next parameter from a [`Value`].
    pub fn bind_value(mut self, value: Value) -> Self {
        self.values.push(value);
        self
    }

    /// The text and the values, for the migrator's own connection.
    pub(crate) fn into_parts(self) -> (String, Vec<Value>) {
        (self.sql, self.values)
    }

    fn prepare(self, backend: crate::Backend) -> Result<(SqlText, Args)> {
        let sql = backend.rewrite_placeholders(&self.sql);
        let mut args = Args::with_capacity(backend, self.values.len());
        for v in self.values {
            args.push_value(v)?;
        }
        Ok((SqlText::Owned(sql), args))
    }

    /// Runs a statement that returns no rows; returns the number of rows it affected.
    pub async fn execute<'e>(self, exec: impl Into<Executor<'e>>) -> Result<u64> {
        let exec = exec.into().0;
        let (sql, args) = self.prepare(exec.backend())?;
        Ok(driver::execute(exec, sql, args).await?.rows_affected)
    }

    /// Every row, as `R`: a model or `#[derive(FromRow)]` struct (by column name; extra columns
    /// are ignored) or a tuple (by position).
    pub async fn fetch_all<'e, R: FromRow>(self, exec: impl Into<Executor<'e>>) -> Result<Vec<R>> {
        let exec = exec.into().0;
        let (sql, args) = self.prepare(exec.backend())?;
        driver::fetch_all(exec, sql, args, |r| R::from_row(&Row::new(r))).await
    }

    /// The first row, if any, as `R`.
    pub async fn fetch_optional<'e, R: FromRow>(self, exec: impl Into<Executor<'e>>) -> Result<Option<R>> {
        let exec = exec.into().0;
        let (sql, args) = self.prepare(exec.backend())?;
        driver::fetch_optional(exec, sql, args, |r| R::from_row(&Row::new(r))).await
    }

    /// The rows as a stream of `R`, read as they are consumed (see
    /// [`Query::stream`](crate::Query::stream)).
    pub fn fetch_stream<'e, R: FromRow + 'e>(self, exec: impl Into<Executor<'e>>) -> RowStream<'e, R> {
        let exec = exec.into().0;
        match self.prepare(exec.backend()) {
            Ok((sql, args)) => RowStream::new(driver::fetch_stream(exec, sql, args, |r| R::from_row(&Row::new(r)))),
            Err(e) => RowStream::failed(e),
        }
    }

    /// The first column of every row, as `T`.
    pub async fn fetch_scalars<'e, T: SqlType + 'static>(self, exec: impl Into<Executor<'e>>) -> Result<Vec<T>> {
        let exec = exec.into().0;
        let (sql, args) = self.prepare(exec.backend())?;
        driver::fetch_all(exec, sql, args, |r| T::decode(r, 0)).await.map_err(|e| e.for_table("(raw query)"))
    }

    /// The first column of the first row, if any, as `T`.
    pub async fn fetch_scalar<'e, T: SqlType + 'static>(self, exec: impl Into<Executor<'e>>) -> Result<Option<T>> {
        let exec = exec.into().0;
        let (sql, args) = self.prepare(exec.backend())?;
        driver::fetch_optional(exec, sql, args, |r| T::decode(r, 0)).await.map_err(|e| e.for_table("(raw query)"))
    }
}

impl RowRef<'_> {
    /// The position of the column named `name`.
    pub fn index_of(&self, name: &str) -> Result<usize> {
        (0..self.len()).find(|&i| self.column_name(i) == name).ok_or_else(|| crate::Error::Decode {
            table: String::new(),
            column: name.to_owned(),
            source: sqlx::Error::ColumnNotFound(name.to_owned()),
        })
    }
}
