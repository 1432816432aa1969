//! `migrations!("dir")`: embeds a migration folder with `include_str!` and checks its history at
//! compile time: file names `NNNN_name.json`, numbers from 0001 without gaps or duplicates, each
//! file's `id` its name, each `parent` the migration before it. Replaying the operations against
//! the snapshots needs orm-core's schema code, so that check runs when the `Migrator` is built
//! (the macro returns a `Result`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    match check(input) {
        Ok(t) => t,
        Err(e) => e.to_compile_error(),
    }
}

/// The value of the top-level string field `key` (`"id": "..."`) as `to_string_pretty` writes it.
fn field<'t>(text: &'t str, key: &str) -> Option<Option<&'t str>> {
    let pat = format!("\n  \"{key}\": ");
    let start = text.find(&pat)? + pat.len();
    let rest = &text[start..];
    if rest.starts_with("null") {
        return Some(None);
    }
    let rest = rest.strip_prefix('"')?;
    Some(Some(&rest[..rest.find('"')?]))
}

fn check(input: TokenStream) -> syn::Result<TokenStream> {
    let lit: LitStr = syn::parse2(input)?;
    let err = |m: String| syn::Error::new(lit.span(), m);
    let root = std::env::var("CARGO_MANIFEST_DIR").map_err(|_| err("CARGO_MANIFEST_DIR is not set".into()))?;
    let dir = std::path::Path::new(&root).join(lit.value());
    let entries = std::fs::read_dir(&dir).map_err(|e| err(format!("cannot read {}: {e}", dir.display())))?;
    let mut files: Vec<(u32, String, std::path::PathBuf, String)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| err(format!("cannot read {}: {e}", dir.display())))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else { continue };
        let number = stem
            .split_once('_')
            .filter(|(n, rest)| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty())
            .and_then(|(n, _)| n.parse::<u32>().ok())
            .ok_or_else(|| err(format!("`{name}`: a migration file is named NNNN_name.json")))?;
        let text = std::fs::read_to_string(entry.path()).map_err(|e| err(format!("cannot read {name}: {e}")))?;
        if files.iter().any(|f| f.0 == number) {
            return Err(err(format!("two migrations are numbered {number:04}")));
        }
        files.push((number, stem.to_owned(), entry.path(), text));
    }
    files.sort_by_key(|f| f.0);
    let mut prev: Option<&str> = None;
    for (i, (n, stem, _, text)) in files.iter().enumerate() {
        if *n as usize != i + 1 {
            return Err(err(format!("a gap in the history: expected migration {:04}, found {stem}", i + 1)));
        }
        match field(text, "id") {
            Some(Some(id)) if id == stem => {}
            _ => return Err(err(format!("`{stem}.json` does not hold migration `{stem}`"))),
        }
        match field(text, "parent") {
            Some(p) if p == prev => {}
            _ => return Err(err(format!("`{stem}`: its parent must be {prev:?}, the migration before it"))),
        }
        prev = Some(stem);
    }
    let entries = files.iter().map(|(_, stem, path, _)| {
        let name = format!("{stem}.json");
        let path = path.to_string_lossy().into_owned();
        quote! { (#name, ::core::include_str!(#path)) }
    });
    Ok(quote! { ::orm_core::migrate::__embedded(&[#(#entries),*]) })
}
