//! `#[derive(SqlType)]`: an enum of unit variants stored as text (or, with `repr = "i16"`, as
//! its integer discriminants), or a newtype `struct UserId(i64)` stored as its inner type.
//!
//! Stages as for `Model`, in one file (the input is small): parse the `#[orm(...)]` keys, build
//! the description ([`Shape`]), check it, generate; on error, the errors plus a stub `SqlType`
//! impl so that models using the type report nothing more.

use crate::case::{RenameRule, to_snake};
use crate::ctxt::Ctxt;
use crate::expand::wrap;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Expr, Fields, Ident, Lit, LitStr, Type};

// Keys.
const RENAME_ALL: &str = "rename_all";
const REPR: &str = "repr";
const RENAME: &str = "rename";
const PG_ENUM: &str = "pg_enum";
/// The integer types `repr` accepts.
const REPRS: &[&str] = &["i8", "i16", "i32", "i64"];

/// The type's `#[orm(...)]` keys.
#[derive(Default)]
struct TypeAttrs {
    rename_all: Option<(RenameRule, Span)>,
    repr: Option<(Ident, Span)>,
    pg_enum: Option<(String, Span)>,
}

/// What the derive generates for.
enum Shape<'a> {
    /// An enum stored as text: per variant, its name and its text; and the PostgreSQL enum
    /// type of `pg_enum`.
    Text(Vec<(&'a Ident, String)>, Option<String>),
    /// An enum stored as its discriminants, in the integer type `repr`.
    Int(Ident, Vec<&'a Ident>),
    /// A one-field tuple struct.
    Newtype(&'a Type),
}

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let shape = parse(&mut cx, input);
    match (cx.finish(), shape) {
        (None, Some(shape)) => generate(input, &shape),
        (errors, _) => {
            let errors = errors.map(|e| e.to_compile_error()).unwrap_or_default();
            let stub = stub(input);
            quote! { #errors #stub }
        }
    }
}

fn is_orm(a: &Attribute) -> bool {
    a.path().is_ident("orm")
}

/// A `key = "text"` value.
fn string_value(
    cx: &mut Ctxt,
    meta: &syn::meta::ParseNestedMeta<'_>,
    key: &str,
    usage: &str,
) -> syn::Result<Option<LitStr>> {
    if !meta.input.peek(syn::Token![=]) {
        cx.error(meta.path.span(), format!("`{key}` needs a value: `#[orm({usage})]`"));
        return Ok(None);
    }
    let mut expr: Expr = meta.value()?.parse()?;
    while let Expr::Group(g) = expr {
        expr = *g.expr;
    }
    match expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Ok(Some(s)),
        other => {
            cx.error(other.span(), format!("`{key}` takes a string literal: `#[orm({usage})]`"));
            Ok(None)
        }
    }
}

fn type_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> TypeAttrs {
    let mut out = TypeAttrs::default();
    for attr in attrs.iter().filter(|a| is_orm(a)) {
        let r = attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            if meta.path.is_ident(RENAME_ALL) {
                if let Some(lit) = string_value(cx, &meta, RENAME_ALL, "rename_all = \"snake_case\"")? {
                    match RenameRule::from_str(&lit.value()) {
                        Some(rule) if out.rename_all.is_none() => out.rename_all = Some((rule, span)),
                        Some(_) => cx.error(span, "duplicate `rename_all` in #[orm(...)]; give it once"),
                        None => cx.error(
                            lit.span(),
                            format!("unknown rename_all rule {:?}; expected {}", lit.value(), RenameRule::NAMES),
                        ),
                    }
                }
            } else if meta.path.is_ident(REPR) {
                if let Some(lit) = string_value(cx, &meta, REPR, "repr = \"i16\"")? {
                    let v = lit.value();
                    if !REPRS.contains(&v.as_str()) {
                        cx.error(lit.span(), format!("`repr` is one of \"i8\", \"i16\", \"i32\", \"i64\", not {v:?}"));
                    } else if out.repr.is_some() {
                        cx.error(span, "duplicate `repr` in #[orm(...)]; give it once");
                    } else {
                        out.repr = Some((Ident::new(&v, lit.span()), span));
                    }
                }
            } else if meta.path.is_ident(PG_ENUM) {
                if let Some(lit) = string_value(cx, &meta, PG_ENUM, "pg_enum = \"post_status\"")? {
                    let v = lit.value();
                    if let Err(why) = check_pg_enum_name(&v) {
                        cx.error(lit.span(), why);
                    } else if out.pg_enum.is_some() {
                        cx.error(span, "duplicate `pg_enum` in #[orm(...)]; give it once");
                    } else {
                        out.pg_enum = Some((v, span));
                    }
                }
            } else {
                let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                if meta.input.peek(syn::Token![=]) {
                    let _: Expr = meta.value()?.parse()?;
                }
                let hint = if key == RENAME { "; `rename` goes on a variant" } else { "" };
                cx.error(
                    span,
                    format!(
                        "unknown key `{key}` in #[orm(...)] of #[derive(SqlType)]; expected \
                         `rename_all = \"snake_case\"`, `repr = \"i16\"` or `pg_enum = \"type_name\"`{hint}"
                    ),
                );
            }
            Ok(())
        });
        if let Err(e) = r {
            cx.push(e);
        }
    }
    out
}

/// A PostgreSQL enum type name: `name` or `schema.name`, each part a lowercase SQL identifier
/// (so that the name means the same quoted in DDL and unquoted in sqlx's `to_regtype` lookup).
fn check_pg_enum_name(name: &str) -> Result<(), String> {
    let usage = "`pg_enum` names a PostgreSQL type: `pg_enum = \"post_status\"` or `pg_enum = \"app.post_status\"`";
    if name.is_empty() {
        return Err(format!("{usage}; the name must not be empty"));
    }
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 2 {
        return Err(format!("{usage}; {name:?} has more than one `.`"));
    }
    for p in parts {
        let ok = p.len() <= 63
            && p.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(format!(
                "{usage}; {p:?} is not a lowercase identifier (a-z, 0-9, _, not starting with a digit, \
                 at most 63 bytes)"
            ));
        }
    }
    Ok(())
}

/// A variant's `rename = "text"`.
fn variant_rename(cx: &mut Ctxt, attrs: &[Attribute]) -> Option<LitStr> {
    let mut out: Option<LitStr> = None;
    for attr in attrs.iter().filter(|a| is_orm(a)) {
        let r = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(RENAME) {
                if let Some(lit) = string_value(cx, &meta, RENAME, "rename = \"text\"")? {
                    if out.is_some() {
                        cx.error(meta.path.span(), "duplicate `rename` in #[orm(...)]; give it once");
                    } else {
                        out = Some(lit);
                    }
                }
            } else {
                let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                if meta.input.peek(syn::Token![=]) {
                    let _: Expr = meta.value()?.parse()?;
                }
                cx.error(
                    meta.path.span(),
                    format!("unknown key `{key}` in #[orm(...)] on a variant; expected `rename = \"text\"`"),
                );
            }
            Ok(())
        });
        if let Err(e) = r {
            cx.push(e);
        }
    }
    out
}

fn parse<'a>(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Shape<'a>> {
    let attrs = type_attrs(cx, &input.attrs);
    if !input.generics.params.is_empty() {
        cx.error(input.generics.span(), "#[derive(SqlType)] does not support generic types");
    }
    match &input.data {
        Data::Enum(e) => {
            if e.variants.is_empty() {
                cx.error(
                    input.ident.span(),
                    "#[derive(SqlType)] needs at least one variant: an empty enum has no value",
                );
                return None;
            }
            let mut ok = true;
            for v in &e.variants {
                if !matches!(v.fields, Fields::Unit) {
                    cx.error(
                        v.fields.span(),
                        format!(
                            "#[derive(SqlType)] stores an enum as one text or integer, so its variants cannot carry \
                             data; `{}` does (store such a type as `orm_core::Json<T>`)",
                            v.ident
                        ),
                    );
                    ok = false;
                }
            }
            match attrs.repr {
                Some((repr, _)) => {
                    if let Some((_, span)) = &attrs.pg_enum {
                        cx.error(
                            *span,
                            "`pg_enum` stores a text enum as a PostgreSQL enum type; with `repr` the enum is \
                             stored as integers",
                        );
                    }
                    if let Some((_, span)) = attrs.rename_all {
                        cx.error(
                            span,
                            "`rename_all` names the texts of a text enum; with `repr` the enum is stored as integers",
                        );
                    }
                    for v in &e.variants {
                        if let Some(lit) = variant_rename(cx, &v.attrs) {
                            cx.error(
                                lit.span(),
                                "`rename` names the text of a variant; with `repr` the enum is stored as integers",
                            );
                        }
                    }
                    ok.then(|| Shape::Int(repr, e.variants.iter().map(|v| &v.ident).collect()))
                }
                None => {
                    let rule = attrs.rename_all.map(|(r, _)| r);
                    let mut texts: Vec<(&Ident, String, Span)> = Vec::new();
                    for v in &e.variants {
                        let (text, span) = match variant_rename(cx, &v.attrs) {
                            Some(lit) => (lit.value(), lit.span()),
                            None => {
                                let name = v.ident.to_string();
                                let text = match rule {
                                    Some(r) => r.apply(&to_snake(&name)),
                                    None => name,
                                };
                                (text, v.ident.span())
                            }
                        };
                        if text.is_empty() {
                            cx.error(span, "a variant's text must not be empty");
                            ok = false;
                        }
                        if let Some((prev, _, _)) = texts.iter().find(|(_, t, _)| *t == text) {
                            cx.error(
                                span,
                                format!(
                                    "variants `{prev}` and `{}` are both stored as {text:?}; give one of them \
                                     another `#[orm(rename = \"...\")]`",
                                    v.ident
                                ),
                            );
                            ok = false;
                        }
                        texts.push((&v.ident, text, span));
                    }
                    let pg_enum = attrs.pg_enum.map(|(n, _)| n);
                    ok.then(|| Shape::Text(texts.into_iter().map(|(i, t, _)| (i, t)).collect(), pg_enum))
                }
            }
        }
        Data::Struct(s) => {
            if let Some((_, span)) = attrs.rename_all {
                cx.error(span, "`rename_all` applies to enums; a newtype is stored as its inner type");
            }
            if let Some((_, span)) = attrs.repr {
                cx.error(span, "`repr` applies to enums; a newtype is stored as its inner type");
            }
            if let Some((_, span)) = attrs.pg_enum {
                cx.error(span, "`pg_enum` applies to enums; a newtype is stored as its inner type");
            }
            match &s.fields {
                Fields::Unnamed(u) if u.unnamed.len() == 1 => u.unnamed.first().map(|f| Shape::Newtype(&f.ty)),
                other => {
                    let span = if matches!(other, Fields::Unit) { input.ident.span() } else { other.span() };
                    cx.error(
                        span,
                        "#[derive(SqlType)] on a struct needs a newtype, a tuple struct of one field: \
                         `struct UserId(i64);`",
                    );
                    None
                }
            }
        }
        Data::Union(u) => {
            cx.error(u.union_token.span, "#[derive(SqlType)] works on enums and newtype structs, not unions");
            None
        }
    }
}

/// A stub impl (never run: the crate has errors) so that fields of this type raise nothing more.
fn stub(input: &DeriveInput) -> TokenStream {
    if !input.generics.params.is_empty() {
        return TokenStream::new();
    }
    let name = &input.ident;
    wrap(quote! {
        #[automatically_derived]
        impl __orm::SqlType for #name {
            const KIND: __orm::SqlKind = __orm::SqlKind::Text;
            fn to_value(&self) -> __orm::Value {
                ::core::unreachable!()
            }
        }
        #[automatically_derived]
        impl __orm::Comparable for #name {
            type NonNull = #name;
        }
        #[automatically_derived]
        impl __orm::IntoNullable for #name {
            type Nullable = ::core::option::Option<#name>;
        }
    })
}

fn generate(input: &DeriveInput, shape: &Shape<'_>) -> TokenStream {
    let name = &input.ident;
    let ty_name = name.to_string();
    let body = match shape {
        Shape::Text(variants, pg_enum) => {
            let idents: Vec<&Ident> = variants.iter().map(|(i, _)| *i).collect();
            let texts: Vec<&String> = variants.iter().map(|(_, t)| t).collect();
            let expected = texts.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", ");
            let (pg_enum_const, value, bind, decode) = match pg_enum {
                Some(n) => (
                    quote! {
                        const PG_ENUM: ::core::option::Option<&'static ::core::primitive::str> =
                            ::core::option::Option::Some(#n);
                    },
                    quote! { __orm::Value::PgEnum(#n, ::core::option::Option::Some(::std::string::String::from(__s))) },
                    quote! { __orm::bind_enum_label(__args, #n, match self { #(Self::#idents => #texts,)* }) },
                    quote! { __orm::decode_enum_label(__row, __idx)? },
                ),
                None => (
                    quote! {},
                    quote! { __orm::Value::Text(::std::string::String::from(__s)) },
                    quote! { __orm::bind_str(__args, match self { #(Self::#idents => #texts,)* }) },
                    quote! { <::std::string::String as __orm::SqlType>::decode(__row, __idx)? },
                ),
            };
            quote! {
                #[automatically_derived]
                impl __orm::SqlType for #name {
                    const KIND: __orm::SqlKind = __orm::SqlKind::Text;
                    const ALLOWED: &'static [__orm::SqlLiteral] = &[#(__orm::SqlLiteral::Text(#texts)),*];
                    #pg_enum_const
                    fn to_value(&self) -> __orm::Value {
                        let __s: &'static ::core::primitive::str = match self { #(Self::#idents => #texts,)* };
                        #value
                    }
                    fn from_value(__v: __orm::Value) -> __orm::Result<Self> {
                        match __v {
                            __orm::Value::Text(__s) | __orm::Value::PgEnum(_, ::core::option::Option::Some(__s)) => match __s.as_str() {
                                #(#texts => ::core::result::Result::Ok(Self::#idents),)*
                                _ => ::core::result::Result::Err(__orm::invalid_variant(#ty_name, &__s, #expected)),
                            },
                            __other => ::core::result::Result::Err(__orm::invalid_variant(#ty_name, &__other, #expected)),
                        }
                    }
                    #[inline]
                    fn bind(&self, __args: &mut __orm::Args) -> __orm::Result<()> {
                        #bind
                    }
                    #[inline]
                    fn decode(__row: &__orm::RowRef<'_>, __idx: ::core::primitive::usize) -> __orm::Result<Self> {
                        let __s = #decode;
                        match __s.as_str() {
                            #(#texts => ::core::result::Result::Ok(Self::#idents),)*
                            _ => ::core::result::Result::Err(__orm::unknown_variant(__row, __idx, #ty_name, &__s, #expected)),
                        }
                    }
                }
                #[automatically_derived]
                impl __orm::Comparable for #name {
                    type NonNull = #name;
                }
            }
        }
        Shape::Int(repr, idents) => {
            let repr_ty = quote!(::core::primitive::#repr);
            let names = idents.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
            let expected = format!("the discriminant of {names}");
            let fits = idents.iter().map(|i| {
                let msg = format!("the discriminant of `{ty_name}::{i}` does not fit in `{repr}`");
                quote_spanned! {i.span()=>
                    ::core::assert!((#name::#i as ::core::primitive::i128) == ((#name::#i as #repr_ty) as ::core::primitive::i128), #msg);
                }
            });
            quote! {
                const _: () = { #(#fits)* };
                #[automatically_derived]
                impl __orm::SqlType for #name {
                    const KIND: __orm::SqlKind = <#repr_ty as __orm::SqlType>::KIND;
                    const ALLOWED: &'static [__orm::SqlLiteral] =
                        &[#(__orm::SqlLiteral::Int(Self::#idents as #repr_ty as ::core::primitive::i64)),*];
                    fn to_value(&self) -> __orm::Value {
                        let __n: #repr_ty = match self { #(Self::#idents => Self::#idents as #repr_ty,)* };
                        <#repr_ty as __orm::SqlType>::into_sql_value(__n)
                    }
                    fn from_value(__v: __orm::Value) -> __orm::Result<Self> {
                        let __n = <#repr_ty as __orm::SqlType>::from_value(__v)?;
                        #(if __n == Self::#idents as #repr_ty { return ::core::result::Result::Ok(Self::#idents); })*
                        ::core::result::Result::Err(__orm::invalid_variant(#ty_name, &__n, #expected))
                    }
                    #[inline]
                    fn bind(&self, __args: &mut __orm::Args) -> __orm::Result<()> {
                        let __n: #repr_ty = match self { #(Self::#idents => Self::#idents as #repr_ty,)* };
                        <#repr_ty as __orm::SqlType>::bind(&__n, __args)
                    }
                    #[inline]
                    fn decode(__row: &__orm::RowRef<'_>, __idx: ::core::primitive::usize) -> __orm::Result<Self> {
                        let __n = <#repr_ty as __orm::SqlType>::decode(__row, __idx)?;
                        #(if __n == Self::#idents as #repr_ty { return ::core::result::Result::Ok(Self::#idents); })*
                        ::core::result::Result::Err(__orm::unknown_variant(__row, __idx, #ty_name, &__n, #expected))
                    }
                }
                #[automatically_derived]
                impl __orm::Comparable for #name {
                    type NonNull = #name;
                }
            }
        }
        Shape::Newtype(inner) => {
            let st = quote_spanned! {inner.span()=> <#inner as __orm::SqlType> };
            let kf = quote_spanned! {inner.span()=> <#inner as __orm::KeyField> };
            quote! {
                #[automatically_derived]
                impl __orm::SqlType for #name {
                    const KIND: __orm::SqlKind = #st::KIND;
                    const NULLABLE: ::core::primitive::bool = #st::NULLABLE;
                    const ALLOWED: &'static [__orm::SqlLiteral] = #st::ALLOWED;
                    const PG_ENUM: ::core::option::Option<&'static ::core::primitive::str> = #st::PG_ENUM;
                    #[inline]
                    fn to_value(&self) -> __orm::Value {
                        #st::to_value(&self.0)
                    }
                    #[inline]
                    fn into_sql_value(self) -> __orm::Value {
                        #st::into_sql_value(self.0)
                    }
                    fn from_value(__v: __orm::Value) -> __orm::Result<Self> {
                        #st::from_value(__v).map(Self)
                    }
                    #[inline]
                    fn bind(&self, __args: &mut __orm::Args) -> __orm::Result<()> {
                        #st::bind(&self.0, __args)
                    }
                    #[inline]
                    fn decode(__row: &__orm::RowRef<'_>, __idx: ::core::primitive::usize) -> __orm::Result<Self> {
                        #st::decode(__row, __idx).map(Self)
                    }
                }
                // Where the inner type is orderable (the bound is higher-ranked so that it is not
                // an error when it does not hold: the impl is then absent).
                #[automatically_derived]
                impl __orm::Comparable for #name where for<'__a> #inner: __orm::Comparable {
                    type NonNull = #name;
                }
                // A key when the inner type is one and the newtype is `Clone`.
                #[automatically_derived]
                impl __orm::KeyField for #name
                where
                    for<'__a> #inner: __orm::KeyField,
                    for<'__a> #name: ::core::clone::Clone,
                {
                    type Key = #name;
                    fn is_unset(&self) -> ::core::primitive::bool {
                        #kf::is_unset(&self.0)
                    }
                    fn key(&self) -> ::core::option::Option<#name> {
                        #kf::key(&self.0).map(|_| ::core::clone::Clone::clone(self))
                    }
                    fn set_generated(&mut self, __id: ::core::primitive::i64) -> __orm::Result<()> {
                        #kf::set_generated(&mut self.0, __id)
                    }
                }
            }
        }
    };
    // A column of this type read from a left-joined table (see `orm_core::IntoNullable`).
    let body = quote! {
        #body
        #[automatically_derived]
        impl __orm::IntoNullable for #name {
            type Nullable = ::core::option::Option<#name>;
        }
    };
    wrap(body)
}
