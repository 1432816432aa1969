//! What the derive emits when the input has errors: the errors, plus a stub `Model` impl, the
//! column constants and the relation constants (with `BelongsTo`), so that code using the model
//! (`User::query()`, `User::AGE`, `u.save(..)`, `Album::ARTIST`, `album.parent::<Artist>(..)`)
//! type-checks and the user sees the attribute errors alone instead of a flood of "no function
//! named `query`" follow-ons (as thiserror does in `impl/src/fallback.rs`). The stub's bodies
//! are never run: a crate with a `compile_error!` does not build.

use crate::ast::Model;
use crate::expand::{column_consts, key_field, relation_items, wrap};
use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn expand(m: &Model<'_>, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    let name = m.ident;
    let table = &m.table;
    let generic = !m.generics.params.is_empty();

    // The key type of the one primary key, or the tuple of a composite key's, when there is one,
    // so `find(db, key)` checks as it will once the errors are fixed.
    let key_fields = m.key_fields();
    let key = match key_fields.as_slice() {
        _ if generic => quote!(::core::primitive::i64),
        [pk] if m.composite_key.is_none() && m.primary_keys().count() == 1 => {
            let kf = key_field(pk);
            quote!(#kf::Key)
        }
        [_, _, ..] if m.composite_key.is_some() && key_fields.iter().all(|f| !f.is_option()) => {
            let types = key_fields.iter().map(|f| f.ty);
            quote!((#(#types,)*))
        }
        _ => quote!(::core::primitive::i64),
    };

    // A generic struct gets the impl only where it could hold (no trivially false bounds).
    let mut generics = m.generics.clone();
    if generic {
        let (_, ty_generics, _) = m.generics.split_for_impl();
        generics.make_where_clause().predicates.push(syn::parse_quote! {
            #name #ty_generics: ::core::marker::Send + ::core::marker::Sync + ::core::marker::Unpin + 'static
        });
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let consts = if m.named { column_consts(m) } else { TokenStream::new() };
    let relations = if m.named && !generic { relation_items(m, true) } else { TokenStream::new() };

    let stub = wrap(quote! {
        #[automatically_derived]
        impl #impl_generics __orm::Model for #name #ty_generics #where_clause {
            type Key = #key;
            const TABLE: &'static ::core::primitive::str = #table;
            const COLUMNS: &'static [__orm::ColumnDef] = &[];
            const PRIMARY_KEY: ::core::primitive::usize = 0;
            fn __sql_cache() -> &'static __orm::SqlCache {
                ::core::unreachable!()
            }
            fn __from_row(_: &__orm::RowRef<'_>) -> __orm::Result<Self> {
                ::core::unreachable!()
            }
            fn __from_row_by_name(_: &__orm::RowRef<'_>) -> __orm::Result<Self> {
                ::core::unreachable!()
            }
            fn __bind(&self, _: &mut __orm::Args, _: ::core::primitive::bool) -> __orm::Result<()> {
                ::core::unreachable!()
            }
            fn __bind_key(&self, _: &mut __orm::Args) -> __orm::Result<()> {
                ::core::unreachable!()
            }
            fn __key_unset(&self) -> ::core::primitive::bool {
                ::core::unreachable!()
            }
            fn __key(&self) -> ::core::option::Option<Self::Key> {
                ::core::unreachable!()
            }
            fn __set_generated_key(&mut self, _: ::core::primitive::i64) -> __orm::Result<()> {
                ::core::unreachable!()
            }
        }

        #consts

        #relations
    });
    quote! {
        #errors
        #stub
    }
}
