//! Typed expressions over a model's columns: arithmetic (`Product::STOCK - 1`), comparisons
//! between columns, ranges and text matching.

use super::ast::{BinOp, Expr as Node, OrderTerm};
use super::ast_ext::{ArithOp, ExprExt};
use super::column::{Column, Cond, Order, TextColumn};
use super::join::Table;
use crate::backend::dialect::LIKE_ESCAPE;
use crate::value::{IntoValue, SqlType, Value};
use std::fmt;
use std::marker::PhantomData;

/// A typed SQL expression over the columns of model `M` whose value has the Rust type `T`:
/// a column, a value, arithmetic on them (`Product::STOCK - 1`) or an aggregate
/// (`Track::MILLISECONDS.sum()`).
///
/// Build one from a [`Column`] with arithmetic operators or aggregate methods, then compare it
/// ([`gt`](Expr::gt), ...), order by it ([`desc`](Expr::desc)), select it
/// ([`Query::select`](crate::Query::select)) or assign it ([`Column::set`]).
pub struct Expr<M, T> {
    pub(crate) node: Node,
    _marker: PhantomData<fn() -> (M, T)>,
}

impl<M, T> Clone for Expr<M, T> {
    fn clone(&self) -> Self {
        Expr::from_node(self.node.clone())
    }
}

impl<M, T> fmt::Debug for Expr<M, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.node.fmt(f)
    }
}

impl<M, T> Expr<M, T> {
    pub(crate) fn from_node(node: Node) -> Self {
        Expr { node, _marker: PhantomData }
    }

    pub(crate) fn ext(e: ExprExt) -> Self {
        Expr::from_node(Node::Ext(Box::new(e)))
    }
}

impl<M: Table, T: SqlType> From<Column<M, T>> for Expr<M, T> {
    fn from(c: Column<M, T>) -> Self {
        Expr::from_node(c.expr())
    }
}

/// What may stand where an expression of type `T` over model `M` is expected: a value of a type
/// that converts to `T` (as for comparisons), a [`Column`] of type `T`, or an [`Expr`] of
/// type `T`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a value, column or expression of type `{T}`",
    label = "expected a value, a column or an expression of type `{T}`"
)]
pub trait IntoExpr<M, T> {
    /// The expression.
    fn into_expr(self) -> Expr<M, T>;
}

impl<M: Table, T: SqlType> IntoExpr<M, T> for Column<M, T> {
    fn into_expr(self) -> Expr<M, T> {
        self.into()
    }
}

impl<M, T> IntoExpr<M, T> for Expr<M, T> {
    fn into_expr(self) -> Expr<M, T> {
        self
    }
}

fn value_expr<M, T>(v: Value) -> Expr<M, T> {
    Expr::from_node(Node::Value(v))
}

// Values, for every (value type, column type) pair `IntoValue` accepts: blanket impls over
// `SqlType` (so derived and hand-written types are values too). They cannot overlap with the
// column and expression impls above: those would need `T = Column<M, T>`.
impl<M, T: SqlType> IntoExpr<M, T> for T {
    fn into_expr(self) -> Expr<M, T> {
        value_expr(self.into_sql_value())
    }
}
impl<M, T: SqlType> IntoExpr<M, T> for &T {
    fn into_expr(self) -> Expr<M, T> {
        value_expr(self.to_value())
    }
}
impl<M, T: SqlType> IntoExpr<M, Option<T>> for T {
    fn into_expr(self) -> Expr<M, Option<T>> {
        value_expr(self.into_sql_value())
    }
}
impl<M, T: SqlType> IntoExpr<M, Option<T>> for &T {
    fn into_expr(self) -> Expr<M, Option<T>> {
        value_expr(self.to_value())
    }
}

impl<M> IntoExpr<M, String> for &str {
    fn into_expr(self) -> Expr<M, String> {
        value_expr(Value::Text(self.to_owned()))
    }
}
impl<M> IntoExpr<M, Option<String>> for &str {
    fn into_expr(self) -> Expr<M, Option<String>> {
        value_expr(Value::Text(self.to_owned()))
    }
}
impl<M> IntoExpr<M, Vec<u8>> for &[u8] {
    fn into_expr(self) -> Expr<M, Vec<u8>> {
        value_expr(Value::Bytes(self.to_vec()))
    }
}
impl<M> IntoExpr<M, Option<Vec<u8>>> for &[u8] {
    fn into_expr(self) -> Expr<M, Option<Vec<u8>>> {
        value_expr(Value::Bytes(self.to_vec()))
    }
}

// --- comparisons -----------------------------------------------------------------------------

fn binary<M>(op: BinOp, left: Node, right: Node) -> Cond<M> {
    Cond::new(Node::Binary { op, left: Box::new(left), right: Box::new(right) })
}

fn is_null_value(n: &Node) -> bool {
    matches!(n, Node::Value(v) if v.is_null())
}

impl<M: Table, T: SqlType> Expr<M, T> {
    /// `self = other`: a value, a column or an expression. A NULL value means `IS NULL`.
    pub fn eq(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        let other = other.into_expr().node;
        if is_null_value(&other) {
            return self.is_null();
        }
        binary(BinOp::Eq, self.node, other)
    }

    /// `self <> other`. A NULL value means `IS NOT NULL`.
    pub fn ne(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        let other = other.into_expr().node;
        if is_null_value(&other) {
            return self.is_not_null();
        }
        binary(BinOp::Ne, self.node, other)
    }

    /// `self > other`
    pub fn gt(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        binary(BinOp::Gt, self.node, other.into_expr().node)
    }

    /// `self >= other`
    pub fn gte(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        binary(BinOp::Gte, self.node, other.into_expr().node)
    }

    /// `self < other`
    pub fn lt(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        binary(BinOp::Lt, self.node, other.into_expr().node)
    }

    /// `self <= other`
    pub fn lte(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        binary(BinOp::Lte, self.node, other.into_expr().node)
    }

    /// `self BETWEEN low AND high`: both bounds included.
    pub fn between(self, low: impl IntoExpr<M, T>, high: impl IntoExpr<M, T>) -> Cond<M> {
        Cond::new(Node::Ext(Box::new(ExprExt::Between {
            expr: self.node,
            low: low.into_expr().node,
            high: high.into_expr().node,
        })))
    }

    /// `self IS NULL`
    pub fn is_null(self) -> Cond<M> {
        Cond::new(Node::IsNull { expr: Box::new(self.node), negated: false })
    }

    /// `self IS NOT NULL`
    pub fn is_not_null(self) -> Cond<M> {
        Cond::new(Node::IsNull { expr: Box::new(self.node), negated: true })
    }

    /// Ascending order on this expression.
    pub fn asc(self) -> Order<M> {
        Order::new(OrderTerm { expr: self.node, desc: false })
    }

    /// Descending order on this expression.
    pub fn desc(self) -> Order<M> {
        Order::new(OrderTerm { expr: self.node, desc: true })
    }
}

/// Comparisons with other columns and expressions, and ranges.
impl<M: Table, T: SqlType> Column<M, T> {
    /// `column = other`, where `other` is another column or an expression
    /// (`Track::COMPOSER.eq_col(Track::NAME)`); a value works too.
    pub fn eq_col(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        Expr::from(self).eq(other)
    }

    /// `column <> other` (another column or an expression).
    pub fn ne_col(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        Expr::from(self).ne(other)
    }

    /// `column > other` (another column or an expression:
    /// `Track::MILLISECONDS.gt_col(Track::BYTES / 100)`).
    pub fn gt_col(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        Expr::from(self).gt(other)
    }

    /// `column >= other` (another column or an expression).
    pub fn gte_col(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        Expr::from(self).gte(other)
    }

    /// `column < other` (another column or an expression).
    pub fn lt_col(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        Expr::from(self).lt(other)
    }

    /// `column <= other` (another column or an expression).
    pub fn lte_col(self, other: impl IntoExpr<M, T>) -> Cond<M> {
        Expr::from(self).lte(other)
    }

    /// `column BETWEEN low AND high`: both bounds included (`low <= column <= high`).
    pub fn between(self, low: impl IntoValue<T>, high: impl IntoValue<T>) -> Cond<M> {
        Expr::from(self).between(value_expr::<M, T>(low.into_value()), value_expr::<M, T>(high.into_value()))
    }

    /// This column as an [`Expr`], to use the expression methods on it.
    pub fn to_expr(self) -> Expr<M, T> {
        self.into()
    }
}

// --- text matching ---------------------------------------------------------------------------

/// Escapes the LIKE wildcards `%` and `_` (and the escape character `!` itself) in `text`, so
/// that it matches literally inside a pattern given to [`Column::like`] or [`Column::ilike`]:
/// `Track::NAME.ilike(format!("%{}%", escape_like(user_text)))`.
///
/// The patterns the query language builds use `!` as their escape character on every backend
/// (a backslash is special in MySQL's string literals and is SQLite's default nowhere).
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if c == '%' || c == '_' || c == LIKE_ESCAPE {
            out.push(LIKE_ESCAPE);
        }
        out.push(c);
    }
    out
}

fn like<M>(expr: Node, pattern: String, case_insensitive: bool) -> Cond<M> {
    Cond::new(Node::Ext(Box::new(ExprExt::Like { expr, pattern: Node::Value(Value::Text(pattern)), case_insensitive })))
}

/// Text matching, the same on all three backends. `%` and `_` in the text given to
/// `starts_with`, `contains`, `ends_with` (and their case-insensitive `i` variants) and `ieq` match
/// literally; `like` and `ilike` take a pattern whose `%` and `_` are wildcards and `!` escapes.
///
/// Case-insensitive variants compare both sides lower-cased with Unicode rules on every backend
/// (`Ä` matches `ä`): `LOWER()` on PostgreSQL and MySQL, and on SQLite, whose `lower()` folds only
/// ASCII, a Unicode-aware function this crate registers on each connection.
impl<M: Table, T: SqlType + TextColumn> Column<M, T> {
    /// `column LIKE pattern` ignoring case (`%` any text, `_` one character, `!` escapes).
    pub fn ilike(self, pattern: impl AsRef<str>) -> Cond<M> {
        like(self.expr(), pattern.as_ref().to_owned(), true)
    }

    /// Equal to `text` ignoring case.
    pub fn ieq(self, text: impl AsRef<str>) -> Cond<M> {
        like(self.expr(), escape_like(text.as_ref()), true)
    }

    /// Starts with `text` (matched literally, case-sensitive).
    pub fn starts_with(self, text: impl AsRef<str>) -> Cond<M> {
        like(self.expr(), format!("{}%", escape_like(text.as_ref())), false)
    }

    /// Ends with `text` (matched literally, case-sensitive).
    pub fn ends_with(self, text: impl AsRef<str>) -> Cond<M> {
        like(self.expr(), format!("%{}", escape_like(text.as_ref())), false)
    }

    /// Contains `text` (matched literally, case-sensitive).
    pub fn contains(self, text: impl AsRef<str>) -> Cond<M> {
        like(self.expr(), format!("%{}%", escape_like(text.as_ref())), false)
    }

    /// Starts with `text`, ignoring case.
    pub fn istarts_with(self, text: impl AsRef<str>) -> Cond<M> {
        like(self.expr(), format!("{}%", escape_like(text.as_ref())), true)
    }

    /// Ends with `text`, ignoring case.
    pub fn iends_with(self, text: impl AsRef<str>) -> Cond<M> {
        like(self.expr(), format!("%{}", escape_like(text.as_ref())), true)
    }

    /// Contains `text`, ignoring case.
    pub fn icontains(self, text: impl AsRef<str>) -> Cond<M> {
        like(self.expr(), format!("%{}%", escape_like(text.as_ref())), true)
    }
}

// --- arithmetic ------------------------------------------------------------------------------

/// Numeric column types: arithmetic applies to them, and `SUM`/`AVG` with these result types
/// (the same on every backend; see [`Expr::sum`]).
pub trait Numeric: SqlType {
    /// The type of `SUM` of this column: `Option<i64>` for integers, `Option<f64>` for floats,
    /// `Option<Decimal>` for decimals (`None` when no row, or only NULLs, are summed).
    type Sum: SqlType;
    /// The type of `AVG` of this column: `Option<f64>`, or `Option<Decimal>` for decimals.
    type Avg: SqlType;
}

macro_rules! numeric {
    ($($t:ty => $sum:ty, $avg:ty);* $(;)?) => {$(
        impl Numeric for $t {
            type Sum = Option<$sum>;
            type Avg = Option<$avg>;
        }
        impl Numeric for Option<$t> {
            type Sum = Option<$sum>;
            type Avg = Option<$avg>;
        }
    )*};
}
numeric!(i8 => i64, f64; i16 => i64, f64; i32 => i64, f64; i64 => i64, f64; f32 => f64, f64; f64 => f64, f64);
#[cfg(feature = "decimal")]
numeric!(rust_decimal::Decimal => rust_decimal::Decimal, rust_decimal::Decimal);

fn arith<M, T: SqlType>(op: ArithOp, left: Node, right: Node) -> Expr<M, T> {
    Expr::ext(ExprExt::Arith { op, left, right, integer: T::KIND.is_integer() })
}

macro_rules! arith_ops {
    ($($trait:ident $method:ident $op:ident),*) => {$(
        impl<M: Table, T: Numeric> std::ops::$trait<Column<M, T>> for Column<M, T> {
            type Output = Expr<M, T>;
            fn $method(self, rhs: Column<M, T>) -> Expr<M, T> { arith(ArithOp::$op, self.expr(), rhs.expr()) }
        }
        impl<M: Table, T: Numeric> std::ops::$trait<Expr<M, T>> for Column<M, T> {
            type Output = Expr<M, T>;
            fn $method(self, rhs: Expr<M, T>) -> Expr<M, T> { arith(ArithOp::$op, self.expr(), rhs.node) }
        }
        impl<M: Table, T: Numeric> std::ops::$trait<Column<M, T>> for Expr<M, T> {
            type Output = Expr<M, T>;
            fn $method(self, rhs: Column<M, T>) -> Expr<M, T> { arith(ArithOp::$op, self.node, rhs.expr()) }
        }
        impl<M: Table, T: Numeric> std::ops::$trait<Expr<M, T>> for Expr<M, T> {
            type Output = Expr<M, T>;
            fn $method(self, rhs: Expr<M, T>) -> Expr<M, T> { arith(ArithOp::$op, self.node, rhs.node) }
        }
    )*};
}
arith_ops!(Add add Add, Sub sub Sub, Mul mul Mul, Div div Div);

// `column op value`, one numeric type at a time (see `value_into_expr`).
macro_rules! arith_value_ops {
    ($($t:ty),*) => {$(
        arith_value_ops!(@one $t, Add add Add, Sub sub Sub, Mul mul Mul, Div div Div);
    )*};
    (@one $t:ty, $($trait:ident $method:ident $op:ident),*) => {$(
        impl<M: Table> std::ops::$trait<$t> for Column<M, $t> {
            type Output = Expr<M, $t>;
            fn $method(self, rhs: $t) -> Expr<M, $t> {
                arith(ArithOp::$op, self.expr(), Node::Value(IntoValue::<$t>::into_value(rhs)))
            }
        }
        impl<M: Table> std::ops::$trait<$t> for Column<M, Option<$t>> {
            type Output = Expr<M, Option<$t>>;
            fn $method(self, rhs: $t) -> Expr<M, Option<$t>> {
                arith(ArithOp::$op, self.expr(), Node::Value(IntoValue::<$t>::into_value(rhs)))
            }
        }
        impl<M: Table> std::ops::$trait<$t> for Expr<M, $t> {
            type Output = Expr<M, $t>;
            fn $method(self, rhs: $t) -> Expr<M, $t> {
                arith(ArithOp::$op, self.node, Node::Value(IntoValue::<$t>::into_value(rhs)))
            }
        }
        impl<M: Table> std::ops::$trait<$t> for Expr<M, Option<$t>> {
            type Output = Expr<M, Option<$t>>;
            fn $method(self, rhs: $t) -> Expr<M, Option<$t>> {
                arith(ArithOp::$op, self.node, Node::Value(IntoValue::<$t>::into_value(rhs)))
            }
        }
    )*};
}
arith_value_ops!(i8, i16, i32, i64, f32, f64);
#[cfg(feature = "decimal")]
arith_value_ops!(rust_decimal::Decimal);
