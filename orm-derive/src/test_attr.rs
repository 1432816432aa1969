//! `#[orm_core::test]`: an async test function that receives a fresh `Db`.
//!
//! ```ignore
//! #[orm_core::test]
//! async fn creates_a_post(db: Db) -> orm_core::Result<()> { ... }
//! ```
//! becomes a plain `#[test]` function that calls `orm_core::__private::run_test`, which makes the
//! database, runs the body on a runtime of its own, and removes the database after a pass. With
//! `migrations = "dir"` the folder (relative to `CARGO_MANIFEST_DIR`) is embedded and checked at
//! compile time as `migrations!` does, and applied to the fresh database before the body.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Error, FnArg, ItemFn, Meta, Token};

/// The one key the attribute knows.
const MIGRATIONS: &str = "migrations";

/// Expands the attribute with arguments `args` on `item`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors: Vec<Error> = Vec::new();
    // The embedded migration files of `migrations = "dir"`, checked at compile time.
    let mut migrations: Option<Vec<TokenStream>> = None;
    match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(metas) => {
            for meta in metas {
                if meta.path().is_ident(MIGRATIONS) {
                    let lit = match &meta {
                        Meta::NameValue(syn::MetaNameValue {
                            value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(lit), .. }),
                            ..
                        }) => lit,
                        _ => {
                            errors.push(Error::new(
                                meta.span(),
                                "expected the migration folder as a string: #[orm_core::test(migrations = \"migrations\")]",
                            ));
                            continue;
                        }
                    };
                    if migrations.is_some() {
                        errors.push(Error::new(meta.span(), "`migrations` is given twice"));
                        continue;
                    }
                    match crate::migrations::read_history(lit) {
                        Ok(files) => migrations = Some(crate::migrations::embedded(&files)),
                        Err(e) => errors.push(e),
                    }
                } else {
                    errors.push(Error::new(
                        meta.path().span(),
                        "unknown key in #[orm_core::test(...)]; the correct format looks like \
                         #[orm_core::test] or #[orm_core::test(migrations = \"migrations\")]",
                    ));
                }
            }
        }
        Err(e) => errors.push(e),
    }
    let func: ItemFn = match syn::parse2(item) {
        Ok(f) => f,
        Err(e) => return e.to_compile_error(),
    };
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        errors.push(Error::new(sig.fn_token.span(), "#[orm_core::test] needs an `async fn`"));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(Error::new(sig.generics.span(), "a test function cannot be generic"));
    }
    if sig.inputs.len() != 1 {
        errors.push(Error::new(
            sig.inputs.span().join(sig.ident.span()).unwrap_or(sig.ident.span()),
            "#[orm_core::test] functions take one argument, the database: `async fn name(db: Db)`",
        ));
    }
    if let Some(FnArg::Receiver(r)) = sig.inputs.first() {
        errors.push(Error::new(r.span(), "a test function cannot take `self`"));
    }
    if matches!(sig.output, syn::ReturnType::Default) {
        errors.push(Error::new(
            sig.ident.span(),
            "#[orm_core::test] functions return a Result: `-> orm_core::Result<()>`",
        ));
    }
    if !errors.is_empty() {
        let errors = errors.iter().map(Error::to_compile_error);
        // Keep the function (without the attribute) so its body is still checked.
        return quote! { #(#errors)* #[allow(dead_code)] #func };
    }

    let attrs = &func.attrs;
    let vis = &func.vis;
    let name = &sig.ident;
    let inputs = &sig.inputs;
    let output = &sig.output;
    let body = &func.block;
    let path = quote! { ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)) };
    let run = match migrations {
        None => quote_spanned! {sig.output.span()=>
            ::orm_core::__private::run_test(#path, #name)
        },
        Some(files) => quote_spanned! {sig.output.span()=>
            ::orm_core::__private::run_test_migrated(#path, ::orm_core::migrate::__embedded(&[#(#files),*]), #name)
        },
    };
    quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #name() {
            async fn #name(#inputs) #output #body
            #run
        }
    }
}
