//! Generates the `Model` impl and the column constants from a validated [`ModelDef`].

use crate::ast::{self, FieldDef, ModelDef, OnDelete};
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
    // Positions in COLUMNS of the key fields, in key order (validated to exist by `ast`).
    let key_idxs: Vec<usize> = m
        .key
        .iter()
        .filter_map(|k| cols.iter().position(|f| f.ident == *k))
        .collect();
    let composite = key_idxs.len() > 1;
    let pk_idx = key_idxs.first().copied().unwrap_or(0);
    let pk = cols[pk_idx];
    let pk_ident = &pk.ident;
    let pk_ty = &pk.ty;

    // Trait obligations sit on the field's own span, so "not a supported column type" points at it.
    let asserts = cols.iter().map(|f| {
        let ty = &f.ty;
        quote_spanned! {ty.span()=> __orm::__assert_sql_type::<#ty>(); }
    });
    let key_assert = if composite {
        quote!()
    } else {
        quote_spanned! {pk_ty.span()=> __orm::__assert_key_field::<#pk_ty>(); }
    };

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
                auto_increment: #is_pk && !#composite && <#ty as __orm::SqlType>::KIND.is_integer(),
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
    let decodes_by_name: Vec<_> = cols.iter().map(|f| {
        let ident = &f.ident;
        let ty = &f.ty;
        let col = &f.column;
        quote! { #ident: __orm::decode::<#ty>(row, row.index_of(#col)?, #table)? }
    }).collect();
    let skipped: Vec<_> = m.fields.iter().filter(|f| f.skip).map(|f| {
        let ident = &f.ident;
        let ty = &f.ty;
        quote_spanned! {ty.span()=> #ident: <#ty as ::core::default::Default>::default() }
    }).collect();

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

    // The key: one field (whose KeyField impl knows "unset" and generated keys), or a tuple.
    let key_fields: Vec<_> = key_idxs.iter().map(|&i| &cols[i].ident).collect();
    let key_types: Vec<_> = key_idxs.iter().map(|&i| &cols[i].ty).collect();
    let key_items = if composite {
        let table_msg =
            format!("`{table}` has a composite primary key, which the database does not generate");
        quote! {
            type Key = (#(#key_types,)*);

            fn __bind_key(&self, args: &mut __orm::Args) -> __orm::Result<()> {
                #(__orm::SqlType::bind(&self.#key_fields, args)?;)*
                ::core::result::Result::Ok(())
            }

            fn __key_unset(&self) -> bool {
                false
            }

            fn __key(&self) -> ::core::option::Option<Self::Key> {
                ::core::option::Option::Some((#(::core::clone::Clone::clone(&self.#key_fields),)*))
            }

            fn __set_generated_key(&mut self, _id: i64) -> __orm::Result<()> {
                ::core::result::Result::Err(__orm::Error::Unsupported(::std::string::String::from(#table_msg)))
            }
        }
    } else {
        quote! {
            type Key = <#pk_ty as __orm::KeyField>::Key;

            fn __bind_key(&self, args: &mut __orm::Args) -> __orm::Result<()> {
                __orm::SqlType::bind(&self.#pk_ident, args)
            }

            fn __key_unset(&self) -> bool {
                __orm::KeyField::is_unset(&self.#pk_ident)
            }

            fn __key(&self) -> ::core::option::Option<Self::Key> {
                __orm::KeyField::key(&self.#pk_ident)
            }

            fn __set_generated_key(&mut self, id: i64) -> __orm::Result<()> {
                __orm::KeyField::set_generated(&mut self.#pk_ident, id)
            }
        }
    };

    let relations = relations(m, vis, &cols);

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
                const TABLE: &'static str = #table;
                const COLUMNS: &'static [__orm::ColumnDef] = &[#(#col_defs),*];
                const PRIMARY_KEY: usize = #pk_idx;
                const KEY_COLUMNS: &'static [usize] = &[#(#key_idxs),*];

                #key_items

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

            }

            #[automatically_derived]
            impl #name {
                #(#consts)*
            }

            #relations
        };
    }
}

/// Per `belongs_to` field: a [`ForeignKey`] constant on the child, and an `impl BelongsTo<Parent>`
/// when it is the child's only foreign key to that parent.
fn relations(m: &ModelDef, vis: &syn::Visibility, cols: &[&FieldDef]) -> TokenStream {
    let name = &m.ident;
    let fks: Vec<(&FieldDef, &syn::Path)> = cols
        .iter()
        .filter_map(|f| f.belongs_to.as_ref().map(|p| (*f, p)))
        .collect();
    // Parents named by the same last path segment are taken to be the same type.
    let parent_name = |p: &syn::Path| {
        p.segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default()
    };
    let field_names: Vec<String> = cols.iter().map(|f| field_name(f)).collect();
    let mut consts = Vec::new();
    let mut impls = Vec::new();
    for (f, parent) in &fks {
        let ident = &f.ident;
        let ty = &f.ty;
        let col = &f.column;
        let field = field_name(f);
        let rel = match field.strip_suffix("_id") {
            Some(base) if !base.is_empty() && !field_names.iter().any(|n| n == base) => {
                base.to_uppercase()
            }
            _ => format!("{}_REL", field.to_uppercase()),
        };
        let rel = format_ident!("{}", rel, span = ident.span());
        let doc = format!(
            "The relation to the parent `{}` through the field `{field}` (column `{col}`).",
            parent_name(parent)
        );
        let fvis = if matches!(f.vis, syn::Visibility::Inherited) {
            vis
        } else {
            &f.vis
        };
        let key = quote!(<#parent as __orm::Model>::Key);
        // The obligations sit on the field's type: "cannot hold the parent's key" points at it.
        let get = quote_spanned! {ty.span()=>
            |c: &#name| <#ty as __orm::ForeignKeyType<#key>>::parent_key(&c.#ident)
        };
        let set = quote_spanned! {ty.span()=>
            |c: &mut #name, k: #key| { c.#ident = <#ty as __orm::ForeignKeyType<#key>>::from_parent_key(k); }
        };
        consts.push(quote! {
            #[doc = #doc]
            #fvis const #rel: __orm::ForeignKey<#name, #parent, #ty> = __orm::ForeignKey::__new(#col, #get, #set);
        });
        let same_parent = fks
            .iter()
            .filter(|(_, p)| parent_name(p) == parent_name(parent))
            .count();
        if same_parent == 1 {
            impls.push(quote! {
                #[automatically_derived]
                impl __orm::BelongsTo<#parent> for #name {
                    type Field = #ty;
                    const FOREIGN_KEY: __orm::ForeignKey<#name, #parent, #ty> = #name::#rel;
                }
            });
        }
    }
    if consts.is_empty() {
        return quote!();
    }
    quote! {
        #[automatically_derived]
        impl #name {
            #(#consts)*
        }

        #(#impls)*
    }
}

/// The field's name without `r#`.
fn field_name(f: &FieldDef) -> String {
    let s = f.ident.to_string();
    s.strip_prefix("r#").unwrap_or(&s).to_owned()
}
