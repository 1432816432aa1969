//! Aggregate functions with result types that are the same on every backend.
//!
//! | aggregate | Rust type | how |
//! |---|---|---|
//! | [`count()`], [`Expr::count`] | `i64` | `COUNT` is BIGINT (INTEGER on SQLite) everywhere |
//! | `sum` of integers | `Option<i64>` | CAST to BIGINT (`SIGNED` on MySQL): PostgreSQL's SUM of BIGINT is NUMERIC, MySQL's SUM is DECIMAL |
//! | `sum` of floats | `Option<f64>` | CAST to DOUBLE PRECISION / DOUBLE / REAL |
//! | `sum` of `Decimal` | `Option<Decimal>` | NUMERIC / DECIMAL as is (SQLite: computed in floating point) |
//! | `avg` | `Option<f64>` (`Option<Decimal>` of decimals) | the argument CAST to DOUBLE (AVG of integers is NUMERIC on PostgreSQL, and a DECIMAL rounded to 4 places on MySQL) |
//! | `min`, `max` | `Option<T>` of a `T` or `Option<T>` column | the column's own type |
//!
//! SUM, AVG, MIN and MAX of no rows (or of only NULLs) are NULL, hence the `Option`.

use super::ast_ext::{AggFunc, ExprExt};
use super::column::Column;
use super::expr::{Expr, Numeric};
use super::join::Table;
use crate::value::{SqlKind, SqlType};

/// Column types that MIN and MAX apply to; `NonNull` is the type without its `Option`.
pub trait Comparable: SqlType {
    /// `T` for a `T` or an `Option<T>` column.
    type NonNull: SqlType;
}

macro_rules! comparable {
    ($($t:ty),* $(,)?) => {$(
        impl Comparable for $t { type NonNull = $t; }
    )*};
}
// One impl for every `Option` (a type derived with `#[derive(SqlType)]` cannot implement it for
// `Option<Self>` in its own crate).
impl<T: Comparable<NonNull = T>> Comparable for Option<T> {
    type NonNull = T;
}
comparable!(i8, i16, i32, i64, f32, f64, String);
#[cfg(feature = "chrono")]
comparable!(chrono::NaiveDate, chrono::NaiveTime, chrono::NaiveDateTime, chrono::DateTime<chrono::Utc>);
#[cfg(feature = "decimal")]
comparable!(rust_decimal::Decimal);

fn agg<M, R: SqlType>(func: AggFunc, arg: Option<super::ast::Expr>, distinct: bool) -> Expr<M, R> {
    // Cast where the backends' own result types differ (see the module table).
    let cast = match (func, R::KIND) {
        (AggFunc::Sum | AggFunc::Avg, k @ (SqlKind::I64 | SqlKind::F64)) => Some(k),
        _ => None,
    };
    Expr::ext(ExprExt::Agg { func, arg, distinct, cast, over: false })
}

/// `COUNT(*)`: the number of rows (of each group, with `group_by`).
///
/// ```
/// # use orm_core::prelude::*;
/// # #[derive(Model)] struct Track { #[orm(primary_key)] id: i64, genre_id: Option<i32> }
/// let per_genre = Track::query().select((Track::GENRE_ID, count())).group_by(Track::GENRE_ID);
/// ```
pub fn count<M: Table>() -> Expr<M, i64> {
    agg(AggFunc::Count, None, false)
}

impl<M: Table, T: SqlType> Expr<M, T> {
    /// `COUNT(expr)`: the number of rows where the expression is not NULL.
    pub fn count(self) -> Expr<M, i64> {
        agg(AggFunc::Count, Some(self.node), false)
    }

    /// `COUNT(DISTINCT expr)`: the number of different non-NULL values.
    pub fn count_distinct(self) -> Expr<M, i64> {
        agg(AggFunc::Count, Some(self.node), true)
    }
}

impl<M, T> Expr<M, T> {
    /// The aggregate computed over every row the query matches, as a window function
    /// (`COUNT(*) OVER ()`), on each result row, before `limit` and `offset` apply and without
    /// `group_by`: a page of rows and the total number of rows the query matches in one
    /// statement, `query.select((Row::ID, count().over_all())).limit(20)`. PostgreSQL, MySQL 8
    /// and MariaDB 10.2, and SQLite 3.25 have window functions. An empty page carries no total.
    ///
    /// On an expression that is not an aggregate, running the query is an
    /// [`Error::Unsupported`](crate::Error::Unsupported).
    pub fn over_all(self) -> Expr<M, T> {
        match self.node {
            super::ast::Expr::Ext(x) => match *x {
                ExprExt::Agg { func, arg, distinct, cast, .. } => {
                    Expr::ext(ExprExt::Agg { func, arg, distinct, cast, over: true })
                }
                _ => Expr::ext(ExprExt::NotAggregate),
            },
            _ => Expr::ext(ExprExt::NotAggregate),
        }
    }
}

impl<M: Table, T: Numeric> Expr<M, T> {
    /// `SUM(expr)`, typed [`Numeric::Sum`]: `Option<i64>` of integers, `Option<f64>` of floats,
    /// `Option<Decimal>` of decimals; `None` over no rows.
    ///
    /// An integer sum beyond the `i64` range is an error on PostgreSQL and SQLite, and saturates
    /// on MySQL (its CAST to SIGNED clamps).
    pub fn sum(self) -> Expr<M, T::Sum> {
        agg(AggFunc::Sum, Some(self.node), false)
    }

    /// `AVG(expr)`, typed [`Numeric::Avg`]: `Option<f64>` (`Option<Decimal>` of decimals);
    /// `None` over no rows.
    pub fn avg(self) -> Expr<M, T::Avg> {
        agg(AggFunc::Avg, Some(self.node), false)
    }
}

impl<M: Table, T: Comparable> Expr<M, T> {
    /// `MIN(expr)`, of the expression's own type; `None` over no rows.
    pub fn min(self) -> Expr<M, Option<T::NonNull>> {
        agg(AggFunc::Min, Some(self.node), false)
    }

    /// `MAX(expr)`, of the expression's own type; `None` over no rows.
    pub fn max(self) -> Expr<M, Option<T::NonNull>> {
        agg(AggFunc::Max, Some(self.node), false)
    }
}

/// Aggregates of a column: the same as on [`Expr`].
impl<M: Table, T: SqlType> Column<M, T> {
    /// `COUNT(column)`: the number of rows where the column is not NULL.
    pub fn count(self) -> Expr<M, i64> {
        Expr::from(self).count()
    }

    /// `COUNT(DISTINCT column)`: the number of different non-NULL values.
    pub fn count_distinct(self) -> Expr<M, i64> {
        Expr::from(self).count_distinct()
    }
}

impl<M: Table, T: Numeric> Column<M, T> {
    /// `SUM(column)`; see [`Expr::sum`].
    pub fn sum(self) -> Expr<M, T::Sum> {
        Expr::from(self).sum()
    }

    /// `AVG(column)`; see [`Expr::avg`].
    pub fn avg(self) -> Expr<M, T::Avg> {
        Expr::from(self).avg()
    }
}

impl<M: Table, T: Comparable> Column<M, T> {
    /// `MIN(column)`; see [`Expr::min`].
    pub fn min(self) -> Expr<M, Option<T::NonNull>> {
        Expr::from(self).min()
    }

    /// `MAX(column)`; see [`Expr::max`].
    pub fn max(self) -> Expr<M, Option<T::NonNull>> {
        Expr::from(self).max()
    }
}
