//! Relations between models: foreign keys declared with `#[orm(belongs_to = Parent)]`, loading a
//! row's parent or children, eager loading of whole lists without N+1 queries, many-to-many
//! through a join model, and filters that follow a relation.
//!
//! Every load is an explicit, awaited call; nothing is fetched behind a field access. The guide is
//! `docs/relations.md` (its examples are compiled and run as doctests of this module).
//!
//! * [`ForeignKey`]: the relation of one `belongs_to` field, a constant the derive generates on the
//!   child (`Album::ARTIST` for a field `artist_id`). It loads parents, builds the children's
//!   [`Query`], and makes filters ([`ForeignKey::has`], [`ForeignKey::any`]).
//! * [`BelongsTo`]: implemented by the derive when a child has exactly one foreign key to a parent,
//!   so the relation can be named by the two types (`album.parent::<Artist>(&db)`).
//! * [`Related`] (methods on every model) and [`LoadRelated`] (eager loading on lists and on the
//!   nested results of earlier loads).
//! * [`Children`] and [`ManyToMany`]: the other relations [`LoadRelated::with`] loads.

use crate::backend::driver;
use crate::backend::{Exec, RowRef};
use crate::db::Executor;
use crate::error::{Error, Result};
use crate::model::{Model, key_columns, model_sql};
use crate::query::ast::{BinOp, Expr, OrderTerm};
use crate::query::render::SqlWriter;
use crate::query::{Column, Cond, Order, Query};
use crate::value::{SqlKind, SqlType, Value};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::marker::PhantomData;

/// The guide, so its examples are compiled and run by `cargo test --doc -p orm-core`.
#[cfg(doctest)]
#[doc = include_str!("../../docs/relations.md")]
struct RelationsGuide;

// --- keys and foreign-key fields ---------------------------------------------------------------

/// A primary-key type relations work with: one column of a type that can be hashed (integers,
/// text, bytes, UUIDs, ...), so rows can be grouped by it. Composite keys and float keys cannot
/// be the target of a foreign key.
pub trait RelationKey: SqlType + Clone + Eq + Hash + Send + Sync + 'static {}
impl<T: SqlType + Clone + Eq + Hash + Send + Sync + 'static> RelationKey for T {}

/// The type of a `belongs_to` field whose parent's key has type `K`: `K` itself (a required
/// parent) or `Option<K>` (an optional one).
#[diagnostic::on_unimplemented(
    message = "a `belongs_to` field of type `{Self}` cannot hold the parent's key of type `{K}`",
    label = "the parent's primary key has type `{K}`",
    note = "declare the field as `{K}` or `Option<{K}>` (a parent with a composite key cannot be a \
            `belongs_to` target)"
)]
pub trait ForeignKeyType<K>: SqlType {
    /// What loading the parent gives: the parent for a `K` field, `Option<Parent>` for an
    /// `Option<K>` field.
    type Parent<P: Send>: Send;
    /// The parent key the field holds, if any.
    fn parent_key(&self) -> Option<K>;
    /// The field value that refers to the parent with key `key`.
    fn from_parent_key(key: K) -> Self;
    /// Wraps the parent found (or not) for the key held.
    #[doc(hidden)]
    fn __parent<P: Send>(found: Option<P>, table: &'static str) -> Result<Self::Parent<P>>;
}

impl<K: SqlType + Clone> ForeignKeyType<K> for K {
    type Parent<P: Send> = P;
    fn parent_key(&self) -> Option<K> {
        Some(self.clone())
    }
    fn from_parent_key(key: K) -> K {
        key
    }
    fn __parent<P: Send>(found: Option<P>, table: &'static str) -> Result<P> {
        // Only possible where the database does not enforce the foreign key.
        found.ok_or_else(|| Error::NotFound { table: table.to_owned() })
    }
}

impl<K: SqlType + Clone> ForeignKeyType<K> for Option<K> {
    type Parent<P: Send> = Option<P>;
    fn parent_key(&self) -> Option<K> {
        self.clone()
    }
    fn from_parent_key(key: K) -> Option<K> {
        Some(key)
    }
    fn __parent<P: Send>(found: Option<P>, _table: &'static str) -> Result<Option<P>> {
        Ok(found)
    }
}

/// What loading the parent `P` of a `C` gives: `P`, or `Option<P>` when the foreign-key field
/// is an `Option`.
pub type ParentOf<C, P> = <<C as BelongsTo<P>>::Field as ForeignKeyType<<P as Model>::Key>>::Parent<P>;

// --- ForeignKey -----------------------------------------------------------------------------------

/// The relation of one `#[orm(belongs_to = P)]` field of the child model `C`, whose type is `T`.
///
/// The derive generates one as a constant on the child, named after the field without its `_id`
/// suffix (`Album::ARTIST` for `artist_id`), or the field's name followed by `_REL` when it has no
/// such suffix (`Employee::REPORTS_TO_REL` for `reports_to`) or when another field already has
/// the shorter name (`ARTIST_ID_REL` beside a field `artist`). These constants tell apart two
/// foreign keys to the same parent; when there is only one, [`BelongsTo`] names it by the types.
pub struct ForeignKey<C, P: Model, T> {
    column: &'static str,
    key: fn(&C) -> Option<P::Key>,
    set: fn(&mut C, P::Key),
    _marker: PhantomData<fn() -> T>,
}

impl<C, P: Model, T> Clone for ForeignKey<C, P, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C, P: Model, T> Copy for ForeignKey<C, P, T> {}

impl<C, P: Model, T> fmt::Debug for ForeignKey<C, P, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ForeignKey({} -> {})", self.column, P::TABLE)
    }
}

impl<C, P: Model, T> ForeignKey<C, P, T> {
    /// Used by the derive: the child's column, how to read the parent key from a child, and how
    /// to point a child at a parent.
    #[doc(hidden)]
    pub const fn __new(column: &'static str, key: fn(&C) -> Option<P::Key>, set: fn(&mut C, P::Key)) -> Self {
        ForeignKey { column, key, set, _marker: PhantomData }
    }

    /// The child's foreign-key column, to filter or order on.
    pub const fn column(self) -> Column<C, T> {
        Column::new(self.column)
    }

    /// The key of the parent `child` refers to (`None` for an empty optional key).
    pub fn parent_key(self, child: &C) -> Option<P::Key> {
        (self.key)(child)
    }

    /// Points `child` at `parent` (sets the foreign-key field to the parent's key); the parent
    /// must have a key, i.e. be saved.
    pub fn set_parent(self, child: &mut C, parent: &P) -> Result<()> {
        let key = saved_key(parent)?;
        (self.set)(child, key);
        Ok(())
    }
}

impl<C, P, T> ForeignKey<C, P, T>
where
    C: Model,
    P: Model,
    P::Key: RelationKey,
    T: ForeignKeyType<P::Key>,
{
    /// The children whose parent matches `cond` (SQLAlchemy's `has`), as an `EXISTS` subquery:
    /// `Track::ALBUM.has(Album::TITLE.eq("Let There Be Rock"))`. Relation filters nest:
    /// `Track::ALBUM.has(Album::ARTIST.has(Artist::NAME.eq("AC/DC")))`.
    ///
    /// A child without a parent (a NULL key) matches `!fk.has(cond)`, as it has no parent that
    /// matches.
    pub fn has(self, cond: Cond<P>) -> Cond<C> {
        Cond::new(exists_related(P::TABLE, pk_column::<P>(), C::TABLE, self.column, Some(cond.expr), soft::<P>()))
    }

    /// The parents that have at least one child along this key, as an `EXISTS` subquery:
    /// `Artist::query().filter(Album::ARTIST.any())` are the artists with an album.
    pub fn any(self) -> Cond<P> {
        Cond::new(exists_related(C::TABLE, self.column, P::TABLE, pk_column::<P>(), None, soft::<C>()))
    }

    /// The parents that have at least one child matching `cond`:
    /// `Album::ARTIST.any_where(Album::TITLE.like("%Live%"))`.
    pub fn any_where(self, cond: Cond<C>) -> Cond<P> {
        Cond::new(exists_related(C::TABLE, self.column, P::TABLE, pk_column::<P>(), Some(cond.expr), soft::<C>()))
    }

    /// The number of children of each parent row along this key, as a correlated subquery to
    /// select, filter or order by (Django's `annotate(Count(..))`):
    /// `Article::query().select((Article::TITLE, Favorite::ARTICLE.count()))` renders
    /// `(SELECT COUNT(*) FROM "favorites" AS "favorites_1" WHERE "favorites_1"."article_id" =
    /// "articles"."id")`. Soft-deleted children do not count. Works in joined queries too, where
    /// the parent's table is in the query under its own name.
    pub fn count(self) -> crate::query::Expr<P, i64> {
        crate::query::Expr::from_node(count_related(
            C::TABLE,
            self.column,
            P::TABLE,
            pk_column::<P>(),
            None,
            soft::<C>(),
        ))
    }

    /// The number of children of each parent row that match `cond`:
    /// `Album::ARTIST.count_where(Album::TITLE.like("%Live%"))`.
    pub fn count_where(self, cond: Cond<C>) -> crate::query::Expr<P, i64> {
        crate::query::Expr::from_node(count_related(
            C::TABLE,
            self.column,
            P::TABLE,
            pk_column::<P>(),
            Some(cond.expr),
            soft::<C>(),
        ))
    }

    /// The parents without any child along this key (`NOT EXISTS`); the same as `!fk.any()`.
    pub fn none(self) -> Cond<P> {
        self.any().not()
    }

    /// The children of `parent` as a query to filter, order, page and run. A parent without a
    /// key (0 or `None`: not saved yet) has no children.
    pub fn children_of(self, parent: &P) -> Query<C> {
        Query::new().filter(Cond::new(key_eq(C::TABLE, self.column, row_key(parent))))
    }

    /// The children of many parents, for [`LoadRelated::with`] or [`Children::load`]; filter and
    /// order them with [`Children::filter`] and [`Children::order_by`].
    pub fn children(self) -> Children<P, C> {
        Children { column: self.column, key: self.key, query: Query::new() }
    }

    /// Loads the parent of `child`: one query, or none when the optional key is empty.
    ///
    /// Returns `P` for a required key (or [`Error::NotFound`] if the row is missing, which only
    /// happens where the database does not enforce the foreign key) and `Option<P>` for an
    /// `Option` field.
    pub async fn parent_of<'e>(self, exec: impl Into<Executor<'e>>, child: &C) -> Result<T::Parent<P>> {
        let found = match (self.key)(child) {
            None => None,
            Some(key) => find_one::<P>(exec.into().0, key.to_value()).await?,
        };
        T::__parent(found, P::TABLE)
    }
}

/// Parents of many children in one query (chunked under the backend's parameter limit).
impl<C, P, T> Relation<C> for ForeignKey<C, P, T>
where
    C: Model,
    P: Model + Clone,
    P::Key: RelationKey,
    T: ForeignKeyType<P::Key>,
{
    type Output = T::Parent<P>;

    async fn __load<'a>(&'a self, exec: Executor<'a>, rows: Vec<&'a C>) -> Result<Vec<Self::Output>> {
        let keys: Vec<Option<P::Key>> = rows.iter().map(|c| (self.key)(c)).collect();
        let values = distinct_values(keys.iter().flatten());
        let mut found: KeyMap<P::Key, P> = KeyMap::default();
        if !values.is_empty() {
            let backend = exec.backend();
            let live = crate::query::soft_delete_cond::<P>(false);
            let spec = InQuery {
                head: model_sql::<P>(backend).select.clone(),
                column: Expr::Column { table: P::TABLE, column: pk_column::<P>() },
                filter: live.as_ref(),
                order: Vec::new(),
            };
            let parents = fetch_in(exec.0, &spec, values, |r| P::__from_row(r)).await?;
            found.extend(parents.into_iter().filter_map(|p| p.__key().map(|k| (k, p))));
        }
        keys.into_iter().map(|k| T::__parent(k.and_then(|k| found.get(&k).cloned()), P::TABLE)).collect()
    }
}

/// A child model with exactly one `#[orm(belongs_to = P)]` field; implemented by the derive, so
/// relations can be named by their two types (`artist.children::<Album>()`).
///
/// A model with several foreign keys to the same parent gets no `BelongsTo` for it: use the
/// [`ForeignKey`] constants of its fields instead.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no single `#[orm(belongs_to = {P})]` field",
    label = "no unambiguous relation from `{Self}` to `{P}`",
    note = "declare `#[orm(belongs_to = {P})]` on the foreign-key field; when there are several, name \
            one by its constant (e.g. `Child::FIELD.parent_of(...)`, `Child::FIELD.children()`)"
)]
pub trait BelongsTo<P: Model>: Model {
    /// The type of the foreign-key field.
    type Field: ForeignKeyType<P::Key>;
    /// The relation.
    const FOREIGN_KEY: ForeignKey<Self, P, Self::Field>;
}

// --- Children --------------------------------------------------------------------------------------

/// The children of each parent along a foreign key, with an optional filter and order; made by
/// [`ForeignKey::children`], loaded by [`LoadRelated::with`] or [`Children::load`].
pub struct Children<P: Model, C> {
    column: &'static str,
    key: fn(&C) -> Option<P::Key>,
    query: Query<C>,
}

impl<P: Model, C> Clone for Children<P, C> {
    fn clone(&self) -> Self {
        Children { column: self.column, key: self.key, query: self.query.clone() }
    }
}

impl<P: Model, C> fmt::Debug for Children<P, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Children").field("column", &self.column).field("query", &self.query).finish()
    }
}

impl<P: Model, C: Model> Children<P, C> {
    /// Loads only the children matching `cond`.
    pub fn filter(mut self, cond: Cond<C>) -> Self {
        self.query = self.query.filter(cond);
        self
    }

    /// Orders each parent's children (by the child's primary key when no order is given).
    pub fn order_by(mut self, order: Order<C>) -> Self {
        self.query = self.query.order_by(order);
        self
    }
}

/// Children of many parents in one query (chunked under the backend's parameter limit).
impl<P, C> Relation<P> for Children<P, C>
where
    P: Model,
    P::Key: RelationKey,
    C: Model + Clone,
{
    type Output = Vec<C>;

    async fn __load<'a>(&'a self, exec: Executor<'a>, rows: Vec<&'a P>) -> Result<Vec<Vec<C>>> {
        let mut groups = Groups::new(rows.iter().map(|p| row_key(*p)));
        if groups.is_empty() {
            return Ok(groups.into_rows());
        }
        // The default order (by the child's key) of an integer key is put in memory: an ORDER BY
        // costs PostgreSQL a sort of every child (0.36 ms instead of 0.17 ms for 1,000 children),
        // and rows usually arrive in key order already.
        let sort_here = self.query.select.order.is_empty() && integer_key::<C>();
        let backend = exec.backend();
        let spec = InQuery {
            head: model_sql::<C>(backend).select.clone(),
            column: Expr::Column { table: C::TABLE, column: self.column },
            filter: self.query.select.filter.as_ref(),
            order: if sort_here {
                Vec::new()
            } else {
                group_order::<C>(C::TABLE, self.column, &self.query.select.order)
            },
        };
        let decode = |r: &RowRef<'_>| {
            let child = C::__from_row(r)?;
            // The key from the decoded child (a model implemented by hand may not tell it).
            let id = match (sort_here, child.__int_key()) {
                (false, _) => 0,
                (true, Some(id)) => id,
                (true, None) => i64::decode(r, C::PRIMARY_KEY)?,
            };
            Ok((id, child))
        };
        let mut children = fetch_in(exec.0, &spec, groups.take_values(), decode).await?;
        // A model that tells its key (every derived one) is sorted parent by parent, after
        // grouping: small sorts of rows mostly in order already, instead of one sort that moves
        // every child (~300 instructions a child for 1,000 of them, the eager load's largest
        // cost after decoding). Any other is sorted as a whole, by the key decoded with it.
        let by_group = sort_here && children.first().is_some_and(|(_, c)| c.__int_key().is_some());
        if sort_here && !by_group && !children.is_sorted_by_key(|(id, _)| *id) {
            children.sort_unstable_by_key(|(id, _)| *id);
        }
        groups.push_all(children, |g, (_, child)| (self.key)(child).and_then(|k| g.slot(&k)), |(_, child)| child);
        if by_group {
            groups.sort_each_by_key(|c| c.__int_key());
        }
        Ok(groups.into_rows())
    }
}

// --- ManyToMany ------------------------------------------------------------------------------------

/// A many-to-many relation from `A` to `B` through the join model `J`, which has a foreign key to
/// each (playlists and tracks through `PlaylistTrack`).
///
/// Made from the join model's two [`ForeignKey`] constants, or implicitly by the
/// [`Related::through`] and [`LoadRelated::with_through`] shortcuts.
pub struct ManyToMany<J, A: Model, B: Model> {
    from: &'static str,
    to: &'static str,
    set_from: fn(&mut J, A::Key),
    set_to: fn(&mut J, B::Key),
    query: Query<B>,
}

impl<J, A: Model, B: Model> Clone for ManyToMany<J, A, B> {
    fn clone(&self) -> Self {
        ManyToMany {
            from: self.from,
            to: self.to,
            set_from: self.set_from,
            set_to: self.set_to,
            query: self.query.clone(),
        }
    }
}

impl<J: Model, A: Model, B: Model> fmt::Debug for ManyToMany<J, A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManyToMany({} -> {}({}, {}) -> {})", A::TABLE, J::TABLE, self.from, self.to, B::TABLE)
    }
}

impl<J, A, B> ManyToMany<J, A, B>
where
    J: Model,
    A: Model,
    A::Key: RelationKey,
    B: Model,
    B::Key: RelationKey,
{
    /// The relation from `A` to `B`: `from` is the join model's key to `A`, `to` its key to `B`.
    pub fn new<TA, TB>(from: ForeignKey<J, A, TA>, to: ForeignKey<J, B, TB>) -> Self {
        ManyToMany { from: from.column, to: to.column, set_from: from.set, set_to: to.set, query: Query::new() }
    }

    /// The same relation from `B` to `A`.
    pub fn reverse(self) -> ManyToMany<J, B, A> {
        ManyToMany { from: self.to, to: self.from, set_from: self.set_to, set_to: self.set_from, query: Query::new() }
    }

    /// Keeps only the `B` rows matching `cond` (for [`of`](Self::of) and eager loading).
    pub fn filter(mut self, cond: Cond<B>) -> Self {
        self.query = self.query.filter(cond);
        self
    }

    /// Orders the `B` rows of each `A` (by `B`'s primary key when no order is given).
    pub fn order_by(mut self, order: Order<B>) -> Self {
        self.query = self.query.order_by(order);
        self
    }

    /// The `B` rows linked to `a`, as a query to filter, order, page and run.
    pub fn of(&self, a: &A) -> Query<B> {
        let linked = key_eq(J::TABLE, self.from, row_key(a));
        let cond = exists_related(J::TABLE, self.to, B::TABLE, pk_column::<B>(), Some(linked), soft::<J>());
        self.query.clone().filter(Cond::new(cond))
    }

    /// The `A` rows linked to at least one `B` matching `cond` (`EXISTS` through the join table):
    /// the playlists that hold a track of a given album.
    pub fn any(&self, cond: Cond<B>) -> Cond<A> {
        let target = exists_related(B::TABLE, pk_column::<B>(), J::TABLE, self.to, Some(cond.expr), soft::<B>());
        Cond::new(exists_related(J::TABLE, self.from, A::TABLE, pk_column::<A>(), Some(target), soft::<J>()))
    }

    /// Links `a` and `b`: inserts the join row (built from `J::default()` with its two keys set).
    /// A link that exists already is an [`Error::UniqueViolation`] when the join model's key is
    /// made of its two foreign keys.
    pub async fn link<'e>(&self, exec: impl Into<Executor<'e>>, a: &A, b: &B) -> Result<()>
    where
        J: Default,
    {
        let mut row = J::default();
        (self.set_from)(&mut row, saved_key(a)?);
        (self.set_to)(&mut row, saved_key(b)?);
        row.insert(exec).await
    }

    /// Unlinks `a` and `b` (deletes their join rows); returns whether there was a link.
    pub async fn unlink<'e>(&self, exec: impl Into<Executor<'e>>, a: &A, b: &B) -> Result<bool> {
        let cond = key_eq(J::TABLE, self.from, Some(saved_key(a)?)).and(key_eq(J::TABLE, self.to, Some(saved_key(b)?)));
        Ok(J::query().filter(Cond::new(cond)).delete(exec).await? > 0)
    }

    /// Unlinks `a` from every `B`; returns how many links were deleted.
    pub async fn clear<'e>(&self, exec: impl Into<Executor<'e>>, a: &A) -> Result<u64> {
        J::query().filter(Cond::new(key_eq(J::TABLE, self.from, Some(saved_key(a)?)))).delete(exec).await
    }
}

/// The `B` rows of many `A` rows in one query joining the join table (chunked under the
/// backend's parameter limit).
impl<J, A, B> Relation<A> for ManyToMany<J, A, B>
where
    J: Model,
    A: Model,
    A::Key: RelationKey,
    B: Model + Clone,
    B::Key: RelationKey,
{
    type Output = Vec<B>;

    async fn __load<'a>(&'a self, exec: Executor<'a>, rows: Vec<&'a A>) -> Result<Vec<Vec<B>>> {
        let mut groups = Groups::new(rows.iter().map(|a| row_key(*a)));
        if !groups.is_empty() {
            // SELECT "b".*, "j"."from" FROM "b" INNER JOIN "j" ON "j"."to" = "b"."pk"
            let mut w = SqlWriter::new(exec.backend());
            w.push("SELECT ");
            for c in B::COLUMNS {
                w.column(B::TABLE, c.name);
                w.push(", ");
            }
            w.column(J::TABLE, self.from);
            w.push(" FROM ");
            w.ident(B::TABLE);
            w.push(" INNER JOIN ");
            w.ident(J::TABLE);
            w.push(" ON ");
            w.column(J::TABLE, self.to);
            w.push(" = ");
            w.column(B::TABLE, pk_column::<B>());
            let spec = InQuery {
                head: w.sql,
                column: Expr::Column { table: J::TABLE, column: self.from },
                filter: self.query.select.filter.as_ref(),
                order: group_order::<B>(J::TABLE, self.from, &self.query.select.order),
            };
            let n = B::COLUMNS.len();
            let decode = |r: &RowRef<'_>| Ok((B::__from_row(r)?, <A::Key as SqlType>::decode(r, n)?));
            let pairs = fetch_in(exec.0, &spec, groups.take_values(), decode).await?;
            groups.push_all(pairs, |g, (_, a)| g.slot(a), |(b, _)| b);
        }
        Ok(groups.into_rows())
    }
}

// --- the loading traits ------------------------------------------------------------------------------

/// Something loaded for each row of `From` in a fixed number of queries: the parent
/// ([`ForeignKey`]), the children ([`Children`]) or the rows linked through a join model
/// ([`ManyToMany`]).
pub trait Relation<From: Model>: Send + Sync {
    /// What is loaded for one row.
    type Output: Send;

    /// Loads for every row of `rows`; `result[i]` belongs to `rows[i]`. An empty `rows` runs no
    /// query.
    fn load<'a>(
        &'a self,
        exec: impl Into<Executor<'a>>,
        rows: &'a [From],
    ) -> impl Future<Output = Result<Vec<Self::Output>>> + Send + 'a {
        let exec = exec.into();
        self.__load(exec, rows.iter().collect())
    }

    /// Loads for every row, aligned with `rows`.
    #[doc(hidden)]
    fn __load<'a>(
        &'a self,
        exec: Executor<'a>,
        rows: Vec<&'a From>,
    ) -> impl Future<Output = Result<Vec<Self::Output>>> + Send + 'a;
}

/// Several relations of the same rows at once, one query each: `albums.with(&db, (Album::ARTIST,
/// Track::ALBUM.children()))` gives `Vec<(Album, (Artist, Vec<Track>))>`.
macro_rules! relation_tuple {
    ($($r:ident $v:ident),+) => {
        impl<From: Model, $($r: Relation<From>),+> Relation<From> for ($($r,)+) {
            type Output = ($($r::Output,)+);

            #[allow(non_snake_case)]
            fn __load<'a>(
                &'a self,
                exec: Executor<'a>,
                rows: Vec<&'a From>,
            ) -> impl Future<Output = Result<Vec<Self::Output>>> + Send + 'a {
                async move {
                    let mut exec = exec.0;
                    let ($($r,)+) = self;
                    $(let $v = $r.__load(Executor(exec.reborrow()), rows.clone()).await?.into_iter();)+
                    let mut out = Vec::with_capacity(rows.len());
                    relation_tuple!(@zip out, $($v),+);
                    Ok(out)
                }
            }
        }
    };
    (@zip $out:ident, $a:ident, $b:ident) => {
        $out.extend($a.zip($b));
    };
    (@zip $out:ident, $a:ident, $b:ident, $c:ident) => {
        $out.extend($a.zip($b).zip($c).map(|((a, b), c)| (a, b, c)));
    };
}
relation_tuple!(R1 v1, R2 v2);
relation_tuple!(R1 v1, R2 v2, R3 v3);

/// Loading related rows of single rows; implemented for every model.
pub trait Related: Model {
    /// Loads this row's parent `P`: `album.parent::<Artist>(&db).await?`. One query (none for an
    /// empty optional key). See [`ForeignKey::parent_of`].
    fn parent<'e, P>(&self, exec: impl Into<Executor<'e>>) -> impl Future<Output = Result<ParentOf<Self, P>>> + Send
    where
        Self: BelongsTo<P>,
        P: Model,
        P::Key: RelationKey,
    {
        let exec = exec.into();
        <Self as BelongsTo<P>>::FOREIGN_KEY.parent_of(exec, self)
    }

    /// This row's children `C` as a query to filter, order, page and run:
    /// `artist.children::<Album>().order_by(Album::TITLE.asc()).all(&db)`.
    fn children<C>(&self) -> Query<C>
    where
        C: BelongsTo<Self>,
        Self::Key: RelationKey,
    {
        C::FOREIGN_KEY.children_of(self)
    }

    /// The `B` rows linked to this row through the join model `J`, as a query:
    /// `playlist.through::<PlaylistTrack, Track>().all(&db)`.
    fn through<J, B>(&self) -> Query<B>
    where
        J: BelongsTo<Self> + BelongsTo<B>,
        B: Model,
        Self::Key: RelationKey,
        B::Key: RelationKey,
    {
        many_to_many::<J, Self, B>().of(self)
    }

    /// Links this row to `other` through the join model `J` (see [`ManyToMany::link`]).
    fn link<'e, J, B>(&self, exec: impl Into<Executor<'e>>, other: &B) -> impl Future<Output = Result<()>> + Send
    where
        J: BelongsTo<Self> + BelongsTo<B> + Default,
        B: Model,
        Self::Key: RelationKey,
        B::Key: RelationKey,
    {
        let exec = exec.into();
        async move { many_to_many::<J, Self, B>().link(exec, self, other).await }
    }

    /// Unlinks this row from `other` (see [`ManyToMany::unlink`]); returns whether they were linked.
    fn unlink<'e, J, B>(&self, exec: impl Into<Executor<'e>>, other: &B) -> impl Future<Output = Result<bool>> + Send
    where
        J: BelongsTo<Self> + BelongsTo<B>,
        B: Model,
        Self::Key: RelationKey,
        B::Key: RelationKey,
    {
        let exec = exec.into();
        async move { many_to_many::<J, Self, B>().unlink(exec, self, other).await }
    }
}

impl<M: Model> Related for M {}

fn many_to_many<J, A, B>() -> ManyToMany<J, A, B>
where
    J: BelongsTo<A> + BelongsTo<B>,
    A: Model,
    A::Key: RelationKey,
    B: Model,
    B::Key: RelationKey,
{
    ManyToMany::new(<J as BelongsTo<A>>::FOREIGN_KEY, <J as BelongsTo<B>>::FOREIGN_KEY)
}

/// Eager loading: attaches related rows to every row of a list in one query per relation, never
/// one per row. Implemented for a model, a `Vec`, an `Option` and a pair `(A, rest)`, so the
/// result of one load is the input of the next, one level deeper:
///
/// ```
/// # include!("../../docs/relations_schema.rs");
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> orm_core::Result<()> {
/// # let db = demo_db().await?;
/// let tree: Vec<(Artist, Vec<(Album, Vec<Track>)>)> = Artist::query().all(&db).await?
///     .with_children::<Album>(&db).await?   // one query for the albums of every artist
///     .with_children::<Track>(&db).await?;  // one query for the tracks of every album
/// # assert_eq!(tree.len(), 3);
/// # Ok(()) }
/// ```
///
/// The rows that receive the related ones (the *leaves*) are the models at the far right of the
/// nesting: `Artist` in `Vec<Artist>`, `Album` in `Vec<(Artist, Vec<Album>)>`. Each becomes a
/// pair `(leaf, loaded)`. Input order is kept; an empty list runs no query.
pub trait LoadRelated: Sized + Send {
    /// The model the related rows are loaded for.
    type Leaf: Model;
    /// `Self` with each leaf `L` replaced by `(L, X)`.
    type With<X: Send>: Send;

    /// Collects the leaves, in order.
    #[doc(hidden)]
    fn __leaves<'a>(&'a self, out: &mut Vec<&'a Self::Leaf>);
    /// Pairs each leaf with the next value, in the order of `__leaves`.
    #[doc(hidden)]
    fn __attach<X: Send>(self, values: &mut std::vec::IntoIter<X>) -> Self::With<X>;

    /// Loads `relation` for every leaf and pairs each leaf with what was loaded for it:
    /// `albums.with(&db, Album::ARTIST)` gives `Vec<(Album, Artist)>`;
    /// `artists.with(&db, Album::ARTIST.children().order_by(Album::TITLE.asc()))` gives
    /// `Vec<(Artist, Vec<Album>)>`.
    fn with<'e, R>(
        self,
        exec: impl Into<Executor<'e>>,
        relation: R,
    ) -> impl Future<Output = Result<Self::With<R::Output>>> + Send
    where
        R: Relation<Self::Leaf>,
    {
        let exec = exec.into();
        async move {
            let values = {
                let mut leaves = Vec::new();
                self.__leaves(&mut leaves);
                relation.__load(exec, leaves).await?
            };
            Ok(self.__attach(&mut values.into_iter()))
        }
    }

    /// Loads the parent `P` of every leaf: `tracks.with_parent::<Album>(&db)` gives
    /// `Vec<(Track, Album)>` (`Option<Album>` for an optional key).
    fn with_parent<'e, P>(
        self,
        exec: impl Into<Executor<'e>>,
    ) -> impl Future<Output = Result<Self::With<ParentOf<Self::Leaf, P>>>> + Send
    where
        Self::Leaf: BelongsTo<P>,
        P: Model + Clone,
        P::Key: RelationKey,
    {
        self.with(exec, <Self::Leaf as BelongsTo<P>>::FOREIGN_KEY)
    }

    /// Loads the children `C` of every leaf, ordered by the child's primary key:
    /// `artists.with_children::<Album>(&db)` gives `Vec<(Artist, Vec<Album>)>`.
    fn with_children<'e, C>(
        self,
        exec: impl Into<Executor<'e>>,
    ) -> impl Future<Output = Result<Self::With<Vec<C>>>> + Send
    where
        C: BelongsTo<Self::Leaf> + Clone,
        <Self::Leaf as Model>::Key: RelationKey,
    {
        self.with(exec, C::FOREIGN_KEY.children())
    }

    /// Loads the `B` rows linked to every leaf through the join model `J`, in one query:
    /// `playlists.with_through::<PlaylistTrack, Track>(&db)` gives `Vec<(Playlist, Vec<Track>)>`.
    fn with_through<'e, J, B>(
        self,
        exec: impl Into<Executor<'e>>,
    ) -> impl Future<Output = Result<Self::With<Vec<B>>>> + Send
    where
        J: BelongsTo<Self::Leaf> + BelongsTo<B>,
        B: Model + Clone,
        <Self::Leaf as Model>::Key: RelationKey,
        B::Key: RelationKey,
    {
        self.with(exec, many_to_many::<J, Self::Leaf, B>())
    }
}

impl<M: Model> LoadRelated for M {
    type Leaf = M;
    type With<X: Send> = (M, X);
    fn __leaves<'a>(&'a self, out: &mut Vec<&'a M>) {
        out.push(self);
    }
    fn __attach<X: Send>(self, values: &mut std::vec::IntoIter<X>) -> (M, X) {
        // `with` produced exactly one value per leaf, in the order of `__leaves`.
        let value = values.next().expect("one loaded value per row");
        (self, value)
    }
}

impl<N: LoadRelated> LoadRelated for Vec<N> {
    type Leaf = N::Leaf;
    type With<X: Send> = Vec<N::With<X>>;
    fn __leaves<'a>(&'a self, out: &mut Vec<&'a N::Leaf>) {
        for n in self {
            n.__leaves(out);
        }
    }
    fn __attach<X: Send>(self, values: &mut std::vec::IntoIter<X>) -> Self::With<X> {
        self.into_iter().map(|n| n.__attach(values)).collect()
    }
}

impl<N: LoadRelated> LoadRelated for Option<N> {
    type Leaf = N::Leaf;
    type With<X: Send> = Option<N::With<X>>;
    fn __leaves<'a>(&'a self, out: &mut Vec<&'a N::Leaf>) {
        if let Some(n) = self {
            n.__leaves(out);
        }
    }
    fn __attach<X: Send>(self, values: &mut std::vec::IntoIter<X>) -> Self::With<X> {
        self.map(|n| n.__attach(values))
    }
}

impl<A: Send, N: LoadRelated> LoadRelated for (A, N) {
    type Leaf = N::Leaf;
    type With<X: Send> = (A, N::With<X>);
    fn __leaves<'a>(&'a self, out: &mut Vec<&'a N::Leaf>) {
        self.1.__leaves(out);
    }
    fn __attach<X: Send>(self, values: &mut std::vec::IntoIter<X>) -> Self::With<X> {
        (self.0, self.1.__attach(values))
    }
}

// --- helpers -----------------------------------------------------------------------------------------

/// The single key column of a relation's target.
fn pk_column<M: Model>() -> &'static str {
    M::COLUMNS[M::PRIMARY_KEY].name
}

/// The key of a saved row: `None` when it is unset (0 or `None`, as for [`Model::save`]).
fn row_key<M: Model>(row: &M) -> Option<M::Key> {
    if row.__key_unset() { None } else { row.__key() }
}

/// The key of a row that must be saved.
fn saved_key<M: Model>(row: &M) -> Result<M::Key> {
    row_key(row).ok_or_else(|| {
        Error::InvalidValue(format!("a `{}` row without a primary key cannot be related; save it first", M::TABLE))
    })
}

/// `"table"."column" = key`; a missing key matches no row.
fn key_eq<K: SqlType>(table: &'static str, column: &'static str, key: Option<K>) -> Expr {
    let col = Box::new(Expr::Column { table, column });
    match key {
        Some(k) => Expr::Binary { op: BinOp::Eq, left: col, right: Box::new(Expr::Value(k.to_value())) },
        None => Expr::InList { expr: col, values: Vec::new(), negated: false },
    }
}

/// `EXISTS (SELECT 1 FROM sub AS s WHERE s.sub_col = outer.outer_col AND cond)`, where `cond`
/// was written over `sub`'s columns.
fn exists_related(
    sub: &'static str,
    sub_col: &'static str,
    outer: &'static str,
    outer_col: &'static str,
    cond: Option<Expr>,
    sub_soft_delete: Option<&'static str>,
) -> Expr {
    Expr::Exists { table: sub, filter: Box::new(related_filter(sub, sub_col, outer, outer_col, cond, sub_soft_delete)) }
}

/// `(SELECT COUNT(*) FROM sub AS s WHERE s.sub_col = outer.outer_col AND cond)`, the same
/// correlation as [`exists_related`].
fn count_related(
    sub: &'static str,
    sub_col: &'static str,
    outer: &'static str,
    outer_col: &'static str,
    cond: Option<Expr>,
    sub_soft_delete: Option<&'static str>,
) -> Expr {
    Expr::Count { table: sub, filter: Box::new(related_filter(sub, sub_col, outer, outer_col, cond, sub_soft_delete)) }
}

/// The WHERE of a subquery over `sub` correlated to the outer row: `s.sub_col = outer.outer_col
/// AND cond AND s.deleted IS NULL`.
fn related_filter(
    sub: &'static str,
    sub_col: &'static str,
    outer: &'static str,
    outer_col: &'static str,
    cond: Option<Expr>,
    sub_soft_delete: Option<&'static str>,
) -> Expr {
    // Rescope the condition before adding the correlation: when `sub` and `outer` are the same
    // table (a model referring to itself), the correlation must still name the outer row.
    let mut parts = Vec::with_capacity(2);
    parts.push(Expr::Binary {
        op: BinOp::Eq,
        left: Box::new(Expr::Scoped { up: 0, column: sub_col }),
        right: Box::new(Expr::Column { table: outer, column: outer_col }),
    });
    if let Some(c) = cond {
        parts.push(c.rescope(sub, 0));
    }
    // A soft-deleted related row does not count.
    if let Some(column) = sub_soft_delete {
        parts.push(Expr::IsNull { expr: Box::new(Expr::Scoped { up: 0, column }), negated: false });
    }
    Expr::And(parts)
}

/// The `#[orm(soft_delete)]` column of `M`, if any.
fn soft<M: Model>() -> Option<&'static str> {
    M::SOFT_DELETE_COLUMN.map(|i| M::COLUMNS[i].name)
}

/// The distinct keys as values to bind.
fn distinct_values<'k, K: RelationKey>(keys: impl Iterator<Item = &'k K>) -> Vec<Value> {
    let mut seen: HashSet<&K, KeyHash> = HashSet::default();
    keys.filter(|k| seen.insert(*k)).map(SqlType::to_value).collect()
}

/// Whether `M` has a single-column, non-null integer primary key (whose order is the same in Rust
/// and in every database, whatever the collation).
fn integer_key<M: Model>() -> bool {
    let key = &M::COLUMNS[M::PRIMARY_KEY];
    M::KEY_COLUMNS.len() == 1
        && !key.nullable
        && matches!(key.kind, SqlKind::I8 | SqlKind::I16 | SqlKind::I32 | SqlKind::I64)
}

/// The order of an eager load: by the column the rows are grouped by (`table.group`), then the
/// given order, or the model's primary key ascending. Each group comes out in the second part's
/// order; leading with the grouping column lets the server read the rows in the order of the
/// foreign key's index (MySQL and SQLite need no sort at all: their index entries end with the
/// primary key), where `ORDER BY pk` alone can make PostgreSQL walk the whole primary key.
fn group_order<M: Model>(table: &'static str, group: &'static str, order: &[OrderTerm]) -> Vec<OrderTerm> {
    let mut out = vec![OrderTerm { expr: Expr::Column { table, column: group }, desc: false }];
    if order.is_empty() {
        out.extend(
            key_columns::<M>()
                .map(|c| OrderTerm { expr: Expr::Column { table: M::TABLE, column: c.name }, desc: false }),
        );
    } else {
        out.extend_from_slice(order);
    }
    out
}

/// The hasher of the maps that group loaded rows by key: foldhash, at a fraction of SipHash's
/// cost for the integer keys relations mostly have (an eager load hashes every child's key).
/// Its seed comes from the process's address-space randomization, so colliding keys cannot be
/// computed in advance, but foldhash makes no strong HashDoS claim; what bounds the damage is
/// that a map holds only the keys of the rows the caller passed in (one entry per distinct
/// parent), never keys chosen by whoever wrote the children.
type KeyHash = foldhash::fast::RandomState;

/// A map from relation keys, with [`KeyHash`].
type KeyMap<K, V> = HashMap<K, V, KeyHash>;

/// The rows an eager load fetched, grouped by the key of the loaded row each belongs to: one group
/// per distinct key of the loaded rows, in the order the keys first appear.
struct Groups<K, V> {
    /// Each distinct key's group.
    slot: KeyMap<K, usize>,
    /// Each loaded row's group (`None`: the row has no key).
    of_row: Vec<Option<usize>>,
    groups: Vec<Vec<V>>,
    /// The distinct keys as values to bind, in group order (taken by [`Groups::take_values`]).
    values: Vec<Value>,
}

impl<K: RelationKey, V: Clone> Groups<K, V> {
    /// Empty groups for the loaded rows with these keys.
    fn new(keys: impl ExactSizeIterator<Item = Option<K>>) -> Self {
        let mut slot = KeyMap::with_capacity_and_hasher(keys.len(), KeyHash::default());
        let mut values = Vec::new();
        let of_row = keys
            .map(|k| {
                k.map(|k| {
                    let next = values.len();
                    *slot.entry(k).or_insert_with_key(|k| {
                        values.push(k.to_value());
                        next
                    })
                })
            })
            .collect();
        let groups = (0..values.len()).map(|_| Vec::new()).collect();
        Groups { slot, of_row, groups, values }
    }

    /// Whether no loaded row has a key.
    fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The distinct keys, as values to bind, in the order they first appear.
    fn take_values(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.values)
    }

    /// The group of `key` (`None`: no loaded row has it).
    fn slot(&self, key: &K) -> Option<usize> {
        self.slot.get(key).copied()
    }

    /// Adds each of `rows` (as `value` of it) to the group `slot` finds for it; a row without
    /// one is dropped. Each group is allocated once, at its size: the rows' groups are found
    /// and counted first, so no group grows by doubling (an eager load of 100 parents with 10
    /// children each saves ~300 reallocations and their copies).
    fn push_all<T>(&mut self, rows: Vec<T>, slot: impl Fn(&Self, &T) -> Option<usize>, value: impl Fn(T) -> V) {
        const NONE: usize = usize::MAX;
        let slots: Vec<usize> = rows.iter().map(|r| slot(self, r).unwrap_or(NONE)).collect();
        let mut counts = vec![0usize; self.groups.len()];
        for &i in &slots {
            if i != NONE {
                counts[i] += 1;
            }
        }
        for (g, n) in self.groups.iter_mut().zip(counts) {
            g.reserve_exact(n);
        }
        for (r, i) in rows.into_iter().zip(slots) {
            if i != NONE {
                self.groups[i].push(value(r));
            }
        }
    }

    /// Sorts each group by `key` (a group already in order is left as it is).
    fn sort_each_by_key<O: Ord>(&mut self, key: impl Fn(&V) -> O + Copy) {
        for g in &mut self.groups {
            if !g.is_sorted_by_key(key) {
                g.sort_unstable_by_key(key);
            }
        }
    }

    /// One group per loaded row, aligned with the keys given to [`Groups::new`]; a key that
    /// appears several times gets a copy of its group each time, and a row without a key none.
    fn into_rows(mut self) -> Vec<Vec<V>> {
        let mut left = vec![0usize; self.groups.len()];
        for &i in self.of_row.iter().flatten() {
            left[i] += 1;
        }
        self.of_row
            .iter()
            .map(|slot| {
                let Some(i) = *slot else { return Vec::new() };
                left[i] -= 1;
                if left[i] > 0 { self.groups[i].clone() } else { std::mem::take(&mut self.groups[i]) }
            })
            .collect()
    }
}

/// `head WHERE column IN (keys) [AND filter] [ORDER BY order]`.
struct InQuery<'q> {
    /// `SELECT ... FROM ...`, rendered.
    head: String,
    column: Expr,
    filter: Option<&'q Expr>,
    order: Vec<OrderTerm>,
}

/// Runs `spec` for `keys`, in as many statements as the backend's parameter limit requires
/// (`ceil(keys / (limit - parameters of the filter))`), and decodes every row.
async fn fetch_in<T: Send>(
    mut exec: Exec<'_>,
    spec: &InQuery<'_>,
    keys: Vec<Value>,
    mut decode: impl FnMut(&RowRef<'_>) -> Result<T> + Send,
) -> Result<Vec<T>> {
    let backend = exec.backend();
    let fixed = match spec.filter {
        Some(f) => {
            let mut w = SqlWriter::new(backend);
            w.expr(f)?;
            w.param_count()
        }
        None => 0,
    };
    let chunk = backend.max_params().saturating_sub(fixed);
    if chunk == 0 {
        return Err(Error::InvalidValue(format!(
            "the filter binds {fixed} values, leaving none for the keys under {}'s limit of {}",
            backend.name(),
            backend.max_params()
        )));
    }
    let mut out = Vec::new();
    for part in keys.chunks(chunk) {
        let mut w = SqlWriter::with_prefix(backend, &spec.head);
        w.push(" WHERE ");
        w.expr(&Expr::InList { expr: Box::new(spec.column.clone()), values: part.to_vec(), negated: false })?;
        if let Some(f) = spec.filter {
            w.push(" AND ");
            w.expr(f)?;
        }
        w.order_by(&spec.order)?;
        let (sql, args) = w.finish();
        let rows = driver::fetch_all(exec.reborrow(), sql, args, &mut decode).await?;
        // The first (usually the only) chunk's rows are kept as they are, not copied.
        if out.is_empty() {
            out = rows;
        } else {
            out.extend(rows);
        }
    }
    Ok(out)
}

/// The row of `M` whose single-column key is `key`.
async fn find_one<M: Model>(exec: Exec<'_>, key: Value) -> Result<Option<M>> {
    let backend = exec.backend();
    let mut args = crate::backend::Args::new(backend);
    args.push_value(key)?;
    let sql = driver::SqlText::Shared(model_sql::<M>(backend).find.clone());
    driver::fetch_optional(exec, sql, args, |r| M::__from_row(r)).await.map_err(|e| e.for_table(M::TABLE))
}

#[cfg(test)]
mod tests {
    use super::Groups;

    #[test]
    fn push_all_groups_rows_under_their_keys_in_arrival_order() {
        // Loaded rows with keys 7, none, 3, 7 (a repeated key gets its own copy of the group).
        let mut g: Groups<i64, &str> = Groups::new([Some(7), None, Some(3), Some(7)].into_iter());
        assert_eq!(g.take_values().len(), 2);
        let rows = vec![(3, "c1"), (7, "s1"), (9, "orphan"), (3, "c2"), (0, "keyless"), (7, "s2")];
        g.push_all(rows, |g, &(k, _)| if k == 0 { None } else { g.slot(&k) }, |(_, v)| v);
        assert_eq!(g.groups[0].capacity(), 2, "each group is allocated at its size");
        assert_eq!(g.into_rows(), vec![vec!["s1", "s2"], vec![], vec!["c1", "c2"], vec!["s1", "s2"]]);
    }

    #[test]
    fn push_all_of_no_rows_leaves_empty_groups() {
        let mut g: Groups<i64, u8> = Groups::new([Some(1), Some(2)].into_iter());
        g.push_all(Vec::<(i64, u8)>::new(), |g, (k, _)| g.slot(k), |(_, v)| v);
        assert_eq!(g.into_rows(), vec![Vec::<u8>::new(), Vec::new()]);
    }
}
