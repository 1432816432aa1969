//! Selecting some columns or expressions instead of whole models: tuples, aggregates with
//! `group_by`/`having`, `distinct`, and structs that name their columns.

use super::ast::{Expr as Node, Select};
use super::builder::Query;
use super::column::{Column, Cond, Order};
use super::expr::Expr;
use super::render::SqlWriter;
use super::stream::RowStream;
use crate::backend::{Backend, RowRef, driver};
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::model::{Model, model_sql};
use crate::row::{FromRow, Projection, Row};
use crate::value::SqlType;
use std::marker::PhantomData;

/// The expressions of a selection, in order. Not a public API.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct ExprList(pub(crate) Vec<Node>);

/// What [`Query::select`] accepts: a column, an expression (`Track::MILLISECONDS.sum()`,
/// [`count()`](crate::count)), or a tuple of up to 12 of them (tuples nest). `Output` is the
/// Rust type of one result row: `T` for a column or expression of type `T`, a tuple of those
/// for a tuple.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be selected from model `{M}`",
    label = "expected a column or expression of `{M}`, or a tuple of them"
)]
pub trait Selection<M>: Sized {
    /// One result row.
    type Output: Send;
    /// Appends the selected expressions.
    #[doc(hidden)]
    fn __collect(self, out: &mut ExprList);
    /// Decodes one result row from column `*idx` on, advancing `idx`.
    #[doc(hidden)]
    fn __decode(row: &RowRef<'_>, idx: &mut usize) -> Result<Self::Output>;
}

impl<M: Model, T: SqlType> Selection<M> for Column<M, T> {
    type Output = T;
    fn __collect(self, out: &mut ExprList) {
        out.0.push(self.expr());
    }
    fn __decode(row: &RowRef<'_>, idx: &mut usize) -> Result<T> {
        let v = T::decode(row, *idx).map_err(|e| e.for_table(M::TABLE))?;
        *idx += 1;
        Ok(v)
    }
}

impl<M: Model, T: SqlType> Selection<M> for Expr<M, T> {
    type Output = T;
    fn __collect(self, out: &mut ExprList) {
        out.0.push(self.node);
    }
    fn __decode(row: &RowRef<'_>, idx: &mut usize) -> Result<T> {
        let v = T::decode(row, *idx).map_err(|e| e.for_table(M::TABLE))?;
        *idx += 1;
        Ok(v)
    }
}

macro_rules! tuple_selection {
    ($($name:ident),+) => {
        impl<Mo, $($name: Selection<Mo>),+> Selection<Mo> for ($($name,)+) {
            type Output = ($($name::Output,)+);
            #[allow(non_snake_case)]
            fn __collect(self, out: &mut ExprList) {
                let ($($name,)+) = self;
                $($name.__collect(out);)+
            }
            fn __decode(row: &RowRef<'_>, idx: &mut usize) -> Result<Self::Output> {
                Ok(($($name::__decode(row, idx)?,)+))
            }
        }
    };
}
tuple_selection!(A);
tuple_selection!(A, B);
tuple_selection!(A, B, C);
tuple_selection!(A, B, C, D);
tuple_selection!(A, B, C, D, E);
tuple_selection!(A, B, C, D, E, F);
tuple_selection!(A, B, C, D, E, F, G);
tuple_selection!(A, B, C, D, E, F, G, H);
tuple_selection!(A, B, C, D, E, F, G, H, I);
tuple_selection!(A, B, C, D, E, F, G, H, I, J);
tuple_selection!(A, B, C, D, E, F, G, H, I, J, K);
tuple_selection!(A, B, C, D, E, F, G, H, I, J, K, L);

fn decode_selection<M, S: Selection<M>>(row: &RowRef<'_>) -> Result<S::Output> {
    let mut idx = 0;
    S::__decode(row, &mut idx)
}

fn decode_from_row<R: FromRow>(row: &RowRef<'_>) -> Result<R> {
    R::from_row(&Row::new(row))
}

/// A query returning some columns or expressions of model `M`'s rows, each row read as `R`.
/// Made by [`Query::select`] (`R` a value or tuple) or [`Query::select_as`] (`R` a
/// [`Projection`] struct).
///
/// The model query's `filter`, `order_by`, `limit`, `offset` and `for_update` carry over; on
/// top of them come [`distinct`](SelectQuery::distinct), [`group_by`](SelectQuery::group_by)
/// and [`having`](SelectQuery::having). `limit`/`offset` count result rows (groups, with
/// `group_by`), as in SQL.
pub struct SelectQuery<M, R> {
    query: Query<M>,
    columns: Vec<Node>,
    /// `AS` names of the columns (for by-name mapping), when given.
    aliases: Option<&'static [&'static str]>,
    distinct: bool,
    group_by: Vec<Node>,
    having: Option<Node>,
    /// Aggregate over the query's rows in a subquery (when it has a limit or offset).
    over_subquery: bool,
    /// The columns a projection reads that the model lacks and no annotation computes
    /// (reported when run).
    missing: Vec<&'static str>,
    /// An annotation naming no field of the projection (reported when run).
    unknown_annotation: Option<&'static str>,
    decode: fn(&RowRef<'_>) -> Result<R>,
    _marker: PhantomData<fn() -> R>,
}

impl<M, R> Clone for SelectQuery<M, R> {
    fn clone(&self) -> Self {
        SelectQuery {
            query: self.query.clone(),
            columns: self.columns.clone(),
            aliases: self.aliases,
            distinct: self.distinct,
            group_by: self.group_by.clone(),
            having: self.having.clone(),
            over_subquery: self.over_subquery,
            missing: self.missing.clone(),
            unknown_annotation: self.unknown_annotation,
            decode: self.decode,
            _marker: PhantomData,
        }
    }
}

impl<M, R> std::fmt::Debug for SelectQuery<M, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectQuery")
            .field("query", &self.query)
            .field("columns", &self.columns)
            .field("distinct", &self.distinct)
            .field("group_by", &self.group_by)
            .field("having", &self.having)
            .finish()
    }
}

impl<M: Model> Query<M> {
    /// Selects some columns or expressions instead of whole rows; each result row is read as
    /// the selection's `Output`, typed by the columns:
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model)] struct User { #[orm(primary_key)] id: i64, name: String, age: Option<i32> }
    /// # async fn f(db: &Db) -> orm_core::Result<()> {
    /// let names: Vec<String> = User::query().select(User::NAME).all(db).await?;
    /// let pairs: Vec<(i64, Option<i32>)> = User::query().select((User::ID, User::AGE)).all(db).await?;
    /// # Ok(()) }
    /// ```
    pub fn select<S: Selection<M>>(self, selection: S) -> SelectQuery<M, S::Output> {
        let mut list = ExprList::default();
        selection.__collect(&mut list);
        SelectQuery::build(self, list.0, None, Vec::new(), decode_selection::<M, S>)
    }

    /// Selects the columns a [`Projection`] struct (`#[derive(FromRow)]`) names and reads each
    /// row into it by column name: a smaller struct than the model. A field naming a column the
    /// model does not have is an [`Error::Decode`] when the query runs, unless
    /// [`annotate`](SelectQuery::annotate) computes it.
    pub fn select_as<P: Projection>(self) -> SelectQuery<M, P> {
        let mut missing = Vec::new();
        let columns = P::COLUMNS
            .iter()
            .map(|&name| match M::COLUMNS.iter().find(|c| c.name == name) {
                Some(c) => Node::Column { table: M::TABLE, column: c.name },
                None => {
                    missing.push(name);
                    Node::Column { table: M::TABLE, column: name }
                }
            })
            .collect();
        SelectQuery::build(self, columns, Some(P::COLUMNS), missing, decode_from_row::<P>)
    }

    /// Computes aggregates over the matching rows (one row of results, whatever the number of
    /// rows matched): a single expression or a tuple.
    ///
    /// With `limit`/`offset` on the query, the aggregates cover only the rows they keep.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model)] struct Track { #[orm(primary_key)] id: i64, milliseconds: i32 }
    /// # async fn f(db: &Db) -> orm_core::Result<()> {
    /// let (n, total, mean): (i64, Option<i64>, Option<f64>) = Track::query()
    ///     .aggregate(db, (count(), Track::MILLISECONDS.sum(), Track::MILLISECONDS.avg()))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn aggregate<'e, S: Selection<M>>(
        &self,
        exec: impl Into<Executor<'e>>,
        selection: S,
    ) -> Result<S::Output> {
        let mut q = self.clone().select(selection);
        q.over_subquery = self.select.limit.is_some() || self.select.offset.is_some();
        q.first(exec).await?.ok_or_else(|| Error::NotFound { table: M::TABLE.to_owned() })
    }

    /// Locks the selected rows until the transaction ends (`SELECT ... FOR UPDATE`), so that no
    /// other transaction changes or locks them meanwhile. Use it inside a [`Tx`](crate::Tx):
    /// outside one, each statement is its own transaction and the lock ends with it.
    ///
    /// PostgreSQL and MySQL only: on SQLite, which has no row locks, running the query is
    /// [`Error::Unsupported`] rather than a silently dropped clause. There, a transaction from
    /// [`Db::begin`](crate::Db::begin) already holds the database's write lock (`BEGIN
    /// IMMEDIATE`), so no other writer can change the rows; portable code can test
    /// [`Backend::supports_for_update`].
    pub fn for_update(mut self) -> Self {
        self.select.for_update = true;
        self
    }
}

/// The error of an annotation that names no field of the projection.
pub(crate) fn unknown_annotation(name: &str, fields: Option<&[&str]>) -> Error {
    match fields {
        Some(fields) => Error::Unsupported(format!(
            "the annotation `{name}` names no field of the projection (its fields: {})",
            fields.join(", ")
        )),
        None => Error::Unsupported(format!(
            "the annotation `{name}` needs a projection struct (select_as), not a tuple selection"
        )),
    }
}

/// `SELECT [DISTINCT] a AS "a", ..`: `aliases` (a projection's field names) as the columns'
/// names, or, when `positional` (in a derived table, whose column names must differ on MySQL),
/// `"c0"`, `"c1"`..
pub(crate) fn write_select_list(
    w: &mut SqlWriter,
    distinct: bool,
    columns: &[Node],
    aliases: Option<&[&str]>,
    positional: bool,
) -> Result<()> {
    w.push(if distinct { "SELECT DISTINCT " } else { "SELECT " });
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            w.push(", ");
        }
        w.expr(c)?;
        if positional {
            w.push(" AS ");
            w.ident(&format!("c{i}"));
        } else if let Some(name) = aliases.and_then(|a| a.get(i)) {
            w.push(" AS ");
            w.ident(name);
        }
    }
    Ok(())
}

/// ` GROUP BY .. HAVING ..`
pub(crate) fn write_grouping(w: &mut SqlWriter, group_by: &[Node], having: &Option<Node>) -> Result<()> {
    for (i, g) in group_by.iter().enumerate() {
        w.push(if i == 0 { " GROUP BY " } else { ", " });
        w.expr(g)?;
    }
    if let Some(h) = having {
        w.push(" HAVING ");
        w.expr(h)?;
    }
    Ok(())
}

/// Writes the FOR UPDATE clause of `select`, or fails where the backend has none.
pub(crate) fn write_lock(w: &mut SqlWriter, select: &Select) -> Result<()> {
    if !select.for_update {
        return Ok(());
    }
    match w.backend.for_update_sql() {
        Some(sql) => {
            w.push(sql);
            Ok(())
        }
        None => Err(Error::Unsupported(format!(
            "{} has no row locks (SELECT ... FOR UPDATE); a transaction begun with Db::begin already \
             holds its write lock, so leave out for_update() there (see Backend::supports_for_update)",
            w.backend.name()
        ))),
    }
}

impl<M: Model, R: Send> SelectQuery<M, R> {
    fn build(
        query: Query<M>,
        columns: Vec<Node>,
        aliases: Option<&'static [&'static str]>,
        missing: Vec<&'static str>,
        decode: fn(&RowRef<'_>) -> Result<R>,
    ) -> Self {
        SelectQuery {
            query,
            columns,
            aliases,
            distinct: false,
            group_by: Vec::new(),
            having: None,
            over_subquery: false,
            missing,
            unknown_annotation: None,
            decode,
            _marker: PhantomData,
        }
    }

    /// Computes the field `name` of a [`select_as`](Query::select_as) projection with `expr`
    /// instead of reading a column of that name (Django's `annotate`): a relation aggregate
    /// ([`ForeignKey::count`](crate::ForeignKey::count)), a condition read as a boolean
    /// ([`Cond::to_expr`]), arithmetic... The expression is selected `AS "name"`, so the
    /// projection reads it by name like the other fields.
    ///
    /// A `name` that is not a field of the projection (or a selection that is a tuple, whose
    /// fields have no names) is an [`Error::Unsupported`] when the query runs.
    pub fn annotate<T: SqlType>(mut self, name: &'static str, expr: Expr<M, T>) -> Self {
        match self.aliases.and_then(|a| a.iter().position(|n| *n == name)) {
            Some(i) => {
                self.columns[i] = expr.node;
                self.missing.retain(|m| *m != name);
            }
            None => {
                self.unknown_annotation.get_or_insert(name);
            }
        }
        self
    }

    /// Keeps the rows matching `cond` (before grouping); several filters chain with AND.
    pub fn filter(mut self, cond: Cond<M>) -> Self {
        self.query = self.query.filter(cond);
        self
    }

    /// Returns each different result row once (`SELECT DISTINCT`).
    pub fn distinct(mut self) -> Self {
        self.distinct = true;
        self
    }

    /// Groups the rows by a column, an expression or a tuple of them (`GROUP BY`); aggregates
    /// in the selection are then computed per group.
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model)] struct Track { #[orm(primary_key)] id: i64, genre_id: Option<i32>, milliseconds: i32 }
    /// # async fn f(db: &Db) -> orm_core::Result<()> {
    /// // Number of tracks and total milliseconds per genre, genres with more than 10 tracks.
    /// let rows: Vec<(Option<i32>, i64, Option<i64>)> = Track::query()
    ///     .select((Track::GENRE_ID, count(), Track::MILLISECONDS.sum()))
    ///     .group_by(Track::GENRE_ID)
    ///     .having(count().gt(10))
    ///     .order_by(Track::GENRE_ID.asc())
    ///     .all(db)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn group_by<S: Selection<M>>(mut self, keys: S) -> Self {
        let mut list = ExprList(std::mem::take(&mut self.group_by));
        keys.__collect(&mut list);
        self.group_by = list.0;
        self
    }

    /// Keeps the groups matching `cond` (`HAVING`), typically on aggregates:
    /// `.having(count().gt(10))`. Several calls chain with AND.
    pub fn having(mut self, cond: Cond<M>) -> Self {
        self.having = Some(match self.having.take() {
            None => cond.expr,
            Some(h) => h.and(cond.expr),
        });
        self
    }

    /// Orders the result rows, after any earlier ordering; by a column or an expression such as
    /// an aggregate (`.order_by(count().desc())`).
    pub fn order_by(mut self, order: Order<M>) -> Self {
        self.query = self.query.order_by(order);
        self
    }

    /// Returns at most `n` result rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.query = self.query.limit(n);
        self
    }

    /// Skips the first `n` result rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.query = self.query.offset(n);
        self
    }

    fn render(&self, backend: Backend) -> Result<SqlWriter> {
        self.render_with(backend, false)
    }

    /// The statement, with the page's total as a last column when `total` is set (see
    /// [`SelectQuery::fetch_page`]; never with `over_subquery`).
    fn render_with(&self, backend: Backend, total: bool) -> Result<SqlWriter> {
        if let Some(name) = self.unknown_annotation {
            return Err(unknown_annotation(name, self.aliases));
        }
        if let Some(&name) = self.missing.first() {
            return Err(Error::Decode {
                table: M::TABLE.to_owned(),
                column: name.to_owned(),
                source: sqlx::Error::ColumnNotFound(name.to_owned()),
            });
        }
        let s = &self.query.select;
        let mut w = SqlWriter::new(backend);
        write_select_list(&mut w, self.distinct, &self.columns, self.aliases, false)?;
        if total {
            super::page::push_total(&mut w, |w| self.write_count_all(w))?;
        }
        if self.over_subquery {
            // The rows the query keeps, under the table's own name so that the selected
            // `"table"."column"` references resolve against them.
            w.push(" FROM (");
            w.push(&model_sql::<M>(backend).select);
            w.select_tail(s)?;
            w.push(") ");
            w.ident(M::TABLE);
        } else {
            w.push(" FROM ");
            w.ident(M::TABLE);
            w.where_clause(&s.filter)?;
        }
        write_grouping(&mut w, &self.group_by, &self.having)?;
        if !self.over_subquery {
            w.order_by(&s.order)?;
            w.limit_offset(s.limit, s.offset)?;
        }
        write_lock(&mut w, s)?;
        Ok(w)
    }

    /// The number of result rows without the limit and offset: a `COUNT(*)` of the matching
    /// rows, or, with `distinct`, `group_by` or `having`, of the result rows in a derived table.
    fn write_count_all(&self, w: &mut SqlWriter) -> Result<()> {
        if !self.distinct && self.group_by.is_empty() && self.having.is_none() {
            return self.query.write_count_all(w);
        }
        w.push("SELECT COUNT(*) FROM (");
        write_select_list(w, self.distinct, &self.columns, self.aliases, true)?;
        w.push(" FROM ");
        w.ident(M::TABLE);
        w.where_clause(&self.query.select.filter)?;
        write_grouping(w, &self.group_by, &self.having)?;
        w.push(") ");
        w.ident("orm_page");
        Ok(())
    }

    /// The SQL this query's `all` would run on `backend`, for logs and tests.
    pub fn to_sql(&self, backend: Backend) -> Result<String> {
        Ok(self.render(backend)?.sql)
    }

    /// Every result row.
    pub async fn all<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<Vec<R>> {
        let exec = exec.into().0;
        let (sql, args) = self.render(exec.backend())?.finish();
        driver::fetch_all(exec, sql, args, self.decode).await
    }

    /// The first result row, if any.
    pub async fn first<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<Option<R>> {
        let exec = exec.into().0;
        let mut q = self.clone();
        if !q.over_subquery {
            q.query.select.limit = Some(1);
        }
        let (sql, args) = q.render(exec.backend())?.finish();
        driver::fetch_optional(exec, sql, args, self.decode).await
    }

    /// The result rows of the query's page (its `limit` and `offset`) and the number of result
    /// rows without them, in one statement (see [`Query::fetch_page`]); with `distinct`,
    /// `group_by` or `having` the total counts result rows (groups), not the matching ones.
    pub async fn fetch_page<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<super::page::Page<R>> {
        let exec = exec.into().0;
        let backend = exec.backend();
        let w = self.render_with(backend, true)?;
        let s = &self.query.select;
        super::page::fetch(exec, w, self.columns.len(), (s.limit, s.offset), self.decode, || {
            let mut w = SqlWriter::new(backend);
            self.write_count_all(&mut w)?;
            Ok(w)
        })
        .await
    }

    /// The result rows as a stream, read from the database as they are consumed; see
    /// [`Query::stream`].
    pub fn stream<'e>(&self, exec: impl Into<Executor<'e>>) -> RowStream<'e, R>
    where
        R: 'e,
    {
        let exec = exec.into().0;
        match self.render(exec.backend()) {
            Ok(w) => {
                let (sql, args) = w.finish();
                RowStream::new(driver::fetch_stream(exec, sql, args, self.decode))
            }
            Err(e) => RowStream::failed(e),
        }
    }
}
