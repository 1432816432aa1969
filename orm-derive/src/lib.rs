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

use proc_macro::TokenStream;

/// Derives `orm_core::Model` for a struct with named fields. See orm-core's documentation for
/// the `#[orm(...)]` attributes.
#[proc_macro_derive(Model, attributes(orm))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}

#[cfg(test)]
mod tests;
