//! Parses and validates the input struct into a [`ModelDef`].

use crate::case::{RenameRule, to_snake};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Path, Type, Visibility};

// Attribute keys, kept in one place.
const TABLE: &str = "table";
const RENAME_ALL: &str = "rename_all";
const PRIMARY_KEY: &str = "primary_key";
const UNIQUE: &str = "unique";
const INDEX: &str = "index";
const COLUMN: &str = "column";
const SKIP: &str = "skip";
const MAX_LENGTH: &str = "max_length";
const BELONGS_TO: &str = "belongs_to";
const ON_DELETE: &str = "on_delete";
const STRUCT_KEYS: &str = "`table = \"...\"`, `rename_all = \"...\"`";
const FIELD_KEYS: &str = "`primary_key`, `unique`, `index`, `column = \"...\"`, `skip`, \
    `max_length = N`, `belongs_to = Parent`, `on_delete = \"...\"`";

/// Collects every error so the user sees them all at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
    pub(crate) fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }
    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// `on_delete` values.
#[derive(Clone, Copy)]
pub(crate) enum OnDelete {
    NoAction,
    Cascade,
    SetNull,
    Restrict,
}

pub(crate) struct FieldDef {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    pub(crate) vis: Visibility,
    pub(crate) column: String,
    pub(crate) skip: bool,
    pub(crate) primary_key: bool,
    pub(crate) unique: bool,
    pub(crate) index: bool,
    pub(crate) max_length: Option<u32>,
    pub(crate) belongs_to: Option<Path>,
    pub(crate) on_delete: OnDelete,
}

pub(crate) struct ModelDef {
    pub(crate) ident: Ident,
    pub(crate) table: String,
    pub(crate) fields: Vec<FieldDef>,
}

impl ModelDef {
    /// Every non-skipped field, in declaration order (the order of `COLUMNS`).
    pub(crate) fn columns(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| !f.skip)
    }
}

fn once<T>(errs: &mut Errors, slot: &mut Option<T>, value: T, key: &str, span: Span) {
    if slot.is_some() {
        errs.at(span, format!("duplicate `{key}` in #[orm(...)]"));
    } else {
        *slot = Some(value);
    }
}

fn flag(errs: &mut Errors, slot: &mut bool, key: &str, span: Span) {
    if *slot {
        errs.at(span, format!("duplicate `{key}` in #[orm(...)]"));
    }
    *slot = true;
}

/// Parses and validates; returns every error found, combined.
pub(crate) fn parse(input: &DeriveInput) -> syn::Result<ModelDef> {
    let mut errs = Errors::default();

    let named = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => Some(n),
            Fields::Unnamed(u) => {
                errs.at(
                    u.span(),
                    "#[derive(Model)] needs a struct with named fields; a tuple struct has no column names",
                );
                None
            }
            Fields::Unit => {
                errs.at(input.ident.span(), "#[derive(Model)] needs a struct with named fields, one per column");
                None
            }
        },
        Data::Enum(e) => {
            errs.at(e.enum_token.span, "#[derive(Model)] works on structs, not enums");
            None
        }
        Data::Union(u) => {
            errs.at(u.union_token.span, "#[derive(Model)] works on structs, not unions");
            None
        }
    };
    if !input.generics.params.is_empty() {
        errs.at(input.generics.span(), "#[derive(Model)] does not support generic structs");
    }

    // Struct attributes.
    let mut table: Option<String> = None;
    let mut rename: Option<RenameRule> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("orm")) {
        let r = attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            if meta.path.is_ident(TABLE) {
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().is_empty() {
                    errs.at(lit.span(), "the table name must not be empty");
                }
                once(&mut errs, &mut table, lit.value(), TABLE, span);
            } else if meta.path.is_ident(RENAME_ALL) {
                let lit: LitStr = meta.value()?.parse()?;
                match RenameRule::from_str(&lit.value()) {
                    Some(r) => once(&mut errs, &mut rename, r, RENAME_ALL, span),
                    None => errs.at(
                        lit.span(),
                        format!("unknown rename_all rule `{}`; expected {}", lit.value(), RenameRule::NAMES),
                    ),
                }
            } else {
                let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                errs.at(
                    span,
                    format!("unknown key `{key}` in #[orm(...)] on a struct; expected {STRUCT_KEYS}"),
                );
                // Skip its value, if any, so parsing goes on to the next key.
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
    let table = table.unwrap_or_else(|| to_snake(&input.ident.to_string()));

    let mut fields = Vec::new();
    if let Some(named) = named {
        for f in &named.named {
            let ident = f.ident.clone().expect("named field");
            let mut column: Option<String> = None;
            let (mut skip, mut pk, mut unique, mut index) = (false, false, false, false);
            let mut max_length: Option<u32> = None;
            let mut belongs_to: Option<Path> = None;
            let mut on_delete: Option<(OnDelete, Span)> = None;
            let mut first_span: Option<Span> = None;
            for attr in f.attrs.iter().filter(|a| a.path().is_ident("orm")) {
                let r = attr.parse_nested_meta(|meta| {
                    let span = meta.path.span();
                    first_span.get_or_insert(span);
                    if meta.path.is_ident(PRIMARY_KEY) {
                        flag(&mut errs, &mut pk, PRIMARY_KEY, span);
                    } else if meta.path.is_ident(UNIQUE) {
                        flag(&mut errs, &mut unique, UNIQUE, span);
                    } else if meta.path.is_ident(INDEX) {
                        flag(&mut errs, &mut index, INDEX, span);
                    } else if meta.path.is_ident(SKIP) {
                        flag(&mut errs, &mut skip, SKIP, span);
                    } else if meta.path.is_ident(COLUMN) {
                        let lit: LitStr = meta.value()?.parse()?;
                        if lit.value().is_empty() {
                            errs.at(lit.span(), "the column name must not be empty");
                        }
                        once(&mut errs, &mut column, lit.value(), COLUMN, span);
                    } else if meta.path.is_ident(MAX_LENGTH) {
                        let lit: syn::LitInt = meta.value()?.parse()?;
                        match lit.base10_parse::<u32>() {
                            Ok(n) if n > 0 => once(&mut errs, &mut max_length, n, MAX_LENGTH, span),
                            _ => errs.at(lit.span(), "max_length must be a positive integer"),
                        }
                    } else if meta.path.is_ident(BELONGS_TO) {
                        let p: Path = meta.value()?.parse()?;
                        once(&mut errs, &mut belongs_to, p, BELONGS_TO, span);
                    } else if meta.path.is_ident(ON_DELETE) {
                        let lit: LitStr = meta.value()?.parse()?;
                        let v = match lit.value().to_ascii_lowercase().as_str() {
                            "cascade" => Some(OnDelete::Cascade),
                            "set null" => Some(OnDelete::SetNull),
                            "restrict" => Some(OnDelete::Restrict),
                            "no action" => Some(OnDelete::NoAction),
                            _ => None,
                        };
                        match v {
                            Some(v) => once(&mut errs, &mut on_delete, (v, span), ON_DELETE, span),
                            None => errs.at(
                                lit.span(),
                                "unknown on_delete action; expected \"cascade\", \"set null\", \"restrict\" or \"no action\"",
                            ),
                        }
                    } else {
                        let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                        errs.at(span, format!("unknown key `{key}` in #[orm(...)] on a field; expected {FIELD_KEYS}"));
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
            if skip && (pk || unique || index || column.is_some() || belongs_to.is_some() || max_length.is_some()) {
                errs.at(
                    first_span.unwrap_or_else(|| ident.span()),
                    "a `skip` field is not a column; it takes no other #[orm(...)] key",
                );
            }
            if let Some((_, span)) = on_delete
                && belongs_to.is_none()
            {
                errs.at(span, "`on_delete` needs `belongs_to = Parent` on the same field");
            }
            let name = ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name);
            let column = column.unwrap_or_else(|| rename.map_or_else(|| name.to_owned(), |r| r.apply(name)));
            fields.push(FieldDef {
                ident,
                ty: f.ty.clone(),
                vis: f.vis.clone(),
                column,
                skip,
                primary_key: pk,
                unique,
                index,
                max_length,
                belongs_to,
                on_delete: on_delete.map_or(OnDelete::NoAction, |(v, _)| v),
            });
        }

        // Validate the whole.
        let pks: Vec<&FieldDef> = fields.iter().filter(|f| f.primary_key).collect();
        if pks.is_empty() {
            errs.at(
                input.ident.span(),
                "a model needs a primary key: mark one field #[orm(primary_key)]",
            );
        }
        for extra in pks.iter().skip(1) {
            errs.at(
                extra.ident.span(),
                format!(
                    "a model has one primary key; `{}` is already #[orm(primary_key)]",
                    pks[0].ident
                ),
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        for f in fields.iter().filter(|f| !f.skip) {
            if seen.contains(&f.column.as_str()) {
                errs.at(f.ident.span(), format!("two fields map to the column `{}`", f.column));
            }
            seen.push(&f.column);
        }
    }

    errs.finish()?;
    Ok(ModelDef { ident: input.ident.clone(), table, fields })
}
