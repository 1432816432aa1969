//! `Model::query()`: filter, order, page, then fetch, count, test or delete.

use super::ast::Select;
use super::column::{Cond, Order};
use super::render::SqlWriter;
use crate::backend::driver;
use crate::db::Executor;
use crate::error::Result;
use crate::model::{Model, model_sql};
use crate::value::SqlType;
use std::marker::PhantomData;

/// A query over the rows of model `M`. Build it with [`Model::query`], then run it with
/// [`all`](Query::all), [`first`](Query::first), [`count`](Query::count),
/// [`exists`](Query::exists) or [`delete`](Query::delete).
pub struct Query<M> {
    /// What is rendered: `filter` is the soft-delete scope AND the user's filters.
    pub(crate) select: Select,
    /// The user's filters alone (`select.filter` without the scope).
    user_filter: Option<super::ast::Expr>,
    /// Which rows of a model with `#[orm(soft_delete)]` the query sees.
    scope: Scope,
    _marker: PhantomData<fn() -> M>,
}

/// The rows of a soft-deleting model a query sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Live,
    All,
    Deleted,
}

impl<M> Clone for Query<M> {
    fn clone(&self) -> Self {
        Query {
            select: self.select.clone(),
            user_filter: self.user_filter.clone(),
            scope: self.scope,
            _marker: PhantomData,
        }
    }
}

/// `"t"."deleted_at" IS NULL` (or IS NOT NULL) of a model with `#[orm(soft_delete)]`.
pub(crate) fn soft_delete_cond<M: Model>(deleted: bool) -> Option<super::ast::Expr> {
    let i = M::SOFT_DELETE_COLUMN?;
    Some(super::ast::Expr::IsNull {
        expr: Box::new(super::ast::Expr::Column { table: M::TABLE, column: M::COLUMNS[i].name }),
        negated: deleted,
    })
}

impl<M> std::fmt::Debug for Query<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.select.fmt(f)
    }
}

impl<M: Model> Default for Query<M> {
    fn default() -> Self {
        Query::new()
    }
}

impl<M: Model> Query<M> {
    /// A query matching every row.
    ///
    /// For a model with `#[orm(soft_delete)]`, the rows not deleted: see
    /// [`with_deleted`](Query::with_deleted) and [`only_deleted`](Query::only_deleted).
    pub fn new() -> Self {
        let mut q = Query { select: Select::default(), user_filter: None, scope: Scope::Live, _marker: PhantomData };
        q.sync_filter();
        q
    }

    /// Keeps the rows matching `cond`; several filters chain with AND.
    pub fn filter(mut self, cond: Cond<M>) -> Self {
        self.user_filter = Some(match self.user_filter.take() {
            None => cond.expr,
            Some(f) => f.and(cond.expr),
        });
        self.sync_filter();
        self
    }

    /// Sees soft-deleted rows too (a model with `#[orm(soft_delete)]`; no effect otherwise).
    pub fn with_deleted(mut self) -> Self {
        self.scope = Scope::All;
        self.sync_filter();
        self
    }

    /// Sees only the soft-deleted rows (a model with `#[orm(soft_delete)]`; no effect otherwise).
    pub fn only_deleted(mut self) -> Self {
        self.scope = Scope::Deleted;
        self.sync_filter();
        self
    }

    /// `select.filter` = the scope's condition AND the user's filters.
    fn sync_filter(&mut self) {
        let scope = match self.scope {
            Scope::Live => soft_delete_cond::<M>(false),
            Scope::Deleted => soft_delete_cond::<M>(true),
            Scope::All => None,
        };
        self.select.filter = match (scope, self.user_filter.clone()) {
            (None, f) => f,
            (Some(s), None) => Some(s),
            (Some(s), Some(f)) => Some(s.and(f)),
        };
    }

    /// Orders by `order`, after any earlier `order_by`.
    pub fn order_by(mut self, order: Order<M>) -> Self {
        self.select.order.push(order.term);
        self
    }

    /// Returns at most `n` rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.select.limit = Some(n);
        self
    }

    /// Skips the first `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.select.offset = Some(n);
        self
    }

    pub(crate) fn render_select(&self, backend: crate::backend::Backend) -> Result<SqlWriter> {
        let mut w = SqlWriter::with_prefix(backend, &model_sql::<M>(backend).select);
        w.select_tail(&self.select)?;
        super::select::write_lock(&mut w, &self.select)?;
        Ok(w)
    }

    /// The SQL this query's `all` would run on `backend`, for logs and tests.
    pub fn to_sql(&self, backend: crate::backend::Backend) -> Result<String> {
        Ok(self.render_select(backend)?.sql)
    }

    /// Every matching row.
    pub async fn all<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<Vec<M>> {
        let exec = exec.into().0;
        let (sql, args) = self.render_select(exec.backend())?.finish();
        driver::fetch_all(exec, sql, args, |r| M::__from_row(r)).await
    }

    /// The first matching row, if any.
    pub async fn first<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<Option<M>> {
        let exec = exec.into().0;
        let mut q = self.clone();
        q.select.limit = Some(1);
        let (sql, args) = q.render_select(exec.backend())?.finish();
        driver::fetch_optional(exec, sql, args, |r| M::__from_row(r)).await
    }

    /// Calls `f` on every matching row as it arrives, without holding them all in memory.
    pub async fn for_each<'e, F>(&self, exec: impl Into<Executor<'e>>, mut f: F) -> Result<()>
    where
        F: FnMut(M) -> Result<()> + Send,
    {
        let exec = exec.into().0;
        let (sql, args) = self.render_select(exec.backend())?.finish();
        driver::for_each(exec, sql, args, |r| f(M::__from_row(r)?)).await
    }

    /// The number of matching rows (within `limit`/`offset` when set).
    pub async fn count<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<u64> {
        let exec = exec.into().0;
        let backend = exec.backend();
        let mut w = SqlWriter::new(backend);
        if self.select.limit.is_some() || self.select.offset.is_some() {
            w.push("SELECT COUNT(*) FROM (SELECT 1 AS ");
            w.ident("one");
            w.push(" FROM ");
            w.ident(M::TABLE);
            w.select_tail(&self.select)?;
            w.push(") ");
            w.ident("sub");
        } else {
            self.write_count_all(&mut w)?;
        }
        let (sql, args) = w.finish();
        let n = driver::fetch_optional(exec, sql, args, |r| i64::decode(r, 0)).await?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }

    /// The rows of the query's page (its `limit` and `offset`) and the number of rows it
    /// matches without them, in one statement: the total is a `COUNT(*)` subquery beside the
    /// page's columns, computed once (see [`Page`](crate::Page)). A page past the last row has
    /// no row to carry the total, and counts in a second statement.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model, Debug)]
    /// # struct Task { #[orm(primary_key)] id: i64, done: bool }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> orm_core::Result<()> {
    /// # let db = Db::connect("sqlite::memory:").await?;
    /// # Task::create_table(&db).await?;
    /// # for i in 0..30 { Task { id: 0, done: i % 3 == 0 }.insert(&db).await?; }
    /// let open = Task::query().filter(Task::DONE.eq(false)).order_by(Task::ID.desc());
    /// let page = open.limit(20).fetch_page(&db).await?;
    /// assert_eq!((page.rows.len(), page.total), (20, 20));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn fetch_page<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<super::page::Page<M>> {
        let limits = (self.select.limit, self.select.offset);
        super::page::fetch_models(
            exec.into().0,
            limits,
            |w| self.write_count_all(w),
            |w| {
                w.select_tail(&self.select)?;
                super::select::write_lock(w, &self.select)
            },
        )
        .await
    }

    /// `SELECT COUNT(*) FROM "t" WHERE ..`: every matching row, whatever the limit and offset.
    pub(crate) fn write_count_all(&self, w: &mut SqlWriter) -> Result<()> {
        w.push("SELECT COUNT(*) FROM ");
        w.ident(M::TABLE);
        w.where_clause(&self.select.filter)
    }

    /// Whether any row matches.
    pub async fn exists<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<bool> {
        let exec = exec.into().0;
        let mut w = SqlWriter::new(exec.backend());
        w.push("SELECT 1 FROM ");
        w.ident(M::TABLE);
        w.where_clause(&self.select.filter)?;
        w.order_by(&self.select.order)?;
        w.limit_offset(Some(1), self.select.offset)?;
        let (sql, args) = w.finish();
        Ok(driver::fetch_optional(exec, sql, args, |_| Ok(())).await?.is_some())
    }

    /// Deletes every matching row without loading it; returns how many were deleted.
    ///
    /// With `order_by`/`limit`/`offset`, the rows are picked by primary key in a subquery, which
    /// works on every backend.
    ///
    /// For a model with `#[orm(soft_delete)]`, this sets the rows' soft-delete column to the
    /// current time instead (rows already deleted are not counted, unless
    /// [`with_deleted`](Query::with_deleted) is set); [`force_delete`](Query::force_delete)
    /// removes them.
    pub async fn delete<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<u64> {
        let exec = exec.into().0;
        if let Some(i) = M::SOFT_DELETE_COLUMN {
            let c = &M::COLUMNS[i];
            let mut w = SqlWriter::new(exec.backend());
            w.push("UPDATE ");
            w.ident(M::TABLE);
            w.push(" SET ");
            w.ident(c.name);
            w.push(" = ");
            w.expr(&super::ast::Expr::Value(crate::lifecycle::now_value(c.kind, crate::lifecycle::now_micros())?))?;
            self.where_rows(&mut w)?;
            let (sql, args) = w.finish();
            return Ok(driver::execute(exec, sql, args).await.map_err(|e| e.for_table(M::TABLE))?.rows_affected);
        }
        self.force_delete(crate::db::Executor(exec)).await
    }

    /// DELETEs every matching row, also of a model with `#[orm(soft_delete)]` (by default only
    /// the rows not soft-deleted match: add [`with_deleted`](Query::with_deleted) to remove all).
    pub async fn force_delete<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<u64> {
        let exec = exec.into().0;
        let mut w = SqlWriter::new(exec.backend());
        w.push("DELETE FROM ");
        w.ident(M::TABLE);
        self.where_rows(&mut w)?;
        let (sql, args) = w.finish();
        Ok(driver::execute(exec, sql, args).await.map_err(|e| e.for_table(M::TABLE))?.rows_affected)
    }
}

impl<M: Model> Query<M> {
    /// The WHERE clause of a DELETE or UPDATE of the rows this query picks: its filter, or with
    /// `limit`/`offset` the keys of the picked rows (see `where_key_in_subquery`).
    pub(crate) fn where_rows(&self, w: &mut SqlWriter) -> Result<()> {
        if self.select.limit.is_some() || self.select.offset.is_some() {
            self.where_key_in_subquery(w)
        } else {
            w.where_clause(&self.select.filter)
        }
    }

    /// ` WHERE (k1, k2) IN (SELECT k1, k2 FROM (SELECT "t"."k1", "t"."k2" FROM "t" ...) "sub")`:
    /// the rows this query picks with its order, limit and offset, by primary key (a row value,
    /// so composite keys work too), for a DELETE or UPDATE of `M`'s table. The keys go through a
    /// derived table, which MySQL accepts on the table being changed and which allows LIMIT in
    /// the subquery.
    pub(crate) fn where_key_in_subquery(&self, w: &mut SqlWriter) -> Result<()> {
        let keys = |w: &mut SqlWriter, qualified: bool| {
            for (i, c) in crate::model::key_columns::<M>().enumerate() {
                if i > 0 {
                    w.push(", ");
                }
                if qualified {
                    w.column(M::TABLE, c.name);
                } else {
                    w.ident(c.name);
                }
            }
        };
        w.push(" WHERE (");
        keys(w, false);
        w.push(") IN (SELECT ");
        keys(w, false);
        w.push(" FROM (SELECT ");
        keys(w, true);
        w.push(" FROM ");
        w.ident(M::TABLE);
        w.select_tail(&self.select)?;
        w.push(") ");
        w.ident("sub");
        w.push(")");
        Ok(())
    }
}
