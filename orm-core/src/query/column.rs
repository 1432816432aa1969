//! Typed column handles and the conditions and orderings built from them.

use super::ast::{BinOp, Expr, OrderTerm};
use super::join::Table;
use crate::value::{IntoValue, SqlType, Value};
use std::fmt;
use std::marker::PhantomData;

/// A column of model `M` whose field has type `T`; the derive makes one associated const per
/// field, named after the field in SCREAMING_SNAKE_CASE (`User::AGE`).
pub struct Column<M, T> {
    name: &'static str,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M, T> Copy for Column<M, T> {}

impl<M, T> fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Column({})", self.name)
    }
}

/// Column types that text patterns apply to (`String` and `Option<String>`).
#[diagnostic::on_unimplemented(
    message = "`like` needs a text column, and this column holds `{Self}`",
    label = "not a text column",
    note = "`like` applies to `String` and `Option<String>` columns"
)]
pub trait TextColumn {}
impl TextColumn for String {}
impl TextColumn for Option<String> {}

impl<M, T> Column<M, T> {
    /// A handle on the SQL column `name`. Used by the derive.
    pub const fn new(name: &'static str) -> Self {
        Column { name, _marker: PhantomData }
    }

    /// The SQL column name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<M: Table, T: SqlType> Column<M, T> {
    pub(crate) fn expr(&self) -> Expr {
        Expr::Column { table: M::NAME, column: self.name }
    }

    fn cmp(self, op: BinOp, v: Value) -> Cond<M> {
        Cond::new(Expr::Binary { op, left: Box::new(self.expr()), right: Box::new(Expr::Value(v)) })
    }

    /// `column = value`. Comparing with `None` means `IS NULL`, as in Django.
    pub fn eq(self, v: impl IntoValue<T>) -> Cond<M> {
        match v.into_value() {
            v if v.is_null() => self.is_null(),
            v => self.cmp(BinOp::Eq, v),
        }
    }

    /// `column <> value`. Comparing with `None` means `IS NOT NULL`.
    pub fn ne(self, v: impl IntoValue<T>) -> Cond<M> {
        match v.into_value() {
            v if v.is_null() => self.is_not_null(),
            v => self.cmp(BinOp::Ne, v),
        }
    }

    /// `column > value`
    pub fn gt(self, v: impl IntoValue<T>) -> Cond<M> {
        self.cmp(BinOp::Gt, v.into_value())
    }

    /// `column >= value`
    pub fn gte(self, v: impl IntoValue<T>) -> Cond<M> {
        self.cmp(BinOp::Gte, v.into_value())
    }

    /// `column < value`
    pub fn lt(self, v: impl IntoValue<T>) -> Cond<M> {
        self.cmp(BinOp::Lt, v.into_value())
    }

    /// `column <= value`
    pub fn lte(self, v: impl IntoValue<T>) -> Cond<M> {
        self.cmp(BinOp::Lte, v.into_value())
    }

    /// `column IN (values)`; an empty iterable matches no row.
    pub fn is_in<V: IntoValue<T>>(self, values: impl IntoIterator<Item = V>) -> Cond<M> {
        Cond::new(Expr::InList {
            expr: Box::new(self.expr()),
            values: values.into_iter().map(IntoValue::into_value).collect(),
            negated: false,
        })
    }

    /// `column NOT IN (values)`; an empty iterable matches every row.
    pub fn not_in<V: IntoValue<T>>(self, values: impl IntoIterator<Item = V>) -> Cond<M> {
        Cond::new(Expr::InList {
            expr: Box::new(self.expr()),
            values: values.into_iter().map(IntoValue::into_value).collect(),
            negated: true,
        })
    }

    /// `column IS NULL`
    pub fn is_null(self) -> Cond<M> {
        Cond::new(Expr::IsNull { expr: Box::new(self.expr()), negated: false })
    }

    /// `column IS NOT NULL`
    pub fn is_not_null(self) -> Cond<M> {
        Cond::new(Expr::IsNull { expr: Box::new(self.expr()), negated: true })
    }

    /// `column LIKE pattern` (case-sensitive on every backend for tables this crate creates;
    /// `%` and `_` in `pattern` are wildcards, and `!` escapes them on every backend: `"50!%"`
    /// matches `50%`; [`escape_like`](crate::escape_like) escapes a user's text).
    /// Only for text columns; the pattern is text.
    pub fn like(self, pattern: impl IntoValue<String>) -> Cond<M>
    where
        T: TextColumn,
    {
        self.cmp(BinOp::Like, pattern.into_value())
    }

    /// Ascending order on this column.
    pub fn asc(self) -> Order<M> {
        Order { term: OrderTerm { expr: self.expr(), desc: false }, _marker: PhantomData }
    }

    /// Descending order on this column.
    pub fn desc(self) -> Order<M> {
        Order { term: OrderTerm { expr: self.expr(), desc: true }, _marker: PhantomData }
    }
}

/// A condition on rows of model `M`; combine with [`Cond::and`], [`Cond::or`], [`Cond::not`]
/// (or `&`, `|`, `!`).
pub struct Cond<M> {
    pub(crate) expr: Expr,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Cond<M> {
    fn clone(&self) -> Self {
        Cond::new(self.expr.clone())
    }
}

impl<M> fmt::Debug for Cond<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl<M> Cond<M> {
    pub(crate) fn new(expr: Expr) -> Self {
        Cond { expr, _marker: PhantomData }
    }

    /// The condition that every row matches (`1 = 1`): a neutral start for conditions built
    /// in a loop, or a constant `true` column with [`Cond::to_expr`].
    pub fn always() -> Cond<M> {
        Cond::new(Expr::And(Vec::new()))
    }

    /// The condition that no row matches (`1 = 0`), or a constant `false` column with
    /// [`Cond::to_expr`].
    pub fn never() -> Cond<M> {
        Cond::new(Expr::Or(Vec::new()))
    }

    /// The condition as a boolean expression, to select as a column (Django's `Exists` in
    /// `annotate`): `Article::query().select((Article::TITLE,
    /// Favorite::ARTICLE.any_where(Favorite::USER_ID.eq(me)).to_expr()))`. It is true or false
    /// for every row, never NULL: a condition that is NULL in SQL (a comparison with a NULL
    /// column) reads as `false`, as a filter treats it.
    pub fn to_expr(self) -> super::expr::Expr<M, bool> {
        super::expr::Expr::ext(super::ast_ext::ExprExt::Truth(self.expr))
    }

    /// Both conditions.
    pub fn and(self, other: Cond<M>) -> Cond<M> {
        Cond::new(self.expr.and(other.expr))
    }

    /// Either condition.
    pub fn or(self, other: Cond<M>) -> Cond<M> {
        Cond::new(self.expr.or(other.expr))
    }

    /// The negation.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Cond<M> {
        Cond::new(Expr::Not(Box::new(self.expr)))
    }
}

impl<M> std::ops::BitAnd for Cond<M> {
    type Output = Cond<M>;
    fn bitand(self, rhs: Cond<M>) -> Cond<M> {
        self.and(rhs)
    }
}

impl<M> std::ops::BitOr for Cond<M> {
    type Output = Cond<M>;
    fn bitor(self, rhs: Cond<M>) -> Cond<M> {
        self.or(rhs)
    }
}

impl<M> std::ops::Not for Cond<M> {
    type Output = Cond<M>;
    fn not(self) -> Cond<M> {
        Cond::not(self)
    }
}

/// An ordering of rows of model `M`, from [`Column::asc`] or [`Column::desc`].
pub struct Order<M> {
    pub(crate) term: OrderTerm,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for Order<M> {
    fn clone(&self) -> Self {
        Order { term: self.term.clone(), _marker: PhantomData }
    }
}

impl<M> Order<M> {
    pub(crate) fn new(term: OrderTerm) -> Self {
        Order { term, _marker: PhantomData }
    }
}

impl<M> fmt::Debug for Order<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.term.fmt(f)
    }
}
