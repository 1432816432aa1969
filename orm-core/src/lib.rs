//! # orm-core
//!
//! A lightweight async ORM on [sqlx](https://docs.rs/sqlx): `#[derive(Model)]` on a plain struct
//! gives it `save`, `insert`, `update`, `delete`, `find`, `create_table` and a typed query
//! builder, on SQLite, PostgreSQL and MySQL/MariaDB. The backend is chosen by the URL given to
//! [`Db::connect`], so the same code runs everywhere.
//!
//! ```
//! use orm_core::prelude::*;
//!
//! #[derive(Model, Debug, Clone, PartialEq)]
//! #[orm(table = "users")]
//! pub struct User {
//!     #[orm(primary_key)]
//!     pub id: i64,
//!     #[orm(unique)]
//!     pub email: String,
//!     pub age: Option<i32>,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> orm_core::Result<()> {
//! let db = Db::connect("sqlite::memory:").await?;
//! User::create_table(&db).await?;
//! let mut ann = User { id: 0, email: "ann@x.io".into(), age: Some(30) };
//! ann.save(&db).await?; // INSERT; ann.id now holds the generated key
//! let adults = User::query().filter(User::AGE.gte(18)).all(&db).await?;
//! assert_eq!(adults, vec![ann]);
//! # Ok(()) }
//! ```
//!
//! See the guide in `docs/` for the attributes and the query builder.

#![warn(missing_docs)]

extern crate self as orm_core;

mod backend;
mod bulk;
mod db;
mod error;
mod model;
mod query;
mod raw;
mod value;

pub use backend::{Backend, DbOptions};
pub use db::{Db, Executor, Tx};
pub use error::{ConstraintInfo, Error, Result};
pub use model::{ColumnDef, ForeignKeyDef, Model, OnDelete, create_table_sql, crud_sql};
pub use orm_derive::Model;
pub use raw::{Raw, raw};
pub use query::{Column, Cond, Order, Query, TextColumn};
pub use value::{IntoValue, SqlKind, SqlType, Value};

/// Everything an application needs: `use orm_core::prelude::*;`.
pub mod prelude {
    pub use crate::{Column, Cond, Db, Error, Executor, Model, Order, Query, Result, Tx};
}

/// What the derive's generated code uses. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::backend::{Args, RowRef};
    pub use crate::model::{ColumnDef, ForeignKeyDef, OnDelete, SqlCache};
    pub use crate::value::{KeyField, SqlKind, SqlType};
    pub use crate::{Column, Error, Model, Result};

    /// Compile-time check that a field type is supported.
    pub fn __assert_sql_type<T: SqlType>() {}
    /// Compile-time check that a primary-key type is supported.
    pub fn __assert_key_field<T: KeyField>() {}

    /// Decodes column `idx` as `T`, naming the table and column on failure.
    #[inline]
    pub fn decode<T: SqlType>(row: &RowRef<'_>, idx: usize, table: &str) -> Result<T> {
        T::decode(row, idx).map_err(|e| e.for_table(table))
    }
}
