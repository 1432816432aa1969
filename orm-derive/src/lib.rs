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
mod sql_type;

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

/// Derives `orm_core::SqlType` for an enum of unit variants (stored as text: the variant names,
/// or `#[orm(rename_all = "snake_case")]`, `#[orm(rename = "...")]` on a variant; or with
/// `#[orm(repr = "i16")]` as the integer discriminants) or for a newtype `struct UserId(i64);`
/// (stored as its inner type).
#[proc_macro_derive(SqlType, attributes(orm))]
pub fn derive_sql_type(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    sql_type::derive(&input).into()
}

#[cfg(test)]
mod tests;
