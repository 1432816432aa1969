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
    ///
    /// The model's `auto_now` columns not assigned here are set to the current time, and its
    /// `version` column (if any) is incremented, so that a model read before this update is
    /// stale; [`update_without_auto_now`](Query::update_without_auto_now) leaves the `auto_now`
    /// columns alone.
    pub async fn update<'e>(
        &self,
        exec: impl Into<Executor<'e>>,
        assignments: impl IntoIterator<Item = Assignment<M>>,
    ) -> Result<u64> {
        self.update_inner(exec, assignments.into_iter().collect(), true).await
    }

    /// [`update`](Query::update) without setting the `auto_now` columns.
    pub async fn update_without_auto_now<'e>(
        &self,
        exec: impl Into<Executor<'e>>,
        assignments: impl IntoIterator<Item = Assignment<M>>,
    ) -> Result<u64> {
        self.update_inner(exec, assignments.into_iter().collect(), false).await
    }

    async fn update_inner<'e>(
        &self,
        exec: impl Into<Executor<'e>>,
        mut assignments: Vec<Assignment<M>>,
        touch: bool,
    ) -> Result<u64> {
        let exec = exec.into().0;
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
        let assigned = |a: &[Assignment<M>], name: &str| a.iter().any(|x| x.column == name);
        if touch && !M::AUTO_NOW.is_empty() {
            let now = crate::lifecycle::now_micros();
            for &i in M::AUTO_NOW {
                let c = &M::COLUMNS[i];
                if !assigned(&assignments, c.name) {
                    let value = crate::lifecycle::now_value(c.kind, now)?;
                    assignments.push(Assignment { column: c.name, value: Node::Value(value), _marker: PhantomData });
                }
            }
        }
        if let Some(v) = M::VERSION_COLUMN {
            let c = &M::COLUMNS[v];
            if !assigned(&assignments, c.name) {
                let col: Column<M, i64> = Column::new(c.name);
                let bumped = super::expr::Expr::<M, i64>::from(col) + 1i64;
                assignments.push(Assignment { column: c.name, value: bumped.node, _marker: PhantomData });
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
