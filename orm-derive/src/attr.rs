//! Parsing of the `#[orm(...)]` attributes: which keys are present, their values and the spans
//! of their tokens. Only the syntax of each key is checked here (unknown and duplicate keys, a
//! value of the wrong form); the rules between keys and fields live in `check.rs`.

use crate::case::RenameRule;
use crate::ctxt::Ctxt;
use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, Lit, LitStr, Path};

/// The attribute path this derive owns; every other attribute is left alone.
pub(crate) const ORM: &str = "orm";

// Struct keys (and `primary_key(a, b)`, a composite key).
pub(crate) const TABLE: &str = "table";
pub(crate) const RENAME_ALL: &str = "rename_all";
/// On the struct (the table's former name) and on a field (the column's former name).
pub(crate) const RENAMED_FROM: &str = "renamed_from";
// Field keys.
pub(crate) const PRIMARY_KEY: &str = "primary_key";
pub(crate) const UNIQUE: &str = "unique";
pub(crate) const INDEX: &str = "index";
pub(crate) const COLUMN: &str = "column";
pub(crate) const SKIP: &str = "skip";
pub(crate) const MAX_LENGTH: &str = "max_length";
pub(crate) const BELONGS_TO: &str = "belongs_to";
pub(crate) const ON_DELETE: &str = "on_delete";
pub(crate) const DEFAULT: &str = "default";
pub(crate) const VERSION: &str = "version";
pub(crate) const AUTO_NOW: &str = "auto_now";
pub(crate) const AUTO_NOW_ADD: &str = "auto_now_add";
pub(crate) const SOFT_DELETE: &str = "soft_delete";
pub(crate) const HOOKS: &str = "hooks";

// `unique` and `index` are struct keys too, with a list: `unique(a, b)`.
const STRUCT_KEYS: &[&str] = &[TABLE, RENAME_ALL, PRIMARY_KEY, UNIQUE, INDEX, HOOKS, RENAMED_FROM];
const FIELD_KEYS: &[&str] = &[
    PRIMARY_KEY,
    UNIQUE,
    INDEX,
    COLUMN,
    SKIP,
    MAX_LENGTH,
    BELONGS_TO,
    ON_DELETE,
    DEFAULT,
    VERSION,
    AUTO_NOW,
    AUTO_NOW_ADD,
    SOFT_DELETE,
    RENAMED_FROM,
];

/// How the struct's `primary_key` is written.
pub(crate) const COMPOSITE_USAGE: &str = "primary_key(playlist_id, track_id)";

/// How each key is written, for "expected" messages (`primary_key` as on a field).
fn usage(key: &str) -> &'static str {
    match key {
        TABLE => "table = \"name\"",
        RENAME_ALL => "rename_all = \"snake_case\"",
        PRIMARY_KEY => "primary_key",
        UNIQUE => "unique",
        INDEX => "index",
        COLUMN => "column = \"name\"",
        SKIP => "skip",
        MAX_LENGTH => "max_length = 255",
        BELONGS_TO => "belongs_to = Parent",
        ON_DELETE => "on_delete = \"cascade\"",
        RENAMED_FROM => "renamed_from = \"old_name\"",
        DEFAULT => "default = \"draft\"",
        VERSION => "version",
        AUTO_NOW => "auto_now",
        AUTO_NOW_ADD => "auto_now_add",
        SOFT_DELETE => "soft_delete",
        HOOKS => "hooks",
        _ => "",
    }
}

/// How each key is written on the struct (`primary_key` takes the list of key fields there).
fn struct_usage(key: &str) -> &'static str {
    match key {
        PRIMARY_KEY => COMPOSITE_USAGE,
        UNIQUE => "unique(author_id, slug)",
        INDEX => "index(status, created_at)",
        _ => usage(key),
    }
}

fn usage_list(keys: &[&str], on_field: bool) -> String {
    let all: Vec<String> =
        keys.iter().map(|k| format!("`{}`", if on_field { usage(k) } else { struct_usage(k) })).collect();
    all.join(", ")
}

/// A key's value with the spans of the key and of the value.
pub(crate) struct Attr<T> {
    pub(crate) value: T,
    pub(crate) key_span: Span,
    pub(crate) value_span: Span,
}

/// `on_delete` actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnDelete {
    NoAction,
    Cascade,
    SetNull,
    Restrict,
}

impl OnDelete {
    const NAMES: &'static str = "\"cascade\", \"set null\", \"restrict\" or \"no action\"";

    fn from_str(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "cascade" => OnDelete::Cascade,
            "set null" => OnDelete::SetNull,
            "restrict" => OnDelete::Restrict,
            "no action" => OnDelete::NoAction,
            _ => return None,
        })
    }
}

/// The keys of the struct's `#[orm(...)]` attributes.
#[derive(Default)]
pub(crate) struct StructAttrs {
    pub(crate) table: Option<Attr<String>>,
    pub(crate) rename_all: Option<Attr<RenameRule>>,
    /// `renamed_from = "old_table"`: the table's former name, for migrations.
    pub(crate) renamed_from: Option<Attr<String>>,
    /// `primary_key(a, b)`: the key fields in key order (the value span is the parenthesized list).
    pub(crate) primary_key: Option<Attr<Vec<Ident>>>,
    /// A `primary_key` on the struct without its list (reported; "no primary key" would be noise).
    pub(crate) malformed_primary_key: bool,
    /// `unique(a, b)`, each a composite UNIQUE constraint, in order.
    pub(crate) unique_together: Vec<Attr<Vec<Ident>>>,
    /// `index(a, b)`, each a composite index, in order.
    pub(crate) indexes: Vec<Attr<Vec<Ident>>>,
    /// `hooks`: the model implements `ModelHooks`.
    pub(crate) hooks: Option<Span>,
}

/// The literal of `default = ...`: text, an integer (maybe negative), a float or a bool.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum DefaultLit {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// The keys of one field's `#[orm(...)]` attributes. A flag holds the span of its key.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) primary_key: Option<Span>,
    pub(crate) unique: Option<Span>,
    pub(crate) index: Option<Span>,
    pub(crate) skip: Option<Span>,
    pub(crate) column: Option<Attr<String>>,
    pub(crate) max_length: Option<Attr<u32>>,
    pub(crate) belongs_to: Option<Attr<Path>>,
    pub(crate) on_delete: Option<Attr<OnDelete>>,
    /// `renamed_from = "old_column"`: the column's former name, for migrations.
    pub(crate) renamed_from: Option<Attr<String>>,
    pub(crate) default: Option<Attr<DefaultLit>>,
    pub(crate) version: Option<Span>,
    pub(crate) auto_now: Option<Span>,
    pub(crate) auto_now_add: Option<Span>,
    pub(crate) soft_delete: Option<Span>,
    /// An unknown key that was probably meant as `primary_key` (so that "no primary key" is not
    /// reported on top of the misspelling).
    pub(crate) misspelled_primary_key: bool,
}

impl FieldAttrs {
    /// The keys set on this field other than `skip`, with their spans (for "cannot be combined").
    pub(crate) fn column_keys(&self) -> Vec<(&'static str, Span)> {
        let mut out = Vec::new();
        let flags = [
            (PRIMARY_KEY, self.primary_key),
            (UNIQUE, self.unique),
            (INDEX, self.index),
            (COLUMN, self.column.as_ref().map(|a| a.key_span)),
            (MAX_LENGTH, self.max_length.as_ref().map(|a| a.key_span)),
            (BELONGS_TO, self.belongs_to.as_ref().map(|a| a.key_span)),
            (ON_DELETE, self.on_delete.as_ref().map(|a| a.key_span)),
            (RENAMED_FROM, self.renamed_from.as_ref().map(|a| a.key_span)),
            (DEFAULT, self.default.as_ref().map(|a| a.key_span)),
            (VERSION, self.version),
            (AUTO_NOW, self.auto_now),
            (AUTO_NOW_ADD, self.auto_now_add),
            (SOFT_DELETE, self.soft_delete),
        ];
        for (key, span) in flags {
            if let Some(span) = span {
                out.push((key, span));
            }
        }
        out
    }
}

/// Whether the attribute is ours.
fn is_orm(attr: &Attribute) -> bool {
    attr.path().is_ident(ORM)
}

/// The key as written (`primay_key`, or `a::b` for a path).
fn key_name(path: &Path) -> String {
    match path.get_ident() {
        Some(i) => i.to_string(),
        None => {
            let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            segs.join("::")
        }
    }
}

/// The value after `=`, or after nothing: `None` when the key has no `= value`. A parenthesized
/// list after the key is consumed and reported.
fn value(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<Option<Expr>> {
    if meta.input.peek(syn::Token![=]) {
        let mut expr: Expr = meta.value()?.parse()?;
        // A `$x:literal` or `$x:path` from a macro_rules! arrives in an invisible group.
        while let Expr::Group(g) = expr {
            expr = *g.expr;
        }
        return Ok(Some(expr));
    }
    if meta.input.peek(syn::token::Paren) {
        let group: proc_macro2::TokenTree = meta.input.parse()?;
        let hint = if key == PRIMARY_KEY {
            format!("; a composite key is declared on the struct: `#[orm({COMPOSITE_USAGE})]`")
        } else {
            String::new()
        };
        cx.error(group.span(), format!("expected `{}`, not a parenthesized list{hint}", usage(key)));
    }
    Ok(None)
}

/// A key with no value (`primary_key`).
fn flag(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>, slot: &mut Option<Span>, key: &str) -> syn::Result<()> {
    let span = meta.path.span();
    if let Some(v) = value(cx, meta, key)? {
        cx.error(v.span(), format!("`{key}` takes no value: write `#[orm({key})]`"));
    }
    set(cx, slot, span, key, span);
    Ok(())
}

/// Stores a value, rejecting a second occurrence of the key.
fn set<T>(cx: &mut Ctxt, slot: &mut Option<T>, value: T, key: &str, span: Span) {
    if slot.is_some() {
        cx.error(span, format!("duplicate `{key}` in #[orm(...)]; give it once"));
    } else {
        *slot = Some(value);
    }
}

/// A `key = <value>` whose value `convert` checks; reports a missing value.
fn keyed<T>(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta<'_>,
    key: &str,
    convert: impl FnOnce(&mut Ctxt, Expr) -> Option<T>,
) -> syn::Result<Option<Attr<T>>> {
    let key_span = meta.path.span();
    match value(cx, meta, key)? {
        None => {
            cx.error(key_span, format!("`{key}` needs a value: `{}`", usage(key)));
            Ok(None)
        }
        Some(expr) => {
            let value_span = expr.span();
            Ok(convert(cx, expr).map(|value| Attr { value, key_span, value_span }))
        }
    }
}

/// A string literal value.
fn string(cx: &mut Ctxt, expr: Expr, key: &str) -> Option<LitStr> {
    match expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Some(s),
        other => {
            cx.error(other.span(), format!("`{key}` takes a string literal: `{}`", usage(key)));
            None
        }
    }
}

/// A name (table or column): a non-empty string.
fn name(cx: &mut Ctxt, expr: Expr, key: &str, what: &str) -> Option<String> {
    let lit = string(cx, expr, key)?;
    let v = lit.value();
    if v.is_empty() {
        cx.error(lit.span(), format!("the {what} name must not be empty"));
        return None;
    }
    if v.contains('\0') {
        cx.error(lit.span(), format!("the {what} name must not contain a NUL character"));
        return None;
    }
    Some(v)
}

/// Reports an unknown key, suggesting the closest known one.
fn unknown(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>, on_field: bool) -> syn::Result<Option<&'static str>> {
    let key = key_name(&meta.path);
    let span = meta.path.span();
    // Skip its value, if any, so that the keys after it are still checked.
    let _ = value(cx, meta, "")?;
    let (here, there, place, other_place) = if on_field {
        (FIELD_KEYS, STRUCT_KEYS, "a field", "the struct")
    } else {
        (STRUCT_KEYS, FIELD_KEYS, "the struct", "a field")
    };
    if there.contains(&key.as_str()) {
        let usage = if on_field { usage(&key) } else { struct_usage(&key) };
        cx.error(span, format!("`{key}` belongs on {other_place}, not on {place}: `#[orm({usage})]`"));
        return Ok(None);
    }
    match closest(&key, here) {
        Some(good) => {
            cx.error(span, format!("unknown key `{key}` in #[orm(...)]; did you mean `{good}`?"));
            Ok(Some(good))
        }
        None => {
            cx.error(
                span,
                format!("unknown key `{key}` in #[orm(...)] on {place}; expected {}", usage_list(here, on_field)),
            );
            Ok(None)
        }
    }
}

/// The known key nearest to `key`, when it is plausibly a typo of it.
fn closest(key: &str, known: &[&'static str]) -> Option<&'static str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['_', '-'], "");
    known
        .iter()
        .map(|&k| {
            let d = if norm(k) == norm(key) { 0 } else { edit_distance(key, k) };
            (d, k)
        })
        .filter(|&(d, k)| d <= 1 || (d <= 3 && d * 3 <= k.len()))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// Edit distance (insertions, deletions, substitutions, and swaps of two adjacent characters,
/// the commonest typo: `tabel`).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between the first i chars of a and the first j of b.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Parses the struct's `#[orm(...)]` attributes, reporting every problem to `cx`.
pub(crate) fn struct_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> StructAttrs {
    let mut out = StructAttrs::default();
    for attr in attrs.iter().filter(|a| is_orm(a)) {
        let r = attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            if meta.path.is_ident(TABLE) {
                if let Some(v) = keyed(cx, &meta, TABLE, |cx, e| name(cx, e, TABLE, "table"))? {
                    set(cx, &mut out.table, v, TABLE, span);
                }
            } else if meta.path.is_ident(RENAME_ALL) {
                let parsed = keyed(cx, &meta, RENAME_ALL, |cx, e| {
                    let lit = string(cx, e, RENAME_ALL)?;
                    let rule = RenameRule::from_str(&lit.value());
                    if rule.is_none() {
                        cx.error(
                            lit.span(),
                            format!("unknown rename_all rule {:?}; expected {}", lit.value(), RenameRule::NAMES),
                        );
                    }
                    rule
                })?;
                if let Some(v) = parsed {
                    set(cx, &mut out.rename_all, v, RENAME_ALL, span);
                }
            } else if meta.path.is_ident(RENAMED_FROM) {
                if let Some(v) = keyed(cx, &meta, RENAMED_FROM, |cx, e| name(cx, e, RENAMED_FROM, "former table"))? {
                    set(cx, &mut out.renamed_from, v, RENAMED_FROM, span);
                }
            } else if meta.path.is_ident(HOOKS) {
                flag(cx, &meta, &mut out.hooks, HOOKS)?;
            } else if meta.path.is_ident(UNIQUE) || meta.path.is_ident(INDEX) {
                let unique = meta.path.is_ident(UNIQUE);
                let key = if unique { UNIQUE } else { INDEX };
                if let Some(v) = field_list(cx, &meta, key)? {
                    if unique { out.unique_together.push(v) } else { out.indexes.push(v) }
                }
            } else if meta.path.is_ident(PRIMARY_KEY) {
                match composite_key(cx, &meta)? {
                    Some(v) => set(cx, &mut out.primary_key, v, PRIMARY_KEY, span),
                    None => out.malformed_primary_key = true,
                }
            } else {
                unknown(cx, &meta, false)?;
            }
            Ok(())
        });
        if let Err(e) = r {
            cx.push(e);
        }
    }
    out
}

/// The struct's `primary_key(a, b, ...)`: the names in the list, each checked to be a plain
/// field name (the rules on the fields themselves are in `check.rs`).
fn composite_key(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Attr<Vec<Ident>>>> {
    let key_span = meta.path.span();
    if !meta.input.peek(syn::token::Paren) {
        // Skip a `= value`, if any, so that the keys after it are still checked.
        let _ = value(cx, meta, PRIMARY_KEY)?;
        cx.error(
            key_span,
            format!(
                "on the struct, `{PRIMARY_KEY}` declares a composite key and lists its fields: \
                 `#[orm({COMPOSITE_USAGE})]`; mark a single key field #[orm({PRIMARY_KEY})] instead"
            ),
        );
        return Ok(None);
    }
    let content;
    let paren = syn::parenthesized!(content in meta.input);
    let entries = Punctuated::<Expr, syn::Token![,]>::parse_terminated(&content)?;
    let mut names = Vec::new();
    for entry in entries {
        let mut entry = entry;
        while let Expr::Group(g) = entry {
            entry = *g.expr;
        }
        match &entry {
            Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() && p.path.get_ident().is_some() => {
                names.extend(p.path.get_ident().cloned());
            }
            other => cx.error(other.span(), format!("expected a field name, as in `{COMPOSITE_USAGE}`")),
        }
    }
    Ok(Some(Attr { value: names, key_span, value_span: paren.span.join() }))
}

/// The struct's `unique(a, b)` / `index(a, b)`: a parenthesized list of field names.
fn field_list(cx: &mut Ctxt, meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<Option<Attr<Vec<Ident>>>> {
    let key_span = meta.path.span();
    let usage = struct_usage(key);
    if !meta.input.peek(syn::token::Paren) {
        let _ = value(cx, meta, key)?;
        cx.error(
            key_span,
            format!(
                "on the struct, `{key}` lists the fields of a composite {}: `#[orm({usage})]`; \
                 mark a single field #[orm({key})] instead",
                if key == UNIQUE { "constraint" } else { "index" }
            ),
        );
        return Ok(None);
    }
    let content;
    let paren = syn::parenthesized!(content in meta.input);
    let entries = Punctuated::<Expr, syn::Token![,]>::parse_terminated(&content)?;
    let mut names = Vec::new();
    for mut entry in entries {
        while let Expr::Group(g) = entry {
            entry = *g.expr;
        }
        match &entry {
            Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() && p.path.get_ident().is_some() => {
                names.extend(p.path.get_ident().cloned());
            }
            other => cx.error(other.span(), format!("expected a field name, as in `{usage}`")),
        }
    }
    if names.is_empty() {
        cx.error(paren.span.join(), format!("`{key}(...)` names at least one field, as in `{usage}`"));
        return Ok(None);
    }
    Ok(Some(Attr { value: names, key_span, value_span: paren.span.join() }))
}

/// `default = <literal>`: a string, integer (maybe negative), float or bool literal.
fn default_lit(cx: &mut Ctxt, expr: Expr) -> Option<DefaultLit> {
    let bad = |cx: &mut Ctxt, span: Span| {
        cx.error(
            span,
            "`default` takes a literal of the field's type: `default = \"draft\"`, `default = 0`, \
             `default = 1.5` or `default = true`",
        );
        None
    };
    let (neg, lit) = match expr {
        Expr::Lit(l) => (false, l.lit),
        Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) => match *expr {
            Expr::Lit(l) => (true, l.lit),
            other => return bad(cx, other.span()),
        },
        other => return bad(cx, other.span()),
    };
    match &lit {
        Lit::Str(s) if !neg => Some(DefaultLit::Text(s.value())),
        Lit::Bool(b) if !neg => Some(DefaultLit::Bool(b.value)),
        Lit::Int(n) => {
            let text = if neg { format!("-{}", n.base10_digits()) } else { n.base10_digits().to_owned() };
            match text.parse::<i64>() {
                Ok(v) => Some(DefaultLit::Int(v)),
                Err(_) => {
                    cx.error(n.span(), "the default does not fit in an i64");
                    None
                }
            }
        }
        Lit::Float(f) => match f.base10_parse::<f64>() {
            Ok(v) if v.is_finite() => Some(DefaultLit::Float(if neg { -v } else { v })),
            _ => bad(cx, f.span()),
        },
        other => bad(cx, other.span()),
    }
}

/// Parses one field's `#[orm(...)]` attributes, reporting every problem to `cx`.
pub(crate) fn field_attrs(cx: &mut Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| is_orm(a)) {
        let r = attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            let key = key_name(&meta.path);
            match key.as_str() {
                PRIMARY_KEY => flag(cx, &meta, &mut out.primary_key, PRIMARY_KEY)?,
                UNIQUE => flag(cx, &meta, &mut out.unique, UNIQUE)?,
                INDEX => flag(cx, &meta, &mut out.index, INDEX)?,
                SKIP => flag(cx, &meta, &mut out.skip, SKIP)?,
                VERSION => flag(cx, &meta, &mut out.version, VERSION)?,
                AUTO_NOW => flag(cx, &meta, &mut out.auto_now, AUTO_NOW)?,
                AUTO_NOW_ADD => flag(cx, &meta, &mut out.auto_now_add, AUTO_NOW_ADD)?,
                SOFT_DELETE => flag(cx, &meta, &mut out.soft_delete, SOFT_DELETE)?,
                COLUMN => {
                    if let Some(v) = keyed(cx, &meta, COLUMN, |cx, e| name(cx, e, COLUMN, "column"))? {
                        set(cx, &mut out.column, v, COLUMN, span);
                    }
                }
                RENAMED_FROM => {
                    if let Some(v) = keyed(cx, &meta, RENAMED_FROM, |cx, e| name(cx, e, RENAMED_FROM, "former column"))?
                    {
                        set(cx, &mut out.renamed_from, v, RENAMED_FROM, span);
                    }
                }
                MAX_LENGTH => {
                    let parsed = keyed(cx, &meta, MAX_LENGTH, |cx, e| match e {
                        Expr::Lit(syn::ExprLit { lit: Lit::Int(n), .. }) => match n.base10_parse::<u32>() {
                            Ok(v) if v > 0 => Some(v),
                            _ => {
                                cx.error(n.span(), "`max_length` must be a positive integer no larger than u32::MAX");
                                None
                            }
                        },
                        other => {
                            cx.error(other.span(), "`max_length` takes an integer: `max_length = 255`");
                            None
                        }
                    })?;
                    if let Some(v) = parsed {
                        set(cx, &mut out.max_length, v, MAX_LENGTH, span);
                    }
                }
                BELONGS_TO => {
                    let parsed = keyed(cx, &meta, BELONGS_TO, |cx, e| match e {
                        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => Some(p.path),
                        other => {
                            cx.error(other.span(), "`belongs_to` takes the parent model's type: `belongs_to = Parent`");
                            None
                        }
                    })?;
                    if let Some(v) = parsed {
                        set(cx, &mut out.belongs_to, v, BELONGS_TO, span);
                    }
                }
                DEFAULT => {
                    if let Some(v) = keyed(cx, &meta, DEFAULT, default_lit)? {
                        set(cx, &mut out.default, v, DEFAULT, span);
                    }
                }
                ON_DELETE => {
                    let parsed = keyed(cx, &meta, ON_DELETE, |cx, e| {
                        let lit = string(cx, e, ON_DELETE)?;
                        let action = OnDelete::from_str(&lit.value());
                        if action.is_none() {
                            cx.error(
                                lit.span(),
                                format!("unknown on_delete action {:?}; expected {}", lit.value(), OnDelete::NAMES),
                            );
                        }
                        action
                    })?;
                    if let Some(v) = parsed {
                        set(cx, &mut out.on_delete, v, ON_DELETE, span);
                    }
                }
                _ => {
                    if unknown(cx, &meta, true)? == Some(PRIMARY_KEY) {
                        out.misspelled_primary_key = true;
                    }
                }
            }
            Ok(())
        });
        if let Err(e) = r {
            cx.push(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(closest("primay_key", FIELD_KEYS), Some(PRIMARY_KEY));
        assert_eq!(closest("primarykey", FIELD_KEYS), Some(PRIMARY_KEY));
        assert_eq!(closest("PrimaryKey", FIELD_KEYS), Some(PRIMARY_KEY));
        assert_eq!(closest("colum", FIELD_KEYS), Some(COLUMN));
        assert_eq!(closest("uniq", FIELD_KEYS), Some(UNIQUE));
        assert_eq!(closest("maxlength", FIELD_KEYS), Some(MAX_LENGTH));
        assert_eq!(closest("on_delet", FIELD_KEYS), Some(ON_DELETE));
        assert_eq!(closest("tabel", STRUCT_KEYS), Some(TABLE));
        assert_eq!(closest("rename", STRUCT_KEYS), None);
        assert_eq!(closest("nullable", FIELD_KEYS), None);
        assert_eq!(closest("x", FIELD_KEYS), None);
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("tabel", "table"), 1);
        assert_eq!(edit_distance("primay_key", "primary_key"), 1);
    }

    #[test]
    fn on_delete_actions() {
        assert_eq!(OnDelete::from_str("CASCADE"), Some(OnDelete::Cascade));
        assert_eq!(OnDelete::from_str("set null"), Some(OnDelete::SetNull));
        assert_eq!(OnDelete::from_str("No Action"), Some(OnDelete::NoAction));
        assert_eq!(OnDelete::from_str("restrict"), Some(OnDelete::Restrict));
        assert_eq!(OnDelete::from_str("set_null"), None);
    }
}
