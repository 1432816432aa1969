//! `#[derive(Model)]` for orm-core. Use it through `orm_core::Model`; this crate is not meant to
//! be depended on directly.
//!
//! The expansion runs in stages, one file each:
//! * `attr` parses the `#[orm(...)]` attributes (unknown, duplicate and malformed keys);
//! * `ast` builds the model description: shape, table, fields and their columns;
//! * `check` validates the rules between keys and fields (one primary key, no column twice...);
//! * `expand` generates the `Model` impl and the column constants, or on error `fallback`
//!   emits every error (collected in `ctxt`) with a stub impl that silences follow-on errors.

mod ast;
mod attr;
mod case;
mod check;
mod ctxt;
mod expand;
mod fallback;
mod from_row;
mod migrations;
mod sql_type;
mod test_attr;

use proc_macro::TokenStream;

/// Derives `orm_core::Model` for a struct with named fields. See orm-core's documentation for
/// the `#[orm(...)]` attributes.
#[proc_macro_derive(Model, attributes(orm))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}

/// Derives `orm_core::FromRow` (read a row by column name) and `orm_core::Projection` (the
/// columns it reads) for a struct with named fields: a smaller struct than a model for
/// `Query::select_as`, or any row shape for raw SQL. Keys: `#[orm(rename_all = "...")]` on the
/// struct, `#[orm(column = "...")]` on a field.
#[proc_macro_derive(FromRow, attributes(orm))]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    from_row::derive(&input).unwrap_or_else(|e| e.to_compile_error()).into()
}

/// An async test that gets a fresh database, as `#[sqlx::test]` does for sqlx:
///
/// ```ignore
/// #[orm_core::test]
/// async fn creates_a_post(db: orm_core::Db) -> orm_core::Result<()> {
///     Post::create_table(&db).await?;
///     // ...
///     Ok(())
/// }
/// ```
///
/// The function must be `async`, take one argument (the [`Db`]) and return a `Result<(), E>`
/// whose `E` is `Display` (an `Err` fails the test, printing it). It runs on a current-thread
/// tokio runtime of its own, with:
///
/// * by default, or when `ORM_TEST_DATABASE_URL` is a `sqlite:` URL: a new in-memory SQLite
///   database;
/// * when `ORM_TEST_DATABASE_URL` names a PostgreSQL or MySQL/MariaDB server
///   (`postgres://postgres@127.0.0.1:5432`): a new database on it, named after the test's path
///   (`my_crate__tests__creates_a_post_1a2b3c4d`), created before the test and dropped after it
///   passes; a failing test leaves it for inspection and prints its name.
///
/// `#[orm_core::test(migrations = "migrations")]` applies the migrations of that folder (relative
/// to the crate's `Cargo.toml`, embedded and checked at compile time as by `migrations!`) to the
/// fresh database before the body runs; a missing folder or a broken history fails the build.
///
/// [`Db`]: https://docs.rs/orm-core/latest/orm_core/struct.Db.html
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_attr::expand(args.into(), item.into()).into()
}

/// `orm_core::migrations!("migrations")`: the migration folder (relative to the crate's
/// `Cargo.toml`) embedded in the binary, as a `Result<orm_core::migrate::Migrator>`. A broken
/// history (a badly named file, a gap, a duplicate number, a wrong id or parent, a snapshot that
/// its operations do not give) fails the build, naming the file.
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    migrations::expand(input.into()).into()
}

/// Derives `orm_core::SqlType` for an enum of unit variants (stored as text: the variant names,
/// or `#[orm(rename_all = "snake_case")]`, `#[orm(rename = "...")]` on a variant; or with
/// `#[orm(repr = "i16")]` as the integer discriminants; a text enum with
/// `#[orm(pg_enum = "type_name")]` is of that native enum type on PostgreSQL) or for a newtype
/// `struct UserId(i64);` (stored as its inner type).
#[proc_macro_derive(SqlType, attributes(orm))]
pub fn derive_sql_type(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    sql_type::derive(&input).into()
}

#[cfg(test)]
mod tests;
