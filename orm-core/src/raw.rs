//! The raw SQL escape hatch: your SQL text, bound parameters, rows mapped to models by name.

use crate::backend::driver::{self, SqlText};
use crate::backend::{Args, RowRef};
use crate::db::Executor;
use crate::error::Result;
use crate::model::Model;
use crate::value::{SqlType, Value};

/// A statement written by hand. Write `?` for each parameter: on PostgreSQL they become `$1`,
/// `$2`, ... (a statement that already uses `$n` is left alone). Values are always bound, never
/// spliced into the text.
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
/// let n = orm_core::raw("UPDATE users SET name = ? WHERE id = ?").bind("Bo".to_owned()).bind(1_i64).execute(db).await?;
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

impl Raw {
    /// Binds the next parameter.
    pub fn bind<T: SqlType>(mut self, value: T) -> Self {
        self.values.push(value.to_value());
        self
    }

    /// Binds the next parameter from a [`Value`].
    pub fn bind_value(mut self, value: Value) -> Self {
        self.values.push(value);
        self
    }

    fn prepare(self, backend: crate::Backend) -> Result<(SqlText, Args)> {
        let sql = backend.rewrite_placeholders(&self.sql);
        let mut args = Args::new(backend);
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

    /// Every row, mapped to `M` by column name (extra columns are ignored).
    pub async fn fetch_all<'e, M: Model>(self, exec: impl Into<Executor<'e>>) -> Result<Vec<M>> {
        let exec = exec.into().0;
        let (sql, args) = self.prepare(exec.backend())?;
        driver::fetch_all(exec, sql, args, |r| M::__from_row_by_name(r)).await
    }

    /// The first row, if any, mapped to `M` by column name.
    pub async fn fetch_optional<'e, M: Model>(self, exec: impl Into<Executor<'e>>) -> Result<Option<M>> {
        let exec = exec.into().0;
        let (sql, args) = self.prepare(exec.backend())?;
        driver::fetch_optional(exec, sql, args, |r| M::__from_row_by_name(r)).await
    }

    /// The first column of every row, as `T`.
    pub async fn fetch_scalars<'e, T: SqlType + 'static>(self, exec: impl Into<Executor<'e>>) -> Result<Vec<T>> {
        let exec = exec.into().0;
        let (sql, args) = self.prepare(exec.backend())?;
        driver::fetch_all(exec, sql, args, |r| T::decode(r, 0)).await
    }

    /// The first column of the first row, if any, as `T`.
    pub async fn fetch_scalar<'e, T: SqlType + 'static>(self, exec: impl Into<Executor<'e>>) -> Result<Option<T>> {
        let exec = exec.into().0;
        let (sql, args) = self.prepare(exec.backend())?;
        driver::fetch_optional(exec, sql, args, |r| T::decode(r, 0)).await
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
