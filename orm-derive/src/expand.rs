//! Generates the `Model` impl and the column constants from a checked [`Model`].
//!
//! Hygiene: every path is absolute (`::core::...`) or goes through the hidden module
//! `::orm_core::__private` (imported as `__orm` inside the `const _` block); locals are `__`
//! prefixed and primitive types spelled `::core::primitive::*`, so user items in scope (a
//! `const row`, a `type Result`, a `struct bool`) cannot capture them.
//!
//! Spans: everything that needs a trait of a field's type (`SqlType`, `KeyField`, `Default`) is
//! spanned on that type, so an unsupported type is one error pointing at the field, not a dozen
//! pointing at `#[derive(Model)]` (rustc merges identical errors on the same span).

use crate::ast::{Field, Model};
use crate::attr::OnDelete;
use crate::check;
use crate::ctxt::Ctxt;
use crate::fallback;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Visibility};

/// The whole expansion: parse, check, then generate, or on any error the errors plus a stub.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let model = Model::from_input(&mut cx, input);
    check::check(&mut cx, &model);
    match cx.finish() {
        None => generate(&model),
        Some(errors) => fallback::expand(&model, errors),
    }
}

/// `<T as __orm::SqlType>`, spanned on the field's type.
pub(crate) fn sql_type(f: &Field<'_>) -> TokenStream {
    let ty = f.ty;
    quote_spanned! {ty.span()=> <#ty as __orm::SqlType> }
}

/// `<T as __orm::KeyField>`, spanned on the key's type.
pub(crate) fn key_field(f: &Field<'_>) -> TokenStream {
    let ty = f.ty;
    quote_spanned! {ty.span()=> <#ty as __orm::KeyField> }
}

/// The column constants `pub const AGE: Column<User, Option<i32>>`, documented (so a crate with
/// `#![deny(missing_docs)]` can derive on a public struct).
pub(crate) fn column_consts(m: &Model<'_>) -> TokenStream {
    let name = m.ident;
    let (impl_generics, ty_generics, where_clause) = m.generics.split_for_impl();
    let mut seen = Vec::new();
    // A repeated constant name is reported by `check`; the fallback declares the first only.
    let consts = m.columns().filter(|f| {
        let name = f.const_name();
        let fresh = !seen.contains(&name);
        seen.push(name);
        fresh
    });
    let consts = consts.map(|f| {
        let ty = f.ty;
        let col = &f.column;
        let const_name = f.const_name();
        let doc = format!("The column `{col}` of table `{}` (field `{}`).", m.table, f.name);
        // A private field's column is usable wherever the struct is: a handle reveals no value.
        let vis = match f.vis {
            Visibility::Inherited | Visibility::Public(_) => m.vis,
            restricted => restricted,
        };
        quote! {
            #[doc = #doc]
            #vis const #const_name: __orm::Column<#name #ty_generics, #ty> = __orm::Column::new(#col);
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #name #ty_generics #where_clause {
            #(#consts)*
        }
    }
}

/// Wraps the generated items in `const _: () = { ... };` with the runtime imported as `__orm`.
pub(crate) fn wrap(items: TokenStream) -> TokenStream {
    quote! {
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
        const _: () = {
            use ::orm_core::__private as __orm;
            #items
        };
    }
}

fn generate(m: &Model<'_>) -> TokenStream {
    let name = m.ident;
    let table = &m.table;
    let cols: Vec<&Field<'_>> = m.columns().collect();
    // `check` guarantees exactly one primary key, and that it is a column.
    let Some(pk_idx) = cols.iter().position(|f| f.primary_key()) else {
        return TokenStream::new();
    };
    let pk = cols[pk_idx];
    let pk_ident = pk.ident;
    let pk_key = key_field(pk);

    let col_defs = cols.iter().map(|f| {
        let st = sql_type(f);
        let col = &f.column;
        let field = &f.name;
        let is_pk = f.primary_key();
        let unique = f.unique();
        let index = f.index();
        let max_length = match f.max_length() {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        let references = match f.belongs_to() {
            Some(parent) => {
                let od = match f.on_delete() {
                    OnDelete::NoAction => quote!(NoAction),
                    OnDelete::Cascade => quote!(Cascade),
                    OnDelete::SetNull => quote!(SetNull),
                    OnDelete::Restrict => quote!(Restrict),
                };
                let parent = quote_spanned! {parent.span()=> <#parent as __orm::Model> };
                quote! {
                    ::core::option::Option::Some(__orm::ForeignKeyDef {
                        parent: || (#parent::TABLE, #parent::COLUMNS[#parent::PRIMARY_KEY].name),
                        on_delete: __orm::OnDelete::#od,
                    })
                }
            }
            None => quote!(::core::option::Option::None),
        };
        quote! {
            __orm::ColumnDef {
                name: #col,
                field: #field,
                kind: #st::KIND,
                nullable: #st::NULLABLE,
                primary_key: #is_pk,
                auto_increment: #is_pk && #st::KIND.is_integer(),
                unique: #unique,
                index: #index,
                max_length: #max_length,
                references: #references,
            }
        }
    });

    let skipped: Vec<TokenStream> = m
        .fields
        .iter()
        .filter(|f| f.skip())
        .map(|f| {
            let ident = f.ident;
            let ty = f.ty;
            let default = quote_spanned! {ty.span()=> <#ty as ::core::default::Default>::default };
            quote! { #ident: #default() }
        })
        .collect();
    let decodes = cols.iter().enumerate().map(|(i, f)| {
        let ident = f.ident;
        let st = sql_type(f);
        quote! { #ident: __orm::decoded(#st::decode(__row, #i), #table)? }
    });
    let decodes_by_name = cols.iter().map(|f| {
        let ident = f.ident;
        let st = sql_type(f);
        let col = &f.column;
        quote! { #ident: __orm::decoded(#st::decode(__row, __row.index_of(#col)?), #table)? }
    });
    let binds = cols.iter().map(|f| {
        let ident = f.ident;
        let st = sql_type(f);
        if f.primary_key() {
            quote! { if __with_key { #st::bind(&self.#ident, __args)?; } }
        } else {
            quote! { #st::bind(&self.#ident, __args)?; }
        }
    });
    let pk_st = sql_type(pk);
    let consts = column_consts(m);

    // The whole item on the key's type: an unsupported key type is one error, on the field.
    let key_ty = pk.ty;
    let key_item = quote_spanned! {key_ty.span()=> type Key = #pk_key::Key; };

    wrap(quote! {
        #[automatically_derived]
        impl __orm::Model for #name {
            #key_item
            const TABLE: &'static ::core::primitive::str = #table;
            const COLUMNS: &'static [__orm::ColumnDef] = &[#(#col_defs),*];
            const PRIMARY_KEY: ::core::primitive::usize = #pk_idx;

            fn __sql_cache() -> &'static __orm::SqlCache {
                static __ORM_SQL: __orm::SqlCache = __orm::SqlCache::new();
                &__ORM_SQL
            }

            fn __from_row(__row: &__orm::RowRef<'_>) -> __orm::Result<Self> {
                ::core::result::Result::Ok(Self {
                    #(#decodes,)*
                    #(#skipped,)*
                })
            }

            fn __from_row_by_name(__row: &__orm::RowRef<'_>) -> __orm::Result<Self> {
                ::core::result::Result::Ok(Self {
                    #(#decodes_by_name,)*
                    #(#skipped,)*
                })
            }

            fn __bind(&self, __args: &mut __orm::Args, __with_key: ::core::primitive::bool) -> __orm::Result<()> {
                #(#binds)*
                ::core::result::Result::Ok(())
            }

            fn __bind_key(&self, __args: &mut __orm::Args) -> __orm::Result<()> {
                #pk_st::bind(&self.#pk_ident, __args)
            }

            fn __key_unset(&self) -> ::core::primitive::bool {
                #pk_key::is_unset(&self.#pk_ident)
            }

            fn __set_generated_key(&mut self, __id: ::core::primitive::i64) -> __orm::Result<()> {
                #pk_key::set_generated(&mut self.#pk_ident, __id)
            }
        }

        #consts
    })
}
