//! `#[derive(FromRow)]`: reads a row into a plain struct by column name, and names the columns
//! it reads (`orm_core::Projection`) so a query can select exactly those.
//!
//! Keys: `#[orm(rename_all = "...")]` on the struct, `#[orm(column = "...")]` on a field.

use crate::case::RenameRule;
use crate::ctxt::Ctxt as Errors;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr};

const COLUMN: &str = "column";
const RENAME_ALL: &str = "rename_all";

struct Field {
    ident: syn::Ident,
    ty: syn::Type,
    column: String,
}

/// Parses, validates and generates.
pub(crate) fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut errs = Errors::default();
    let named = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => Some(n),
            other => {
                errs.error(other.span(), "#[derive(FromRow)] needs a struct with named fields, one per column");
                None
            }
        },
        Data::Enum(e) => {
            errs.error(e.enum_token.span, "#[derive(FromRow)] works on structs, not enums");
            None
        }
        Data::Union(u) => {
            errs.error(u.union_token.span, "#[derive(FromRow)] works on structs, not unions");
            None
        }
    };
    if !input.generics.params.is_empty() {
        errs.error(input.generics.span(), "#[derive(FromRow)] does not support generic structs");
    }

    let mut rename: Option<RenameRule> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("orm")) {
        let r = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(RENAME_ALL) {
                let lit: LitStr = meta.value()?.parse()?;
                match RenameRule::from_str(&lit.value()) {
                    Some(_) if rename.is_some() => {
                        errs.error(meta.path.span(), "duplicate `rename_all` in #[orm(...)]")
                    }
                    Some(r) => rename = Some(r),
                    None => errs.error(
                        lit.span(),
                        format!("unknown rename_all rule `{}`; expected {}", lit.value(), RenameRule::NAMES),
                    ),
                }
            } else {
                let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                errs.error(
                    meta.path.span(),
                    format!(
                        "unknown key `{key}` in #[orm(...)] of #[derive(FromRow)]; expected `rename_all = \"...\"`"
                    ),
                );
                if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
            }
            Ok(())
        });
        if let Err(e) = r {
            errs.push(e);
        }
    }

    let mut fields = Vec::new();
    for f in named.iter().flat_map(|n| n.named.iter()) {
        let Some(ident) = f.ident.clone() else {
            continue;
        };
        let mut column: Option<String> = None;
        for attr in f.attrs.iter().filter(|a| a.path().is_ident("orm")) {
            let r = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(COLUMN) {
                    let lit: LitStr = meta.value()?.parse()?;
                    if lit.value().is_empty() {
                        errs.error(lit.span(), "the column name must not be empty");
                    } else if column.is_some() {
                        errs.error(meta.path.span(), "duplicate `column` in #[orm(...)]");
                    } else {
                        column = Some(lit.value());
                    }
                } else {
                    let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                    errs.error(
                        meta.path.span(),
                        format!("unknown key `{key}` in #[orm(...)] of a #[derive(FromRow)] field; expected `column = \"...\"`"),
                    );
                    if meta.input.peek(syn::Token![=]) {
                        let _: syn::Expr = meta.value()?.parse()?;
                    }
                }
                Ok(())
            });
            if let Err(e) = r {
                errs.push(e);
            }
        }
        let name = ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
        let column = column.unwrap_or_else(|| rename.map_or_else(|| name.clone(), |r| r.apply(&name)));
        if fields.iter().any(|g: &Field| g.column == column) {
            errs.error(ident.span(), format!("two fields read the column `{column}`"));
        }
        fields.push(Field { ident, ty: f.ty.clone(), column });
    }
    if let Some(e) = errs.finish() {
        return Err(e);
    }

    let name = &input.ident;
    let reads = fields.iter().map(|f| {
        let (ident, ty, col) = (&f.ident, &f.ty, &f.column);
        quote_spanned! {ty.span()=> #ident: __orm::get_named::<#ty>(row, #col)? }
    });
    let columns = fields.iter().map(|f| &f.column);
    Ok(quote! {
        #[allow(unused_qualifications, clippy::all)]
        const _: () = {
            use ::orm_core::__private as __orm;

            #[automatically_derived]
            impl __orm::FromRow for #name {
                fn from_row(row: &__orm::Row<'_>) -> __orm::Result<Self> {
                    ::core::result::Result::Ok(Self { #(#reads,)* })
                }
            }

            #[automatically_derived]
            impl __orm::Projection for #name {
                const COLUMNS: &'static [&'static str] = &[#(#columns),*];
            }
        };
    })
}
