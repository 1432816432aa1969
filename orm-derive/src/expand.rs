//! Generates the `Model` impl and the column constants from a validated [`ModelDef`].

use crate::ast::{self, ModelDef, OnDelete};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

/// The whole expansion: parse, validate, generate.
pub(crate) fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let model = ast::parse(input)?;
    Ok(generate(&model, &input.vis))
}

fn generate(m: &ModelDef, vis: &syn::Visibility) -> TokenStream {
    let name = &m.ident;
    let table = &m.table;
    let cols: Vec<_> = m.columns().collect();
    let pk_idx = cols.iter().position(|f| f.primary_key).unwrap_or(0);
    let pk = cols[pk_idx];
    let pk_ident = &pk.ident;
    let pk_ty = &pk.ty;

    // Trait obligations sit on the field's own span, so "not a supported column type" points at it.
    let asserts = cols.iter().map(|f| {
        let ty = &f.ty;
        quote_spanned! {ty.span()=> __orm::__assert_sql_type::<#ty>(); }
    });
    let key_assert = quote_spanned! {pk_ty.span()=> __orm::__assert_key_field::<#pk_ty>(); };

    let col_defs = cols.iter().map(|f| {
        let ty = &f.ty;
        let col = &f.column;
        let field = f.ident.to_string();
        let field = field.strip_prefix("r#").unwrap_or(&field);
        let is_pk = f.primary_key;
        let unique = f.unique;
        let index = f.index;
        let max_length = match f.max_length {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        let references = match &f.belongs_to {
            Some(parent) => {
                let od = match f.on_delete {
                    OnDelete::NoAction => quote!(NoAction),
                    OnDelete::Cascade => quote!(Cascade),
                    OnDelete::SetNull => quote!(SetNull),
                    OnDelete::Restrict => quote!(Restrict),
                };
                quote_spanned! {parent.span()=>
                    ::core::option::Option::Some(__orm::ForeignKeyDef {
                        parent: || (
                            <#parent as __orm::Model>::TABLE,
                            <#parent as __orm::Model>::COLUMNS[<#parent as __orm::Model>::PRIMARY_KEY].name,
                        ),
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
                kind: <#ty as __orm::SqlType>::KIND,
                nullable: <#ty as __orm::SqlType>::NULLABLE,
                primary_key: #is_pk,
                auto_increment: #is_pk && <#ty as __orm::SqlType>::KIND.is_integer(),
                unique: #unique,
                index: #index,
                max_length: #max_length,
                references: #references,
            }
        }
    });

    let decodes = cols.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        let ty = &f.ty;
        quote! { #ident: __orm::decode::<#ty>(row, #i, #table)? }
    });
    let decodes_by_name: Vec<_> = cols
        .iter()
        .map(|f| {
            let ident = &f.ident;
            let ty = &f.ty;
            let col = &f.column;
            quote! { #ident: __orm::decode::<#ty>(row, row.index_of(#col)?, #table)? }
        })
        .collect();
    let skipped: Vec<_> = m
        .fields
        .iter()
        .filter(|f| f.skip)
        .map(|f| {
            let ident = &f.ident;
            let ty = &f.ty;
            quote_spanned! {ty.span()=> #ident: <#ty as ::core::default::Default>::default() }
        })
        .collect();

    let binds = cols.iter().map(|f| {
        let ident = &f.ident;
        if f.primary_key {
            quote! { if with_key { __orm::SqlType::bind(&self.#ident, args)?; } }
        } else {
            quote! { __orm::SqlType::bind(&self.#ident, args)?; }
        }
    });

    let consts = cols.iter().map(|f| {
        let ty = &f.ty;
        let col = &f.column;
        let field = f.ident.to_string();
        let field = field.strip_prefix("r#").unwrap_or(&field).to_owned();
        let const_name = format_ident!("{}", field.to_uppercase(), span = f.ident.span());
        let doc = format!("The column `{col}` (field `{field}`).");
        let fvis = if matches!(f.vis, syn::Visibility::Inherited) { vis } else { &f.vis };
        quote! {
            #[doc = #doc]
            #fvis const #const_name: __orm::Column<#name, #ty> = __orm::Column::new(#col);
        }
    });

    quote! {
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
        const _: () = {
            use ::orm_core::__private as __orm;

            fn __orm_assertions() {
                #(#asserts)*
                #key_assert
            }

            #[automatically_derived]
            impl __orm::Model for #name {
                type Key = <#pk_ty as __orm::KeyField>::Key;
                const TABLE: &'static str = #table;
                const COLUMNS: &'static [__orm::ColumnDef] = &[#(#col_defs),*];
                const PRIMARY_KEY: usize = #pk_idx;

                fn __sql_cache() -> &'static __orm::SqlCache {
                    static CACHE: __orm::SqlCache = __orm::SqlCache::new();
                    &CACHE
                }

                fn __from_row(row: &__orm::RowRef<'_>) -> __orm::Result<Self> {
                    ::core::result::Result::Ok(Self {
                        #(#decodes,)*
                        #(#skipped,)*
                    })
                }

                fn __from_row_by_name(row: &__orm::RowRef<'_>) -> __orm::Result<Self> {
                    ::core::result::Result::Ok(Self {
                        #(#decodes_by_name,)*
                        #(#skipped,)*
                    })
                }

                fn __bind(&self, args: &mut __orm::Args, with_key: bool) -> __orm::Result<()> {
                    #(#binds)*
                    ::core::result::Result::Ok(())
                }

                fn __bind_key(&self, args: &mut __orm::Args) -> __orm::Result<()> {
                    __orm::SqlType::bind(&self.#pk_ident, args)
                }

                fn __key_unset(&self) -> bool {
                    __orm::KeyField::is_unset(&self.#pk_ident)
                }

                fn __set_generated_key(&mut self, id: i64) -> __orm::Result<()> {
                    __orm::KeyField::set_generated(&mut self.#pk_ident, id)
                }
            }

            #[automatically_derived]
            impl #name {
                #(#consts)*
            }
        };
    }
}
