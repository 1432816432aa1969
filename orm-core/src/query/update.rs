//! Set-based UPDATE: `UPDATE t SET stock = stock - 1 WHERE ...`, without loading rows.

use super::ast::Expr as Node;
use super::builder::Query;
use super::column::Column;
use super::expr::IntoExpr;
use super::render::SqlWriter;
use crate::backend::driver;
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::value::SqlType;
use std::marker::PhantomData;

/// One `column = expression` of a set-based update, from [`Column::set`].
pub struct Assignment<M> {
    column: &'static str,
    value: Node,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Assignment<M> {
    fn clone(&self) -> Self {
        Assignment { column: self.column, value: self.value.clone(), _marker: PhantomData }
    }
}

impl<M> std::fmt::Debug for Assignment<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assignment").field("column", &self.column).field("value", &self.value).finish()
    }
}

impl<M: Model, T: SqlType> Column<M, T> {
    /// `column = value` in [`Query::update`]: a value of the column's type, another column, or an
    /// expression (`Product::STOCK.set(Product::STOCK - 1)`), evaluated by the database on each row.
    pub fn set(self, value: impl IntoExpr<M, T>) -> Assignment<M> {
        Assignment { column: self.name(), value: value.into_expr().node, _marker: PhantomData }
    }
}

impl<M: Model> Query<M> {
    /// Updates every matching row in one statement, without loading it; returns how many rows
    /// matched (MySQL too: this crate connects with `CLIENT_FOUND_ROWS`).
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model)] struct Product { #[orm(primary_key)] id: i64, stock: i32, price: f64, name: String }
    /// # async fn f(db: &Db) -> orm_core::Result<()> {
    /// let n = Product::query()
    ///     .filter(Product::STOCK.gt(0))
    ///     .update(db, [Product::STOCK.set(Product::STOCK - 1), Product::PRICE.set(Product::PRICE * 1.1)])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// With `order_by`/`limit`/`offset`, the rows are picked by primary key in a subquery, which
    /// works on every backend. An empty list of assignments, or one column assigned twice, is
    /// [`Error::InvalidValue`].
    ///
    /// Every right-hand side sees the row as it was before the update on PostgreSQL and SQLite;
    /// MySQL evaluates the assignments left to right, so a later one sees the new value of a
    /// column assigned earlier in the same list.
    pub async fn update<'e>(
        &self,
        exec: impl Into<Executor<'e>>,
        assignments: impl IntoIterator<Item = Assignment<M>>,
    ) -> Result<u64> {
        let exec = exec.into().0;
        let assignments: Vec<Assignment<M>> = assignments.into_iter().collect();
        if assignments.is_empty() {
            return Err(Error::InvalidValue(format!(
                "an update of `{}` needs at least one assignment (Column::set)",
                M::TABLE
            )));
        }
        for (i, a) in assignments.iter().enumerate() {
            if assignments[..i].iter().any(|b| b.column == a.column) {
                return Err(Error::InvalidValue(format!(
                    "the column `{}` of `{}` is assigned twice in one update",
                    a.column,
                    M::TABLE
                )));
            }
        }
        let mut w = SqlWriter::new(exec.backend());
        w.push("UPDATE ");
        w.ident(M::TABLE);
        for (i, a) in assignments.iter().enumerate() {
            w.push(if i == 0 { " SET " } else { ", " });
            w.ident(a.column);
            w.push(" = ");
            w.expr(&a.value)?;
        }
        self.where_rows(&mut w)?;
        let (sql, args) = w.finish();
        Ok(driver::execute(exec, sql, args).await.map_err(|e| e.for_table(M::TABLE))?.rows_affected)
    }
}
