//! Reading rows of any shape: [`Row`], [`FromRow`] (models, tuples, `#[derive(FromRow)]` structs)
//! and [`Projection`] (a struct that names the columns it reads).

use crate::backend::RowRef;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::value::SqlType;

/// One row of a result, as handed to [`FromRow::from_row`].
///
/// ```
/// use orm_core::{FromRow, Row};
///
/// struct NameAndTotal {
///     name: String,
///     total: Option<i64>,
/// }
///
/// impl FromRow for NameAndTotal {
///     fn from_row(row: &Row<'_>) -> orm_core::Result<Self> {
///         Ok(NameAndTotal { name: row.get("name")?, total: row.get(1)? })
///     }
/// }
/// ```
#[derive(Clone, Copy)]
pub struct Row<'r> {
    raw: &'r RowRef<'r>,
}

impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = (0..self.len()).map(|i| self.raw.column_name(i)).collect();
        f.debug_struct("Row").field("columns", &names).finish()
    }
}

impl<'r> Row<'r> {
    pub(crate) fn new(raw: &'r RowRef<'r>) -> Self {
        Row { raw }
    }

    /// The value of a column, by position (`0`, `1`, ...) or by name (`"name"`), as `T`.
    ///
    /// A column that is missing or does not fit `T` is [`Error::Decode`] naming the column;
    /// read a column that may hold NULL as `Option<T>`.
    pub fn get<T: SqlType, I: RowIndex>(&self, index: I) -> Result<T> {
        let idx = index.position(self.raw)?;
        T::decode(self.raw, idx)
    }

    /// How many columns the row has.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The name of column `idx` as the database reports it.
    pub fn column_name(&self, idx: usize) -> String {
        self.raw.column_name(idx)
    }
}

/// A way to name a column of a [`Row`]: its position (`usize`) or its name (`&str`).
pub trait RowIndex {
    /// The column's position in `row`.
    #[doc(hidden)]
    fn position(&self, row: &RowRef<'_>) -> Result<usize>;
}

impl RowIndex for usize {
    fn position(&self, row: &RowRef<'_>) -> Result<usize> {
        if *self < row.len() {
            Ok(*self)
        } else {
            Err(Error::Decode {
                table: String::new(),
                column: format!("#{self}"),
                source: sqlx::Error::ColumnIndexOutOfBounds { index: *self, len: row.len() },
            })
        }
    }
}

impl RowIndex for &str {
    fn position(&self, row: &RowRef<'_>) -> Result<usize> {
        row.index_of(self)
    }
}

impl RowIndex for String {
    fn position(&self, row: &RowRef<'_>) -> Result<usize> {
        row.index_of(self)
    }
}

/// A Rust value built from one row of a result of any shape.
///
/// Implemented by
/// * every [`Model`], mapping columns **by name** (extra columns are ignored);
/// * tuples of up to 12 column types (`(String, i64, Option<f64>)`), mapping columns **by
///   position**;
/// * structs with `#[derive(FromRow)]`, mapping columns **by name** (the field name, or
///   `#[orm(column = "...")]`);
/// * your own types, with a hand-written impl reading [`Row::get`].
///
/// Used by [`raw`](crate::raw)'s `fetch_*` and by [`Query::select_as`](crate::Query::select_as).
/// A model already implements it: do not derive both `Model` and `FromRow` on one struct.
pub trait FromRow: Sized + Send {
    /// Builds the value from `row`.
    fn from_row(row: &Row<'_>) -> Result<Self>;
}

impl<M: Model> FromRow for M {
    fn from_row(row: &Row<'_>) -> Result<Self> {
        M::__from_row_by_name(row.raw).map_err(|e| e.for_table(M::TABLE))
    }
}

macro_rules! tuple_from_row {
    ($($name:ident),+) => {
        impl<$($name: SqlType),+> FromRow for ($($name,)+) {
            #[allow(unused_assignments)]
            fn from_row(row: &Row<'_>) -> Result<Self> {
                let mut idx = 0;
                Ok(($({
                    let v = row.get::<$name, usize>(idx)?;
                    idx += 1;
                    v
                },)+))
            }
        }
    };
}
tuple_from_row!(A);
tuple_from_row!(A, B);
tuple_from_row!(A, B, C);
tuple_from_row!(A, B, C, D);
tuple_from_row!(A, B, C, D, E);
tuple_from_row!(A, B, C, D, E, F);
tuple_from_row!(A, B, C, D, E, F, G);
tuple_from_row!(A, B, C, D, E, F, G, H);
tuple_from_row!(A, B, C, D, E, F, G, H, I);
tuple_from_row!(A, B, C, D, E, F, G, H, I, J);
tuple_from_row!(A, B, C, D, E, F, G, H, I, J, K);
tuple_from_row!(A, B, C, D, E, F, G, H, I, J, K, L);

/// A [`FromRow`] struct that names the columns it reads, so a query can select exactly those:
/// [`Query::select_as`](crate::Query::select_as). `#[derive(FromRow)]` implements it.
pub trait Projection: FromRow {
    /// The SQL names of the columns the struct reads, in field order.
    const COLUMNS: &'static [&'static str];
}
