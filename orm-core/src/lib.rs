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
//! The guide, `docs/guide.md` in the repository, covers every `#[orm(...)]` attribute, CRUD, the
//! query builder, transactions, errors, the supported types and connection URLs;
//! `docs/query-language.md`, `docs/aggregates.md` and `docs/raw-sql.md` cover selections,
//! expressions, aggregates, updates, text matching, streaming, row locks and raw SQL;
//! `docs/relations.md` covers foreign keys, eager loading, many-to-many, relation filters and
//! composite keys; `docs/migrations.md` covers schema migrations and introspection ([`migrate`]).

#![warn(missing_docs)]

extern crate self as orm_core;

mod backend;
mod bulk;
mod db;
mod error;
pub mod migrate;
mod model;
mod query;
mod raw;
mod relation;
mod row;
mod testing;
mod value;

pub use backend::{Backend, DbOptions};
pub use db::{Db, Executor, Tx};
pub use error::{ConstraintInfo, Error, Result};
pub use model::{ColumnDef, ForeignKeyDef, Model, OnDelete, create_table_sql, crud_sql};
/// Embeds a migration folder at compile time: `orm_core::migrations!("migrations")` is a
/// `Result<migrate::Migrator>`; a broken history fails the build (see [`migrate`]).
pub use orm_derive::migrations;
/// `#[orm_core::test]`: an async test that gets a fresh database (see `docs/web-apps.md`).
pub use orm_derive::test;
pub use orm_derive::{FromRow, Model};
pub use query::{
    Assignment, Column, Comparable, Cond, Expr, ExprList, IntoExpr, Numeric, Order, Query, RowStream, SelectQuery,
    Selection, TextColumn, count, escape_like,
};
pub use raw::{Param, Raw, raw};
pub use relation::{
    BelongsTo, Children, ForeignKey, ForeignKeyType, LoadRelated, ManyToMany, ParentOf, Related, Relation, RelationKey,
};
pub use row::{FromRow, Projection, Row, RowIndex};
pub use value::{IntoKey, IntoValue, SqlKind, SqlType, Value};

/// Everything an application needs: `use orm_core::prelude::*;`.
pub mod prelude {
    pub use crate::{Column, Cond, Db, Error, Executor, Expr, FromRow, Model, Order, Query, Result, Tx, count};
    pub use crate::{LoadRelated, Related, Relation};
}

/// The guides in `docs/`, whose examples run as doctests.
#[cfg(doctest)]
mod guides {
    #[doc = include_str!("../../docs/query-language.md")]
    struct QueryLanguage;
    #[doc = include_str!("../../docs/aggregates.md")]
    struct Aggregates;
    #[doc = include_str!("../../docs/raw-sql.md")]
    struct RawSql;
    #[doc = include_str!("../../docs/migrations.md")]
    struct Migrations;
}

/// What the derive's generated code uses. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::backend::{Args, RowRef};
    pub use crate::model::{ColumnDef, ForeignKeyDef, OnDelete, SqlCache};
    /// The runtime of `#[orm_core::test]`.
    pub use crate::testing::{DATABASE_URL_VAR, database_name, run as run_test, run_on as run_test_on};
    pub use crate::value::{KeyField, KeyValue, SqlKind, SqlType};
    pub use crate::{BelongsTo, ForeignKey, ForeignKeyType};
    pub use crate::{Column, Error, FromRow, Model, Projection, Result, Row};

    /// Compile-time check that a field type is supported.
    pub fn __assert_sql_type<T: SqlType>() {}
    /// Reads column `name` of a row as `T`, for `#[derive(FromRow)]`.
    #[inline]
    pub fn get_named<T: SqlType>(row: &Row<'_>, name: &str) -> Result<T> {
        row.get(name)
    }

    /// Compile-time check that a primary-key type is supported.
    pub fn __assert_key_field<T: KeyField>() {}

    /// Decodes column `idx` as `T`, naming the table and column on failure.
    #[inline]
    pub fn decode<T: SqlType>(row: &RowRef<'_>, idx: usize, table: &str) -> Result<T> {
        T::decode(row, idx).map_err(|e| e.for_table(table))
    }

    /// Names the table in an error from decoding one of its columns (the derive decodes through
    /// `<T as SqlType>::decode` spanned on the field's type, then calls this).
    #[inline]
    pub fn decoded<T>(r: Result<T>, table: &str) -> Result<T> {
        r.map_err(|e| e.for_table(table))
    }
}
