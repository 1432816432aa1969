//! Generates the `Model` impl, the column constants, and per `belongs_to` field a relation
//! constant (and `BelongsTo<Parent>`) from a checked [`Model`].
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
use crate::attr::{DefaultLit, OnDelete};
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
        let vis = const_vis(m, f);
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

/// The visibility of a constant for field `f`: a private field's column or relation is usable
/// wherever the struct is (a handle reveals no value).
fn const_vis<'a>(m: &'a Model<'_>, f: &'a Field<'_>) -> &'a Visibility {
    match f.vis {
        Visibility::Inherited | Visibility::Public(_) => m.vis,
        restricted => restricted,
    }
}

/// Per `belongs_to` field, the relation constant `pub const ARTIST: ForeignKey<Album, Artist,
/// i64>`, and `impl BelongsTo<Artist> for Album` when it is the model's only foreign key to that
/// parent. With `stub`, the constants' accessors are never-called stubs (for the fallback, so
/// that code naming them type-checks without more errors about the fields).
///
/// Spans: what needs the parent to be a model is spanned on the parent's path, and the
/// conversions between the field and the parent's key on the field's type (a field that cannot
/// hold the parent's key is an error there).
pub(crate) fn relation_items(m: &Model<'_>, stub: bool) -> TokenStream {
    let name = m.ident;
    let mut consts = Vec::new();
    let mut impls = Vec::new();
    let mut seen = Vec::new();
    for (f, parent) in m.foreign_keys() {
        let ident = f.ident;
        let ty = f.ty;
        let col = &f.column;
        let rel = m.relation_const_name(f);
        // A clash of names is reported by `check`; the fallback declares the first only.
        if seen.contains(&rel) || m.columns().any(|c| c.const_name() == rel) {
            continue;
        }
        seen.push(rel.clone());
        let parent_name = parent.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        let doc =
            format!("The relation to the parent `{parent_name}` through the field `{}` (column `{col}`).", f.name);
        let vis = const_vis(m, f);
        let key = quote_spanned! {parent.span()=> <#parent as __orm::Model>::Key };
        let (get, set) = if stub {
            (
                quote! { |_: &#name| -> ::core::option::Option<#key> { ::core::unreachable!() } },
                quote! { |_: &mut #name, _: #key| ::core::unreachable!() },
            )
        } else {
            let fk = quote_spanned! {ty.span()=> <#ty as __orm::ForeignKeyType<#key>> };
            (
                quote! { |__c: &#name| #fk::parent_key(&__c.#ident) },
                quote! { |__c: &mut #name, __k: #key| { __c.#ident = #fk::from_parent_key(__k); } },
            )
        };
        let fk_ty = quote_spanned! {parent.span()=> __orm::ForeignKey<#name, #parent, #ty> };
        consts.push(quote! {
            #[doc = #doc]
            #vis const #rel: #fk_ty = __orm::ForeignKey::__new(#col, #get, #set);
        });
        if m.only_foreign_key_to_parent(parent) {
            let belongs_to = quote_spanned! {parent.span()=> __orm::BelongsTo<#parent> };
            impls.push(quote! {
                #[automatically_derived]
                impl #belongs_to for #name {
                    type Field = #ty;
                    const FOREIGN_KEY: #fk_ty = #name::#rel;
                }
            });
        }
    }
    if consts.is_empty() {
        return TokenStream::new();
    }
    quote! {
        #[automatically_derived]
        impl #name {
            #(#consts)*
        }

        #(#impls)*
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
    // `check` guarantees one primary-key column, or at least two for a composite key.
    let key_fields = m.key_fields();
    let key_idxs: Vec<usize> = key_fields.iter().filter_map(|k| cols.iter().position(|f| f.ident == k.ident)).collect();
    let Some(&pk_idx) = key_idxs.first() else {
        return TokenStream::new();
    };
    let composite = key_idxs.len() > 1;

    let col_defs = cols.iter().map(|f| {
        let st = sql_type(f);
        let col = &f.column;
        let field = &f.name;
        let is_pk = f.in_key;
        // A composite key is never generated by the database.
        let generated = is_pk && !composite;
        let unique = f.unique();
        let index = f.index();
        let max_length = match f.max_length() {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        let renamed_from = match f.renamed_from() {
            Some(old) => quote!(::core::option::Option::Some(#old)),
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
        let default = match f.attrs.default.as_ref().map(|a| &a.value) {
            Some(d) => {
                let lit = default_literal(d);
                quote!(::core::option::Option::Some(#lit))
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
                auto_increment: #generated && #st::KIND.is_integer(),
                unique: #unique,
                index: #index,
                max_length: #max_length,
                references: #references,
                renamed_from: #renamed_from,
                default: #default,
                allowed: #st::ALLOWED,
                pg_enum: #st::PG_ENUM,
            }
        }
    });
    // A `default` that is not a value of the field's type is a compile error on the literal.
    let default_checks = cols.iter().filter_map(|f| {
        let a = f.attrs.default.as_ref()?;
        let lit = default_literal(&a.value);
        let ty = f.ty;
        let msg = format!(
            "`default` of field `{}` is not a value of its type `{}`",
            f.name,
            quote!(#ty).to_string().replace(' ', "")
        );
        Some(quote_spanned! {a.value_span=>
            const _: () = ::core::assert!(__orm::default_fits::<#ty>(#lit), #msg);
        })
    });
    let lists = |lists: &[crate::attr::Attr<Vec<syn::Ident>>]| {
        let lists = lists.iter().map(|l| {
            let cols = m.list_columns(&l.value);
            quote!(&[#(#cols),*])
        });
        quote!(&[#(#lists),*])
    };
    let unique_together = lists(&m.unique_together);
    let indexes = lists(&m.indexes);

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
        if f.in_key {
            quote! { if __with_key { #st::bind(&self.#ident, __args)?; } }
        } else {
            quote! { #st::bind(&self.#ident, __args)?; }
        }
    });
    let renamed_table = m.renamed_from.as_ref().map(|old| {
        quote! { const RENAMED_FROM: ::core::option::Option<&'static ::core::primitive::str> = ::core::option::Option::Some(#old); }
    });
    let consts = column_consts(m);
    let relations = relation_items(m, false);
    let key_items = key_items(m, &key_fields);
    let managed = managed_items(&cols);
    // `#[orm(hooks)]`: the model's `ModelHooks` methods, called where the runtime asks (the
    // bound is spanned on the key, so a missing impl points there).
    let (after_load, hook_items) = match m.hooks {
        Some(span) => {
            let hooks = quote_spanned! {span=> <#name as __orm::ModelHooks> };
            (
                quote! { #hooks::after_load(&mut __m)?; },
                quote! {
                    fn __before_insert(&mut self) -> __orm::Result<()> {
                        #hooks::before_insert(self)
                    }
                    fn __before_update(&mut self) -> __orm::Result<()> {
                        #hooks::before_update(self)
                    }
                    fn __prepare_many(
                        __rows: &[Self],
                    ) -> __orm::Result<::core::option::Option<::std::vec::Vec<Self>>> {
                        let mut __out = ::std::vec::Vec::with_capacity(__rows.len());
                        for __r in __rows {
                            let mut __r = ::core::clone::Clone::clone(__r);
                            #hooks::before_insert(&mut __r)?;
                            __out.push(__r);
                        }
                        ::core::result::Result::Ok(::core::option::Option::Some(__out))
                    }
                },
            )
        }
        None => (TokenStream::new(), TokenStream::new()),
    };

    wrap(quote! {
        #[automatically_derived]
        impl __orm::Model for #name {
            #key_items
            const TABLE: &'static ::core::primitive::str = #table;
            const COLUMNS: &'static [__orm::ColumnDef] = &[#(#col_defs),*];
            const PRIMARY_KEY: ::core::primitive::usize = #pk_idx;
            const KEY_COLUMNS: &'static [::core::primitive::usize] = &[#(#key_idxs),*];
            #renamed_table
            const UNIQUE_TOGETHER: &'static [&'static [&'static ::core::primitive::str]] = #unique_together;
            const INDEXES: &'static [&'static [&'static ::core::primitive::str]] = #indexes;

            fn __sql_cache() -> &'static __orm::SqlCache {
                static __ORM_SQL: __orm::SqlCache = __orm::SqlCache::new();
                &__ORM_SQL
            }

            fn __from_row(__row: &__orm::RowRef<'_>) -> __orm::Result<Self> {
                #[allow(unused_mut)]
                let mut __m = Self {
                    #(#decodes,)*
                    #(#skipped,)*
                };
                #after_load
                ::core::result::Result::Ok(__m)
            }

            fn __from_row_by_name(__row: &__orm::RowRef<'_>) -> __orm::Result<Self> {
                #[allow(unused_mut)]
                let mut __m = Self {
                    #(#decodes_by_name,)*
                    #(#skipped,)*
                };
                #after_load
                ::core::result::Result::Ok(__m)
            }

            #hook_items

            fn __bind(&self, __args: &mut __orm::Args, __with_key: ::core::primitive::bool) -> __orm::Result<()> {
                #(#binds)*
                ::core::result::Result::Ok(())
            }

            #managed
        }

        #(#default_checks)*

        #consts

        #relations
    })
}

/// How field `f` is bound in a write `__w`: the current time for `auto_now` (and for
/// `auto_now_add` when inserting), the next version for `version` when updating, else its value.
fn write_bind(f: &Field<'_>) -> TokenStream {
    let ident = f.ident;
    let ty = f.ty;
    let st = sql_type(f);
    let a = &f.attrs;
    if a.auto_now.is_some() {
        let ts = quote_spanned! {ty.span()=> <#ty as __orm::Timestamp> };
        quote! { #st::bind(&#ts::from_micros(__w.now_micros), __args)?; }
    } else if a.auto_now_add.is_some() {
        let ts = quote_spanned! {ty.span()=> <#ty as __orm::Timestamp> };
        quote! {
            if __w.inserting { #st::bind(&#ts::from_micros(__w.now_micros), __args)?; }
            else { #st::bind(&self.#ident, __args)?; }
        }
    } else if a.version.is_some() {
        let vf = quote_spanned! {ty.span()=> <#ty as __orm::VersionField> };
        quote! {
            if __w.bump_version { #st::bind(&#vf::next(&self.#ident), __args)?; }
            else { #st::bind(&self.#ident, __args)?; }
        }
    } else {
        quote! { #st::bind(&self.#ident, __args)?; }
    }
}

/// The `Model` items of the managed columns: their indexes, and the methods that bind them in a
/// write and store what a write wrote.
fn managed_items(cols: &[&Field<'_>]) -> TokenStream {
    let idx_of = |pred: &dyn Fn(&Field<'_>) -> bool| -> Vec<usize> {
        cols.iter().enumerate().filter(|(_, f)| pred(f)).map(|(i, _)| i).collect()
    };
    let auto_now = idx_of(&|f| f.attrs.auto_now.is_some());
    let auto_now_add = idx_of(&|f| f.attrs.auto_now_add.is_some());
    let version = cols.iter().position(|f| f.attrs.version.is_some());
    let version_const = match version {
        Some(i) => quote!(::core::option::Option::Some(#i)),
        None => quote!(::core::option::Option::None),
    };
    let write_binds = cols.iter().map(|f| {
        let b = write_bind(f);
        if f.in_key {
            quote! { if __with_key { #b } }
        } else {
            b
        }
    });
    let column_arms = cols.iter().enumerate().map(|(i, f)| {
        let b = write_bind(f);
        quote! { #i => { #b } }
    });
    let applies = cols.iter().filter_map(|f| {
        let ident = f.ident;
        let ty = f.ty;
        let a = &f.attrs;
        if a.auto_now.is_some() {
            let ts = quote_spanned! {ty.span()=> <#ty as __orm::Timestamp> };
            Some(quote! { self.#ident = #ts::from_micros(__w.now_micros); })
        } else if a.auto_now_add.is_some() {
            let ts = quote_spanned! {ty.span()=> <#ty as __orm::Timestamp> };
            Some(quote! { if __w.inserting { self.#ident = #ts::from_micros(__w.now_micros); } })
        } else if a.version.is_some() {
            let vf = quote_spanned! {ty.span()=> <#ty as __orm::VersionField> };
            Some(quote! { if __w.bump_version { self.#ident = #vf::next(&self.#ident); } })
        } else {
            None
        }
    });
    let bind_version = match version.map(|i| cols[i]) {
        Some(f) => {
            let ident = f.ident;
            let st = sql_type(f);
            quote! { #st::bind(&self.#ident, __args) }
        }
        None => quote! { ::core::result::Result::Ok(()) },
    };
    let soft = cols.iter().position(|f| f.attrs.soft_delete.is_some());
    let soft_const = match soft {
        Some(i) => quote!(::core::option::Option::Some(#i)),
        None => quote!(::core::option::Option::None),
    };
    let set_deleted = soft.map(|i| {
        let f = cols[i];
        let ident = f.ident;
        let ty = f.ty;
        let sd = quote_spanned! {ty.span()=> <#ty as __orm::SoftDeleteField> };
        quote! { self.#ident = #sd::deleted_at(__micros); }
    });
    quote! {
        const VERSION_COLUMN: ::core::option::Option<::core::primitive::usize> = #version_const;
        const AUTO_NOW: &'static [::core::primitive::usize] = &[#(#auto_now),*];
        const AUTO_NOW_ADD: &'static [::core::primitive::usize] = &[#(#auto_now_add),*];

        fn __bind_write(
            &self,
            __args: &mut __orm::Args,
            __with_key: ::core::primitive::bool,
            __w: &__orm::WriteCtx,
        ) -> __orm::Result<()> {
            #(#write_binds)*
            ::core::result::Result::Ok(())
        }

        fn __bind_column(
            &self,
            __idx: ::core::primitive::usize,
            __args: &mut __orm::Args,
            __w: &__orm::WriteCtx,
        ) -> __orm::Result<()> {
            match __idx {
                #(#column_arms)*
                _ => {
                    return ::core::result::Result::Err(__orm::Error::InvalidValue(::std::format!(
                        "no column #{} in `{}`", __idx, <Self as __orm::Model>::TABLE
                    )));
                }
            }
            ::core::result::Result::Ok(())
        }

        fn __bind_version(&self, __args: &mut __orm::Args) -> __orm::Result<()> {
            #bind_version
        }

        #[allow(unused_variables)]
        fn __apply_write(&mut self, __w: &__orm::WriteCtx) {
            #(#applies)*
        }

        const SOFT_DELETE_COLUMN: ::core::option::Option<::core::primitive::usize> = #soft_const;

        #[allow(unused_variables)]
        fn __set_deleted(&mut self, __micros: ::core::option::Option<::core::primitive::i64>) {
            #set_deleted
        }
    }
}

/// The `SqlLiteral` of a `default = ...`.
fn default_literal(d: &DefaultLit) -> TokenStream {
    match d {
        DefaultLit::Text(t) => quote!(__orm::SqlLiteral::Text(#t)),
        DefaultLit::Int(n) => quote!(__orm::SqlLiteral::Int(#n)),
        DefaultLit::Float(f) => quote!(__orm::SqlLiteral::Float(#f)),
        DefaultLit::Bool(b) => quote!(__orm::SqlLiteral::Bool(#b)),
    }
}

/// The `Model` items about the key: one field's (whose `KeyField` impl knows "unset" and
/// generated keys), or a composite key's, a tuple that the database never generates.
fn key_items(m: &Model<'_>, key_fields: &[&Field<'_>]) -> TokenStream {
    if let [pk] = key_fields {
        let pk_ident = pk.ident;
        let pk_key = key_field(pk);
        let pk_st = sql_type(pk);
        // The whole item on the key's type: an unsupported key type is one error, on the field.
        let key_ty = pk.ty;
        let key_item = quote_spanned! {key_ty.span()=> type Key = #pk_key::Key; };
        let key_fn = quote_spanned! {key_ty.span()=>
            fn __key(&self) -> ::core::option::Option<Self::Key> {
                #pk_key::key(&self.#pk_ident)
            }
        };
        return quote! {
            #key_item

            fn __bind_key(&self, __args: &mut __orm::Args) -> __orm::Result<()> {
                #pk_st::bind(&self.#pk_ident, __args)
            }

            fn __key_unset(&self) -> ::core::primitive::bool {
                #pk_key::is_unset(&self.#pk_ident)
            }

            #key_fn

            fn __set_generated_key(&mut self, __id: ::core::primitive::i64) -> __orm::Result<()> {
                #pk_key::set_generated(&mut self.#pk_ident, __id)
            }

            fn __int_key(&self) -> ::core::option::Option<::core::primitive::i64> {
                #pk_key::__as_i64(&self.#pk_ident)
            }
        };
    }
    let idents = key_fields.iter().map(|f| f.ident);
    let types = key_fields.iter().map(|f| f.ty);
    let binds = key_fields.iter().map(|f| {
        let ident = f.ident;
        let st = sql_type(f);
        quote! { #st::bind(&self.#ident, __args)?; }
    });
    let msg = format!("`{}` has a composite primary key, which the database does not generate", m.table);
    quote! {
        type Key = (#(#types,)*);

        fn __bind_key(&self, __args: &mut __orm::Args) -> __orm::Result<()> {
            #(#binds)*
            ::core::result::Result::Ok(())
        }

        fn __key_unset(&self) -> ::core::primitive::bool {
            false
        }

        fn __key(&self) -> ::core::option::Option<Self::Key> {
            ::core::option::Option::Some((#(::core::clone::Clone::clone(&self.#idents),)*))
        }

        fn __set_generated_key(&mut self, _: ::core::primitive::i64) -> __orm::Result<()> {
            ::core::result::Result::Err(__orm::Error::Unsupported(::std::string::String::from(#msg)))
        }
    }
}
