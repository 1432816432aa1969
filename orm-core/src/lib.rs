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
//! composite keys; `docs/migrations.md` covers schema migrations and introspection ([`migrate`]);
//! `docs/types-and-lifecycle.md` covers enums, newtypes and JSON fields, defaults,
//! composite constraints, timestamps, optimistic locking, soft delete and hooks.

#![warn(missing_docs)]

extern crate self as orm_core;

mod backend;
mod bulk;
mod db;
mod error;
#[cfg(feature = "json")]
mod json;
mod lifecycle;
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
#[cfg(feature = "json")]
pub use json::Json;
pub use lifecycle::{ColumnSet, ModelHooks, SoftDeleteField, Timestamp, VersionField};
pub use model::{ColumnDef, ForeignKeyDef, Model, OnDelete, create_table_sql, crud_sql};
/// Embeds a migration folder at compile time: `orm_core::migrations!("migrations")` is a
/// `Result<migrate::Migrator>`; a broken history fails the build (see [`migrate`]).
pub use orm_derive::migrations;
/// `#[orm_core::test]`: an async test that gets a fresh database (see `docs/web-apps.md`).
pub use orm_derive::test;
pub use orm_derive::{FromRow, Model, SqlType};
pub use query::join::{IntoNullable, JoinQuery, JoinSelect, Table};
pub use query::{
    Assignment, Column, Comparable, Cond, Expr, ExprList, IntoExpr, Numeric, Order, Page, Query, RowStream,
    SelectQuery, Selection, TextColumn, count, escape_like,
};
pub use raw::{Param, Raw, raw};
pub use relation::{
    BelongsTo, Children, ForeignKey, ForeignKeyType, LoadRelated, ManyToMany, ParentOf, Related, Relation, RelationKey,
};
pub use row::{FromRow, Projection, Row, RowIndex};
pub use value::{IntoKey, IntoValue, SqlKind, SqlLiteral, SqlType, Value};

/// Everything an application needs: `use orm_core::prelude::*;`.
pub mod prelude {
    /// The trait and its derive (`#[derive(SqlType)]` for an enum or a newtype).
    pub use crate::SqlType;
    pub use crate::Table;
    pub use crate::{Column, Cond, Db, Error, Executor, Expr, FromRow, Model, Order, Query, Result, Tx, count};
    pub use crate::{LoadRelated, Related, Relation};
}

/// Typed joins (see [`Query::join`]): the traits and markers that type-check them. The ones an
/// application names are also at the crate root ([`Table`], [`JoinQuery`], [`JoinSelect`],
/// [`IntoNullable`]) and the alias macro is [`alias!`](crate::alias).
pub mod join {
    pub use crate::query::join::{
        AnyOf, Explicit, HasTable, Here, HereNullable, IntoNullable, JoinOn, JoinQuery, JoinSelect, JoinSelection,
        JoinTarget, MaybeMissing, Nullable, Presence, Present, Table, There, ToChildren, ToParent,
    };
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
    /// Needs the `chrono` and `json` features (on when the workspace is tested together).
    #[cfg(all(feature = "chrono", feature = "json"))]
    #[doc = include_str!("../../docs/types-and-lifecycle.md")]
    struct TypesAndLifecycle;
}

/// What the derive's generated code uses. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::backend::{Args, RowRef};
    pub use crate::model::{ColumnDef, ForeignKeyDef, OnDelete, SqlCache};
    /// The runtime of `#[orm_core::test]`.
    pub use crate::testing::{
        DATABASE_URL_VAR, database_name, run as run_test, run_migrated as run_test_migrated, run_on as run_test_on,
    };
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

    pub use crate::Comparable;
    pub use crate::IntoNullable;
    pub use crate::lifecycle::{ModelHooks, SoftDeleteField, Timestamp, VersionField, WriteCtx};
    pub use crate::value::{SqlLiteral, Value};

    /// Binds text without a copy (the derive's text enums).
    #[inline]
    pub fn bind_str(args: &mut Args, s: &str) -> Result<()> {
        args.push_str(s)
    }

    /// Binds a label of the PostgreSQL enum type `name` (the derive's `pg_enum` enums): that
    /// type on PostgreSQL, text elsewhere.
    #[inline]
    pub fn bind_enum_label(args: &mut Args, name: &'static str, s: &str) -> Result<()> {
        args.push_enum_label(name, s)
    }

    /// Reads the label of a `pg_enum` enum's column (of the enum type on PostgreSQL, text elsewhere).
    #[inline]
    pub fn decode_enum_label(row: &RowRef<'_>, idx: usize) -> Result<::std::string::String> {
        crate::backend::decode_enum_label(row, idx)
    }

    /// The [`Error::Decode`] of a text or integer that names no variant of enum `ty`.
    pub fn unknown_variant(
        row: &RowRef<'_>,
        idx: usize,
        ty: &str,
        value: &dyn ::core::fmt::Debug,
        expected: &str,
    ) -> Error {
        crate::backend::in_column(
            row,
            idx,
            Error::InvalidValue(format!("{value:?} is not a value of enum `{ty}` (expected {expected})")),
        )
    }

    /// The error of `from_value` for a value that names no variant of enum `ty`.
    pub fn invalid_variant(ty: &str, value: &dyn ::core::fmt::Debug, expected: &str) -> Error {
        Error::InvalidValue(format!("{value:?} is not a value of enum `{ty}` (expected {expected})"))
    }

    /// Whether `lit` is a value of `T`'s column kind (and among its allowed values, if any):
    /// the derive's compile-time check of `#[orm(default = ...)]`.
    pub const fn default_fits<T: SqlType>(lit: SqlLiteral) -> bool {
        let kind_ok = match lit {
            SqlLiteral::Text(_) => matches!(T::KIND, SqlKind::Text),
            SqlLiteral::Bool(_) => matches!(T::KIND, SqlKind::Bool),
            SqlLiteral::Float(_) => matches!(T::KIND, SqlKind::F32 | SqlKind::F64 | SqlKind::Decimal),
            SqlLiteral::Int(n) => match T::KIND {
                SqlKind::I8 => n >= i8::MIN as i64 && n <= i8::MAX as i64,
                SqlKind::I16 => n >= i16::MIN as i64 && n <= i16::MAX as i64,
                SqlKind::I32 => n >= i32::MIN as i64 && n <= i32::MAX as i64,
                SqlKind::I64 | SqlKind::F32 | SqlKind::F64 | SqlKind::Decimal => true,
                _ => false,
            },
        };
        if !kind_ok {
            return false;
        }
        if T::ALLOWED.is_empty() {
            return true;
        }
        let mut i = 0;
        while i < T::ALLOWED.len() {
            if literal_eq(&T::ALLOWED[i], &lit) {
                return true;
            }
            i += 1;
        }
        false
    }

    const fn literal_eq(a: &SqlLiteral, b: &SqlLiteral) -> bool {
        match (a, b) {
            (SqlLiteral::Text(x), SqlLiteral::Text(y)) => {
                let (x, y) = (x.as_bytes(), y.as_bytes());
                if x.len() != y.len() {
                    return false;
                }
                let mut i = 0;
                while i < x.len() {
                    if x[i] != y[i] {
                        return false;
                    }
                    i += 1;
                }
                true
            }
            (SqlLiteral::Int(x), SqlLiteral::Int(y)) => *x == *y,
            (SqlLiteral::Bool(x), SqlLiteral::Bool(y)) => *x == *y,
            _ => false,
        }
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
