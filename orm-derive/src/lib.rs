//! `#[derive(Model)]` for orm-core. Use it through `orm_core::Model`; this crate is not meant to
//! be depended on directly.
//!
//! The expansion runs in stages: [`ast`] parses the struct and its `#[orm(...)]` attributes into
//! a model description, reporting every misuse at once with a span on the offending tokens;
//! [`expand`] generates the `Model` impl and the column constants from that description.

mod ast;
mod case;
mod expand;
mod from_row;

use proc_macro::TokenStream;

/// Derives `orm_core::Model` for a struct with named fields. See orm-core's documentation for
/// the `#[orm(...)]` attributes.
#[proc_macro_derive(Model, attributes(orm))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

/// Derives `orm_core::FromRow` (read a row by column name) and `orm_core::Projection` (the
/// columns it reads) for a struct with named fields: a smaller struct than a model for
/// `Query::select_as`, or any row shape for raw SQL. Keys: `#[orm(rename_all = "...")]` on the
/// struct, `#[orm(column = "...")]` on a field.
#[proc_macro_derive(FromRow, attributes(orm))]
pub fn derive_from_row(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    from_row::derive(&input)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}
