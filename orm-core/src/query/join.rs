//! Typed joins along declared relations: `InvoiceLine::query().join(InvoiceLine::TRACK)`, left
//! joins whose columns decode into `Option`, the same table twice under an alias, and selections,
//! filters, grouping and ordering over the columns of every joined table.
//!
//! The tables of a joined query are a type-level list `L` (`(Track, (InvoiceLine, ()))`, the
//! latest join first; a left-joined table is wrapped in [`Nullable`]). A column, condition or
//! ordering of a table is accepted when [`HasTable`] finds that table in the list, so a column of
//! a table the query does not read is a compile error, as is a join along a relation that starts
//! at no table of the query.

use super::ast::{BinOp, Expr as Node};
use super::builder::Query;
use super::column::{Column, Cond, Order};
use super::expr::Expr;
use super::render::SqlWriter;
use super::select::ExprList;
use super::stream::RowStream;
use crate::backend::{Backend, RowRef, driver};
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::model::{ColumnDef, Model, model_sql};
use crate::relation::ForeignKey;
use crate::row::{Projection, Row};
use crate::value::SqlType;
use std::fmt;
use std::marker::PhantomData;

// --- tables and aliases ----------------------------------------------------------------------

/// A table a query reads: a model's own table (every [`Model`] is one, named by its table) or an
/// alias of a model's table, so that one table can be joined twice (an employee and their
/// manager). Declare an alias with [`alias!`](crate::alias) (or implement this trait for a unit
/// struct); its columns are [`Table::col`] of the model's columns:
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model)] struct Employee { #[orm(primary_key)] id: i64, name: String,
/// #     #[orm(belongs_to = Employee)] reports_to: Option<i64> }
/// orm_core::alias!(
///     /// The manager of an employee: the employee table again.
///     Manager = Employee
/// );
/// let q = Employee::query()
///     .left_join(Employee::REPORTS_TO_REL.parent_as(Manager))
///     .select((Employee::NAME, Manager::col(Employee::NAME)));
/// ```
pub trait Table: Send + Sync + 'static {
    /// The model whose table this is.
    type Model: Model;
    /// The name the query uses for the table: the table's own name, or the alias.
    const NAME: &'static str;

    /// The column `column` of the model, read from this table (for an alias: from the aliased
    /// copy of the table): `Manager::col(Employee::NAME)`.
    fn col<T>(column: Column<Self::Model, T>) -> Column<Self, T>
    where
        Self: Sized,
    {
        Column::new(column.name())
    }
}

impl<M: Model> Table for M {
    type Model = M;
    const NAME: &'static str = M::TABLE;
}

/// Declares an alias of a model's table for self-joins and double joins: `alias!(Manager =
/// Employee)` makes a unit struct `Manager` implementing [`Table`], named `"Manager"` in the SQL
/// (`LEFT JOIN "employee" AS "Manager" ON ...`). Attributes (doc comments) and a visibility may
/// come first: `alias!(/** doc */ pub Manager = Employee)`. See [`Table`].
#[macro_export]
macro_rules! alias {
    ($(#[$meta:meta])* $vis:vis $name:ident = $model:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        $vis struct $name;
        impl $crate::Table for $name {
            type Model = $model;
            const NAME: &'static str = ::core::stringify!($name);
        }
    };
}

// --- the type-level list of a query's tables -----------------------------------------------------

/// A left-joined table in a query's table list: its columns may be NULL (no matching row).
pub struct Nullable<T>(PhantomData<fn() -> T>);

/// [`HasTable`] index: the first table of the list.
pub struct Here;
/// [`HasTable`] index: the first table of the list, left-joined.
pub struct HereNullable;
/// [`HasTable`] index: a table further down the list.
pub struct There<I>(PhantomData<fn() -> I>);

/// Whether a table is always there in a result row ([`Present`]) or may be missing
/// ([`MaybeMissing`], left-joined), and so the type its columns decode into.
pub trait Presence {
    /// The type a column of type `T` of the table decodes into.
    type Out<T: IntoNullable>: SqlType;
}

/// An inner-joined (or the queried) table: a column of type `T` decodes into `T`.
pub struct Present;
impl Presence for Present {
    type Out<T: IntoNullable> = T;
}

/// A left-joined table: a column of type `T` decodes into [`IntoNullable::Nullable`] (`Option<T>`,
/// or `T` when it is an `Option` already).
pub struct MaybeMissing;
impl Presence for MaybeMissing {
    type Out<T: IntoNullable> = T::Nullable;
}

/// A list of tables `Self` that holds table `S`, at the position `I` (inferred; never written).
#[diagnostic::on_unimplemented(
    message = "the table `{S}` is not part of this query",
    label = "a column, condition or ordering of a table the query does not read",
    note = "join it first: `.join(Child::PARENT)` or `.left_join(...)` along a `belongs_to` relation"
)]
pub trait HasTable<S, I> {
    /// Whether the table may be missing from a row (left-joined).
    type Presence: Presence;
}
impl<S, R> HasTable<S, Here> for (S, R) {
    type Presence = Present;
}
impl<S, R> HasTable<S, HereNullable> for (Nullable<S>, R) {
    type Presence = MaybeMissing;
}
impl<S, H, R: HasTable<S, I>, I> HasTable<S, There<I>> for (H, R) {
    type Presence = R::Presence;
}

/// A column type and the type it decodes into from a left-joined table: `Option<T>` for a `T`,
/// the same `Option<T>` for an `Option<T>`. Implemented for the built-in types and by
/// `#[derive(SqlType)]`; a type implementing [`SqlType`] by hand adds
/// `impl IntoNullable for MyType { type Nullable = Option<MyType>; }` to be selected in joins.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be selected from a joined table",
    note = "add `impl orm_core::IntoNullable for {Self} {{ type Nullable = Option<{Self}>; }}`"
)]
pub trait IntoNullable: SqlType {
    /// The type of the column read from a left-joined table.
    type Nullable: SqlType;
}
impl<T: SqlType> IntoNullable for Option<T> {
    type Nullable = Option<T>;
}
macro_rules! into_nullable {
    ($($t:ty),* $(,)?) => {$(
        impl IntoNullable for $t { type Nullable = Option<$t>; }
    )*};
}
into_nullable!(i8, i16, i32, i64, f32, f64, bool, String, Vec<u8>);
#[cfg(feature = "chrono")]
into_nullable!(chrono::NaiveDate, chrono::NaiveTime, chrono::NaiveDateTime, chrono::DateTime<chrono::Utc>);
#[cfg(feature = "uuid")]
into_nullable!(uuid::Uuid);
#[cfg(feature = "decimal")]
into_nullable!(rust_decimal::Decimal);
#[cfg(feature = "json")]
into_nullable!(serde_json::Value);
#[cfg(feature = "json")]
impl<T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync> IntoNullable for crate::Json<T> {
    type Nullable = Option<crate::Json<T>>;
}

// --- what can be joined --------------------------------------------------------------------------

/// [`JoinTarget`] index: a join from the child to its parent along a [`ForeignKey`].
pub struct ToParent<I>(PhantomData<fn() -> I>);
/// [`JoinTarget`] index: a join from the parent to its children along a [`ForeignKey`].
pub struct ToChildren<I>(PhantomData<fn() -> I>);
/// [`JoinTarget`] index: a [`JoinOn`].
pub struct Explicit<I>(PhantomData<fn() -> I>);

/// What [`Query::join`] and [`Query::left_join`] accept for a query over the tables `L`: a
/// [`ForeignKey`] constant one of whose ends is in the query (the other end is joined: the parent
/// of `Track::ALBUM` from a query over tracks, the tracks from a query over albums), or a
/// [`JoinOn`] made by [`ForeignKey::parent_as`] / [`ForeignKey::children_as`] to join under an
/// alias. `I` is inferred.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not start at a table of this query",
    label = "neither end of this relation is a table the query reads",
    note = "a join follows a `belongs_to` relation from a table already in the query; a model \
            that refers to itself needs an alias: `.join(Model::FIELD_REL.parent_as(Alias))`"
)]
pub trait JoinTarget<L, I> {
    /// The table the join adds.
    type Joined: Table;
    /// `(name of the table in the query, its column, column of the joined table)`.
    #[doc(hidden)]
    fn __on(&self) -> (&'static str, &'static str, &'static str);
}

fn pk<M: Model>() -> &'static str {
    M::COLUMNS[M::PRIMARY_KEY].name
}

impl<L, C: Model, P: Model, T, I> JoinTarget<L, ToParent<I>> for ForeignKey<C, P, T>
where
    L: HasTable<C, I>,
{
    type Joined = P;
    fn __on(&self) -> (&'static str, &'static str, &'static str) {
        (C::TABLE, self.column().name(), pk::<P>())
    }
}

impl<L, C: Model, P: Model, T, I> JoinTarget<L, ToChildren<I>> for ForeignKey<C, P, T>
where
    L: HasTable<P, I>,
{
    type Joined = C;
    fn __on(&self) -> (&'static str, &'static str, &'static str) {
        (P::TABLE, pk::<P>(), self.column().name())
    }
}

/// A join from table `F` (in the query) to table `J` (an alias, usually) along a foreign key:
/// made by [`ForeignKey::parent_as`] and [`ForeignKey::children_as`], moved to start from an alias
/// with [`JoinOn::from`].
pub struct JoinOn<F, J> {
    from_column: &'static str,
    to_column: &'static str,
    _marker: PhantomData<fn() -> (F, J)>,
}

impl<F, J> Clone for JoinOn<F, J> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<F, J> Copy for JoinOn<F, J> {}

impl<F: Table, J: Table> fmt::Debug for JoinOn<F, J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JoinOn({}.{} = {}.{})", F::NAME, self.from_column, J::NAME, self.to_column)
    }
}

impl<F: Table, J: Table> JoinOn<F, J> {
    /// The same join, starting from the alias `A` of the same model instead (a chain through
    /// one table: the manager's manager,
    /// `.join(Employee::REPORTS_TO_REL.parent_as(Grand).from(Manager))`).
    pub fn from<A: Table<Model = F::Model>>(self, _alias: A) -> JoinOn<A, J> {
        JoinOn { from_column: self.from_column, to_column: self.to_column, _marker: PhantomData }
    }
}

impl<L, F: Table, J: Table, I> JoinTarget<L, Explicit<I>> for JoinOn<F, J>
where
    L: HasTable<F, I>,
{
    type Joined = J;
    fn __on(&self) -> (&'static str, &'static str, &'static str) {
        (F::NAME, self.from_column, self.to_column)
    }
}

impl<C: Model, P: Model, T> ForeignKey<C, P, T> {
    /// Joins the parent under the alias `A` (a [`Table`] of model `P`, from [`alias!`](crate::alias)):
    /// `.left_join(Employee::REPORTS_TO_REL.parent_as(Manager))`.
    pub fn parent_as<A: Table<Model = P>>(self, _alias: A) -> JoinOn<C, A> {
        JoinOn { from_column: self.column().name(), to_column: pk::<P>(), _marker: PhantomData }
    }

    /// Joins the children under the alias `A` (a [`Table`] of model `C`):
    /// `.left_join(Employee::REPORTS_TO_REL.children_as(Report))`.
    pub fn children_as<A: Table<Model = C>>(self, _alias: A) -> JoinOn<P, A> {
        JoinOn { from_column: pk::<P>(), to_column: self.column().name(), _marker: PhantomData }
    }
}

// --- the joined query ----------------------------------------------------------------------------

/// One `JOIN` clause.
#[derive(Debug, Clone)]
struct JoinClause {
    left: bool,
    table: &'static str,
    alias: &'static str,
    columns: &'static [ColumnDef],
    on: Node,
}

/// A query over model `M`'s rows joined with other tables (the type-level list `L`, see the
/// module docs); made by [`Query::join`] or [`Query::left_join`]. Filter and order by columns of
/// any of its tables, then [`select`](JoinQuery::select) what to read (or read the `M` rows that
/// have a match with [`all`](JoinQuery::all)).
///
/// Soft-deleted rows of a joined model with `#[orm(soft_delete)]` never match (the condition is
/// in the join's `ON`, so a left join gives NULLs instead); the queried model's rows follow its
/// query's `with_deleted`/`only_deleted`.
pub struct JoinQuery<M, L> {
    query: Query<M>,
    joins: Vec<JoinClause>,
    /// A table name used twice (reported when run).
    duplicate: Option<&'static str>,
    _marker: PhantomData<fn() -> L>,
}

impl<M, L> Clone for JoinQuery<M, L> {
    fn clone(&self) -> Self {
        JoinQuery {
            query: self.query.clone(),
            joins: self.joins.clone(),
            duplicate: self.duplicate,
            _marker: PhantomData,
        }
    }
}

impl<M, L> fmt::Debug for JoinQuery<M, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinQuery").field("query", &self.query).field("joins", &self.joins).finish()
    }
}

fn join_clause<J: JoinTarget<L, I>, L, I>(target: &J, left: bool) -> JoinClause {
    let (from, from_column, to_column) = target.__on();
    let name = J::Joined::NAME;
    let mut on = Node::Binary {
        op: BinOp::Eq,
        left: Box::new(Node::Column { table: name, column: to_column }),
        right: Box::new(Node::Column { table: from, column: from_column }),
    };
    type Jm<J, L, I> = <<J as JoinTarget<L, I>>::Joined as Table>::Model;
    if let Some(i) = Jm::<J, L, I>::SOFT_DELETE_COLUMN {
        let column = Jm::<J, L, I>::COLUMNS[i].name;
        on = on.and(Node::IsNull { expr: Box::new(Node::Column { table: name, column }), negated: false });
    }
    JoinClause { left, table: Jm::<J, L, I>::TABLE, alias: name, columns: Jm::<J, L, I>::COLUMNS, on }
}

impl<M: Model> Query<M> {
    /// Joins another table along a `belongs_to` relation (`INNER JOIN`): keeps the rows that
    /// have a match, and makes the joined table's columns available to `filter`, `order_by`,
    /// `select`, `group_by` and `having`:
    ///
    /// ```
    /// # use orm_core::prelude::*;
    /// # #[derive(Model)] struct Album { #[orm(primary_key)] id: i64, title: String }
    /// # #[derive(Model)] struct Track { #[orm(primary_key)] id: i64, name: String,
    /// #     #[orm(belongs_to = Album)] album_id: i64 }
    /// let q = Track::query().join(Track::ALBUM).select((Track::NAME, Album::TITLE));
    /// let per_album = Album::query().join(Track::ALBUM).select((Album::TITLE, count::<Track>()));
    /// ```
    ///
    /// A relation constant joins the parent from a query over the children and the children
    /// from a query over the parents; [`ForeignKey::parent_as`] and [`ForeignKey::children_as`]
    /// join under an alias.
    pub fn join<J: JoinTarget<(M, ()), I>, I>(self, target: J) -> JoinQuery<M, (J::Joined, (M, ()))> {
        JoinQuery::<M, (M, ())> { query: self, joins: Vec::new(), duplicate: None, _marker: PhantomData }
            .push(&target, false)
    }

    /// Joins another table along a relation as a `LEFT JOIN`: rows without a match are kept,
    /// with NULL in the joined table's columns, so those decode into `Option`.
    #[allow(clippy::type_complexity)]
    pub fn left_join<J: JoinTarget<(M, ()), I>, I>(self, target: J) -> JoinQuery<M, (Nullable<J::Joined>, (M, ()))> {
        JoinQuery::<M, (M, ())> { query: self, joins: Vec::new(), duplicate: None, _marker: PhantomData }
            .push(&target, true)
    }
}

impl<M: Model, L> JoinQuery<M, L> {
    fn push<J: JoinTarget<L, I>, I, L2>(mut self, target: &J, left: bool) -> JoinQuery<M, L2> {
        let clause = join_clause(target, left);
        if clause.alias == M::TABLE || self.joins.iter().any(|j| j.alias == clause.alias) {
            self.duplicate.get_or_insert(clause.alias);
        }
        self.joins.push(clause);
        JoinQuery { query: self.query, joins: self.joins, duplicate: self.duplicate, _marker: PhantomData }
    }

    /// Joins one more table (`INNER JOIN`); see [`Query::join`].
    pub fn join<J: JoinTarget<L, I>, I>(self, target: J) -> JoinQuery<M, (J::Joined, L)> {
        self.push(&target, false)
    }

    /// Joins one more table as a `LEFT JOIN`; see [`Query::left_join`].
    pub fn left_join<J: JoinTarget<L, I>, I>(self, target: J) -> JoinQuery<M, (Nullable<J::Joined>, L)> {
        self.push(&target, true)
    }

    /// Keeps the rows matching `cond`, a condition on any table of the query; several filters
    /// chain with AND.
    pub fn filter<S, I>(mut self, cond: Cond<S>) -> Self
    where
        L: HasTable<S, I>,
    {
        self.query = self.query.filter(Cond::new(cond.expr));
        self
    }

    /// Keeps the rows matching any of the conditions of the tuple `conds`, each on any table of
    /// the query (`OR` across tables, which `Cond::or` cannot build since a [`Cond`] is of one
    /// table): `.filter_any((Track::NAME.eq("x"), Album::TITLE.eq("y")))`.
    pub fn filter_any<C: AnyOf<L, I>, I>(mut self, conds: C) -> Self {
        let mut list = ExprList::default();
        conds.__exprs(&mut list);
        self.query = self.query.filter(Cond::new(Node::Or(list.0)));
        self
    }

    /// Orders by a column or expression of any table of the query, after any earlier order.
    pub fn order_by<S, I>(mut self, order: Order<S>) -> Self
    where
        L: HasTable<S, I>,
    {
        self.query.select.order.push(order.term);
        self
    }

    /// Returns at most `n` rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.query = self.query.limit(n);
        self
    }

    /// Skips the first `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.query = self.query.offset(n);
        self
    }

    /// Selects columns or expressions of any of the joined tables (a tuple of up to 12, nested
    /// tuples too); each result row is read as the selection's `Output`. A column of a
    /// left-joined table decodes into `Option` ([`IntoNullable`]).
    pub fn select<S: JoinSelection<L, I>, I>(self, selection: S) -> JoinSelect<M, L, S::Output> {
        let mut columns = ExprList::default();
        selection.__collect(&mut columns);
        JoinSelect::new(self, columns.0, None, Vec::new(), decode_join_selection::<L, I, S>)
    }

    /// Selects the columns a [`Projection`] struct (`#[derive(FromRow)]`) names, each from the
    /// table of the query that has a column of that name (the queried model first, then the
    /// joined tables in order), and reads each row into it by name. A name that no table has,
    /// or that two tables have, is an [`Error::Decode`] when the query runs, unless
    /// [`JoinSelect::annotate`] computes it (or select a tuple instead).
    pub fn select_as<P: Projection>(self) -> JoinSelect<M, L, P> {
        let mut problems = Vec::new();
        let mut columns = Vec::with_capacity(P::COLUMNS.len());
        for &name in P::COLUMNS {
            let tables = std::iter::once((M::TABLE, M::COLUMNS)).chain(self.joins.iter().map(|j| (j.alias, j.columns)));
            let mut found = tables.filter(|(_, cols)| cols.iter().any(|c| c.name == name)).map(|(t, _)| t);
            match (found.next(), found.next()) {
                (Some(table), None) => columns.push(Node::Column { table, column: name }),
                (first, second) => {
                    problems.push((name, first.zip(second)));
                    columns.push(Node::Column { table: M::TABLE, column: name });
                }
            }
        }
        JoinSelect::new(self, columns, Some(P::COLUMNS), problems, |r| P::from_row(&Row::new(r)))
    }

    fn check(&self) -> Result<()> {
        match self.duplicate {
            Some(name) => Err(Error::Unsupported(format!(
                "the table `{name}` is joined twice under the same name; join it under an alias \
                 (orm_core::alias!, ForeignKey::parent_as)"
            ))),
            None => Ok(()),
        }
    }

    /// ` FROM "m" JOIN "t" [AS "a"] ON ... `
    fn write_from(&self, w: &mut SqlWriter) -> Result<()> {
        w.push(" FROM ");
        w.ident(M::TABLE);
        self.write_joins(w)
    }

    fn write_joins(&self, w: &mut SqlWriter) -> Result<()> {
        for j in &self.joins {
            w.push(if j.left { " LEFT JOIN " } else { " INNER JOIN " });
            w.ident(j.table);
            if j.alias != j.table {
                w.push(" AS ");
                w.ident(j.alias);
            }
            w.push(" ON ");
            w.expr(&j.on)?;
        }
        Ok(())
    }

    fn render_rows(&self, backend: Backend) -> Result<SqlWriter> {
        self.check()?;
        let mut w = SqlWriter::with_prefix(backend, &model_sql::<M>(backend).select);
        self.write_joins(&mut w)?;
        w.select_tail(&self.query.select)?;
        Ok(w)
    }

    /// The SQL [`all`](JoinQuery::all) would run on `backend`, for logs and tests.
    pub fn to_sql(&self, backend: Backend) -> Result<String> {
        Ok(self.render_rows(backend)?.sql)
    }

    /// The `M` rows that have a match (once per match: an album joined with its tracks comes
    /// once per track; [`select`](JoinQuery::select) with `distinct` for other shapes).
    pub async fn all<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<Vec<M>> {
        let exec = exec.into().0;
        let (sql, args) = self.render_rows(exec.backend())?.finish();
        driver::fetch_all(exec, sql, args, |r| M::__from_row(r)).await
    }

    /// The first `M` row that has a match, if any.
    pub async fn first<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<Option<M>> {
        let exec = exec.into().0;
        let mut q = self.clone();
        q.query.select.limit = Some(1);
        let (sql, args) = q.render_rows(exec.backend())?.finish();
        driver::fetch_optional(exec, sql, args, |r| M::__from_row(r)).await
    }

    /// The `M` rows of the query's page (its `limit` and `offset`) and the number of joined
    /// rows without them, in one statement (see [`Query::fetch_page`]).
    pub async fn fetch_page<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<super::page::Page<M>> {
        self.check()?;
        let limits = (self.query.select.limit, self.query.select.offset);
        super::page::fetch_models(
            exec.into().0,
            limits,
            |w| self.write_count_all(w),
            |w| {
                self.write_joins(w)?;
                w.select_tail(&self.query.select)
            },
        )
        .await
    }

    /// `SELECT COUNT(*) FROM .. JOIN .. WHERE ..`: every joined row, whatever the limit and offset.
    fn write_count_all(&self, w: &mut SqlWriter) -> Result<()> {
        w.push("SELECT COUNT(*)");
        self.write_from(w)?;
        w.where_clause(&self.query.select.filter)
    }

    /// The number of joined rows (within `limit`/`offset` when set).
    pub async fn count<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<u64> {
        self.check()?;
        let exec = exec.into().0;
        let mut w = SqlWriter::new(exec.backend());
        let s = &self.query.select;
        if s.limit.is_some() || s.offset.is_some() {
            w.push("SELECT COUNT(*) FROM (SELECT 1 AS ");
            w.ident("one");
            self.write_from(&mut w)?;
            w.select_tail(s)?;
            w.push(") ");
            w.ident("sub");
        } else {
            self.write_count_all(&mut w)?;
        }
        let (sql, args) = w.finish();
        let n = driver::fetch_optional(exec, sql, args, |r| i64::decode(r, 0)).await?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }
}

/// A tuple of 2 to 6 conditions, each on a table of the query over the tables `L`, for
/// [`JoinQuery::filter_any`]. `I` is inferred.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tuple of conditions on tables of this query",
    label = "expected a tuple of 2 to 6 conditions (`Cond`), each on a table the query reads"
)]
pub trait AnyOf<L, I> {
    /// Appends the conditions' expressions.
    #[doc(hidden)]
    fn __exprs(self, out: &mut ExprList);
}

macro_rules! any_of {
    ($($name:ident $idx:ident),+) => {
        impl<Lo, $($name, $idx),+> AnyOf<Lo, ($($idx,)+)> for ($(Cond<$name>,)+)
        where
            $(Lo: HasTable<$name, $idx>,)+
        {
            #[allow(non_snake_case)]
            fn __exprs(self, out: &mut ExprList) {
                let ($($name,)+) = self;
                $(out.0.push($name.expr);)+
            }
        }
    };
}
any_of!(A IA, B IB);
any_of!(A IA, B IB, C IC);
any_of!(A IA, B IB, C IC, D ID);
any_of!(A IA, B IB, C IC, D ID, E IE);
any_of!(A IA, B IB, C IC, D ID, E IE, F IF);

// --- selections over joined tables -----------------------------------------------------------------

/// What [`JoinQuery::select`] and [`JoinSelect::group_by`] accept over the tables `L`: a column or
/// expression of any of them, or a tuple of up to 12 of those (tuples nest). `I` is inferred.
///
/// A column of a left-joined table reads as `Option`; an expression keeps its type (aggregates
/// are what one selects from a left-joined table: `COUNT` counts 0 for no match, `SUM`, `MIN`,
/// ... are `Option` already).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be selected from this joined query",
    label = "expected a column or expression of a table of the query, or a tuple of them"
)]
pub trait JoinSelection<L, I>: Sized {
    /// One result row.
    type Output: Send;
    /// Appends the selected expressions.
    #[doc(hidden)]
    fn __collect(self, out: &mut ExprList);
    /// Decodes one result row from column `*idx` on, advancing `idx`.
    #[doc(hidden)]
    fn __decode(row: &RowRef<'_>, idx: &mut usize) -> Result<Self::Output>;
}

impl<L, S: Table, T: IntoNullable, I> JoinSelection<L, I> for Column<S, T>
where
    L: HasTable<S, I>,
{
    type Output = <L::Presence as Presence>::Out<T>;
    fn __collect(self, out: &mut ExprList) {
        out.0.push(self.expr());
    }
    fn __decode(row: &RowRef<'_>, idx: &mut usize) -> Result<Self::Output> {
        let v = <Self::Output as SqlType>::decode(row, *idx).map_err(|e| e.for_table(<S::Model as Model>::TABLE))?;
        *idx += 1;
        Ok(v)
    }
}

impl<L, S: Table, T: SqlType, I> JoinSelection<L, I> for Expr<S, T>
where
    L: HasTable<S, I>,
{
    type Output = T;
    fn __collect(self, out: &mut ExprList) {
        out.0.push(self.node);
    }
    fn __decode(row: &RowRef<'_>, idx: &mut usize) -> Result<T> {
        let v = T::decode(row, *idx).map_err(|e| e.for_table(<S::Model as Model>::TABLE))?;
        *idx += 1;
        Ok(v)
    }
}

macro_rules! tuple_join_selection {
    ($($name:ident $idx:ident),+) => {
        impl<Lo, $($name: JoinSelection<Lo, $idx>, $idx),+> JoinSelection<Lo, ($($idx,)+)> for ($($name,)+) {
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
tuple_join_selection!(A IA);
tuple_join_selection!(A IA, B IB);
tuple_join_selection!(A IA, B IB, C IC);
tuple_join_selection!(A IA, B IB, C IC, D ID);
tuple_join_selection!(A IA, B IB, C IC, D ID, E IE);
tuple_join_selection!(A IA, B IB, C IC, D ID, E IE, F IF);
tuple_join_selection!(A IA, B IB, C IC, D ID, E IE, F IF, G IG);
tuple_join_selection!(A IA, B IB, C IC, D ID, E IE, F IF, G IG, H IH);
tuple_join_selection!(A IA, B IB, C IC, D ID, E IE, F IF, G IG, H IH, J IJ);
tuple_join_selection!(A IA, B IB, C IC, D ID, E IE, F IF, G IG, H IH, J IJ, K IK);
tuple_join_selection!(A IA, B IB, C IC, D ID, E IE, F IF, G IG, H IH, J IJ, K IK, N IN);
tuple_join_selection!(A IA, B IB, C IC, D ID, E IE, F IF, G IG, H IH, J IJ, K IK, N IN, O IO);

fn decode_join_selection<L, I, S: JoinSelection<L, I>>(row: &RowRef<'_>) -> Result<S::Output> {
    let mut idx = 0;
    S::__decode(row, &mut idx)
}

/// A joined query returning some columns or expressions, each row read as `R`; made by
/// [`JoinQuery::select`] or [`JoinQuery::select_as`]. Adds `distinct`, `group_by` and `having` to
/// the joined query's filters, order, limit and offset.
pub struct JoinSelect<M, L, R> {
    query: JoinQuery<M, L>,
    columns: Vec<Node>,
    aliases: Option<&'static [&'static str]>,
    /// The projection's columns that no table has, or two tables have, and no annotation
    /// computes (reported when run).
    problems: Vec<(&'static str, Option<(&'static str, &'static str)>)>,
    /// An annotation naming no field of the projection (reported when run).
    unknown_annotation: Option<&'static str>,
    distinct: bool,
    group_by: Vec<Node>,
    having: Option<Node>,
    decode: fn(&RowRef<'_>) -> Result<R>,
}

impl<M, L, R> Clone for JoinSelect<M, L, R> {
    fn clone(&self) -> Self {
        JoinSelect {
            query: self.query.clone(),
            columns: self.columns.clone(),
            aliases: self.aliases,
            problems: self.problems.clone(),
            unknown_annotation: self.unknown_annotation,
            distinct: self.distinct,
            group_by: self.group_by.clone(),
            having: self.having.clone(),
            decode: self.decode,
        }
    }
}

impl<M, L, R> fmt::Debug for JoinSelect<M, L, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSelect")
            .field("query", &self.query)
            .field("columns", &self.columns)
            .field("distinct", &self.distinct)
            .field("group_by", &self.group_by)
            .field("having", &self.having)
            .finish()
    }
}

impl<M: Model, L, R: Send> JoinSelect<M, L, R> {
    fn new(
        query: JoinQuery<M, L>,
        columns: Vec<Node>,
        aliases: Option<&'static [&'static str]>,
        problems: Vec<(&'static str, Option<(&'static str, &'static str)>)>,
        decode: fn(&RowRef<'_>) -> Result<R>,
    ) -> Self {
        JoinSelect {
            query,
            columns,
            aliases,
            problems,
            unknown_annotation: None,
            distinct: false,
            group_by: Vec::new(),
            having: None,
            decode,
        }
    }

    /// Computes the field `name` of a [`select_as`](JoinQuery::select_as) projection with
    /// `expr`, an expression over any table of the query, instead of reading a column of that
    /// name (see [`SelectQuery::annotate`](crate::SelectQuery::annotate)); it also settles a
    /// name that two tables have: `.annotate("id", Article::ID.to_expr())`.
    pub fn annotate<S, T: SqlType, I>(mut self, name: &'static str, expr: Expr<S, T>) -> Self
    where
        L: HasTable<S, I>,
    {
        match self.aliases.and_then(|a| a.iter().position(|n| *n == name)) {
            Some(i) => {
                self.columns[i] = expr.node;
                self.problems.retain(|(p, _)| *p != name);
            }
            None => {
                self.unknown_annotation.get_or_insert(name);
            }
        }
        self
    }

    /// Keeps the rows matching `cond` (before grouping), on any table of the query.
    pub fn filter<S, I>(mut self, cond: Cond<S>) -> Self
    where
        L: HasTable<S, I>,
    {
        self.query = self.query.filter(cond);
        self
    }

    /// Keeps the rows matching any of the conditions of the tuple `conds` (see
    /// [`JoinQuery::filter_any`]).
    pub fn filter_any<C: AnyOf<L, I>, I>(mut self, conds: C) -> Self {
        self.query = self.query.filter_any(conds);
        self
    }

    /// Returns each different result row once (`SELECT DISTINCT`).
    pub fn distinct(mut self) -> Self {
        self.distinct = true;
        self
    }

    /// Groups the rows by columns or expressions of any table of the query (`GROUP BY`).
    pub fn group_by<G: JoinSelection<L, I>, I>(mut self, keys: G) -> Self {
        let mut list = ExprList(std::mem::take(&mut self.group_by));
        keys.__collect(&mut list);
        self.group_by = list.0;
        self
    }

    /// Keeps the groups matching `cond` (`HAVING`); in a join an aggregate over all rows names
    /// its table: `.having(count::<Genre>().gt(10))`.
    pub fn having<S, I>(mut self, cond: Cond<S>) -> Self
    where
        L: HasTable<S, I>,
    {
        self.having = Some(match self.having.take() {
            None => cond.expr,
            Some(h) => h.and(cond.expr),
        });
        self
    }

    /// Orders the result rows by a column or expression (an aggregate too) of any table.
    pub fn order_by<S, I>(mut self, order: Order<S>) -> Self
    where
        L: HasTable<S, I>,
    {
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
    /// [`JoinSelect::fetch_page`]).
    fn render_with(&self, backend: Backend, total: bool) -> Result<SqlWriter> {
        self.query.check()?;
        if let Some(name) = self.unknown_annotation {
            return Err(super::select::unknown_annotation(name, self.aliases));
        }
        if let Some(&(name, clash)) = self.problems.first() {
            let why = match clash {
                Some((a, b)) => format!("both `{a}` and `{b}` have a column `{name}`; select a tuple instead"),
                None => format!("no table of the query has a column `{name}`"),
            };
            return Err(Error::Decode {
                table: M::TABLE.to_owned(),
                column: name.to_owned(),
                source: sqlx::Error::ColumnNotFound(why),
            });
        }
        let s = &self.query.query.select;
        let mut w = SqlWriter::new(backend);
        super::select::write_select_list(&mut w, self.distinct, &self.columns, self.aliases, false)?;
        if total {
            super::page::push_total(&mut w, |w| self.write_count_all(w))?;
        }
        self.write_grouped_rows(&mut w)?;
        w.order_by(&s.order)?;
        w.limit_offset(s.limit, s.offset)?;
        Ok(w)
    }

    /// ` FROM .. WHERE .. GROUP BY .. HAVING ..`
    fn write_grouped_rows(&self, w: &mut SqlWriter) -> Result<()> {
        self.query.write_from(w)?;
        w.where_clause(&self.query.query.select.filter)?;
        super::select::write_grouping(w, &self.group_by, &self.having)
    }

    /// The number of result rows without the limit and offset: a `COUNT(*)` of the joined rows,
    /// or, with `distinct`, `group_by` or `having`, of the result rows in a derived table.
    fn write_count_all(&self, w: &mut SqlWriter) -> Result<()> {
        if !self.distinct && self.group_by.is_empty() && self.having.is_none() {
            return self.query.write_count_all(w);
        }
        w.push("SELECT COUNT(*) FROM (");
        super::select::write_select_list(w, self.distinct, &self.columns, self.aliases, true)?;
        self.write_grouped_rows(w)?;
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
        q.query.query.select.limit = Some(1);
        let (sql, args) = q.render(exec.backend())?.finish();
        driver::fetch_optional(exec, sql, args, self.decode).await
    }

    /// The result rows of the query's page (its `limit` and `offset`) and the number of result
    /// rows without them, in one statement (see [`Query::fetch_page`]); with `distinct`,
    /// `group_by` or `having` the total counts the result rows, not the joined ones.
    pub async fn fetch_page<'e>(&self, exec: impl Into<Executor<'e>>) -> Result<super::page::Page<R>> {
        let exec = exec.into().0;
        let backend = exec.backend();
        let w = self.render_with(backend, true)?;
        let s = &self.query.query.select;
        super::page::fetch(exec, w, self.columns.len(), (s.limit, s.offset), self.decode, || {
            let mut w = SqlWriter::new(backend);
            self.write_count_all(&mut w)?;
            Ok(w)
        })
        .await
    }

    /// The result rows as a stream, read from the database as they are consumed (see
    /// [`Query::stream`]).
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

impl<M: Table, T: IntoNullable> Expr<M, T> {
    /// The same expression, read as possibly NULL ([`IntoNullable::Nullable`]: `Option<T>`): for
    /// a computation on a column of a left-joined table, which is NULL where the join found no
    /// row (`(Track::MILLISECONDS / 1000).nullable()`). A column of a left-joined table is
    /// `Option` by itself, and aggregates need no help (`COUNT` counts 0; `SUM`, `MIN`, ... are
    /// `Option` already).
    pub fn nullable(self) -> Expr<M, T::Nullable> {
        Expr::from_node(self.node)
    }
}
