//! The rules between keys and fields, checked on the whole model once it is parsed.

use crate::ast::Model;
use crate::attr::{
    AUTO_NOW, AUTO_NOW_ADD, COMPOSITE_USAGE, DEFAULT, INDEX, ON_DELETE, OnDelete, PRIMARY_KEY, SKIP, SOFT_DELETE,
    UNIQUE, VERSION, edit_distance,
};
use crate::ctxt::Ctxt;
use proc_macro2::Span;

/// Reports every broken rule to `cx`.
pub(crate) fn check(cx: &mut Ctxt, m: &Model<'_>) {
    if !m.named {
        // The shape error says it all; there are no fields to check.
        return;
    }
    for f in &m.fields {
        if f.skip() {
            for (key, span) in f.attrs.column_keys() {
                cx.error(span, format!("`{key}` cannot be combined with `{SKIP}`: a skipped field is not a column"));
            }
        }
        if let Some(od) = &f.attrs.on_delete
            && f.attrs.belongs_to.is_none()
        {
            cx.error(od.key_span, format!("`{ON_DELETE}` needs `belongs_to = Parent` on the same field"));
        }
        if let Some(od) = &f.attrs.on_delete
            && od.value == OnDelete::SetNull
            && !f.is_option()
        {
            cx.error(
                od.value_span,
                format!("`{ON_DELETE} = \"set null\"` needs an `Option<...>` field, so the key can become NULL"),
            );
        }
    }

    match &m.composite_key {
        Some(_) => check_composite_key(cx, m),
        None => check_single_key(cx, m),
    }
    check_lists(cx, m);
    check_const_names(cx, m);
}

/// The struct's `unique(a, b)` and `index(a, b)`: column fields, each once per list; and no
/// `default` on a generated key.
fn check_lists(cx: &mut Ctxt, m: &Model<'_>) {
    for (key, lists) in [(UNIQUE, &m.unique_together), (INDEX, &m.indexes)] {
        for list in lists {
            for (i, name) in list.value.iter().enumerate() {
                if list.value[..i].contains(name) {
                    cx.error(name.span(), format!("`{name}` is named twice in `{key}(...)`"));
                    continue;
                }
                match m.fields.iter().find(|f| f.ident == name) {
                    None => {
                        let wanted = name.to_string();
                        let near = m
                            .fields
                            .iter()
                            .map(|f| (edit_distance(&wanted, &f.name), &f.name))
                            .filter(|&(d, k)| d <= 1 || (d <= 3 && d * 3 <= k.len()))
                            .min_by_key(|&(d, _)| d);
                        match near {
                            Some((_, k)) => {
                                cx.error(name.span(), format!("no field named `{name}`; did you mean `{k}`?"))
                            }
                            None => cx.error(name.span(), format!("no field named `{name}`")),
                        }
                    }
                    Some(f) if f.skip() => cx.error(name.span(), format!("`{name}` is `{SKIP}`: not a column")),
                    Some(_) => {}
                }
            }
        }
    }
    for f in &m.fields {
        if let Some(d) = &f.attrs.default
            && f.in_key
        {
            cx.error(d.key_span, format!("`{DEFAULT}` does not apply to a primary-key field"));
        }
    }
    check_managed(cx, m);
}

/// `version`, `auto_now`, `auto_now_add`, `soft_delete`: one role per field, none on a key, one
/// `version` and one `soft_delete` per model. (The field types are checked by the compiler,
/// through the traits `VersionField`, `Timestamp` and `SoftDeleteField`.)
fn check_managed(cx: &mut Ctxt, m: &Model<'_>) {
    let mut version_seen = false;
    let mut soft_seen = false;
    for f in m.fields.iter().filter(|f| !f.skip()) {
        let a = &f.attrs;
        let roles: Vec<(&str, Span)> = [
            (VERSION, a.version),
            (AUTO_NOW, a.auto_now),
            (AUTO_NOW_ADD, a.auto_now_add),
            (SOFT_DELETE, a.soft_delete),
        ]
        .into_iter()
        .filter_map(|(k, s)| s.map(|s| (k, s)))
        .collect();
        if let [(first, _), rest @ ..] = roles.as_slice() {
            for (k, span) in rest {
                cx.error(*span, format!("`{k}` cannot be combined with `{first}` on one field"));
            }
            if f.in_key {
                cx.error(roles[0].1, format!("`{first}` does not apply to a primary-key field"));
            }
        }
        if let Some(span) = a.version {
            if version_seen {
                cx.error(span, "a model has one `version` field");
            }
            version_seen = true;
        }
        if let Some(span) = a.soft_delete {
            if soft_seen {
                cx.error(span, "a model has one `soft_delete` field");
            }
            soft_seen = true;
        }
    }
}

/// One field marked #[orm(primary_key)].
fn check_single_key(cx: &mut Ctxt, m: &Model<'_>) {
    let pks: Vec<_> = m.primary_keys().collect();
    match pks.as_slice() {
        [] => {
            // A misspelled `primary_key`, or one on the struct without its list, is already
            // reported, with a suggestion.
            if !m.fields.iter().any(|f| f.attrs.misspelled_primary_key) && !m.malformed_composite_key {
                cx.error(
                    m.span(),
                    format!(
                        "`{}` has no primary key: mark one field #[orm({PRIMARY_KEY})], \
                         e.g. `#[orm({PRIMARY_KEY})] id: i64`, or declare a composite key on the \
                         struct: `#[orm({COMPOSITE_USAGE})]`",
                        m.ident
                    ),
                );
            }
        }
        [first, rest @ ..] => {
            for extra in rest {
                if let Some(span) = extra.attrs.primary_key {
                    cx.error(
                        span,
                        format!(
                            "a model has one primary-key field and `{}` is already #[orm({PRIMARY_KEY})]; \
                             for a composite key, list the fields on the struct instead: \
                             `#[orm({PRIMARY_KEY}({}, {}))]`",
                            first.name, first.name, extra.name
                        ),
                    );
                }
            }
        }
    }
}

/// The struct's `primary_key(a, b)`: at least two distinct columns that are not `Option`s, and no
/// field marked #[orm(primary_key)] besides.
fn check_composite_key(cx: &mut Ctxt, m: &Model<'_>) {
    let Some(key) = &m.composite_key else { return };
    let names = &key.value;
    if names.len() < 2 {
        cx.error(
            key.key_span,
            format!(
                "a composite key names at least two fields, as in `{COMPOSITE_USAGE}`; \
                 mark a single key field #[orm({PRIMARY_KEY})]"
            ),
        );
    }
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            cx.error(name.span(), format!("`{name}` is named twice in `{PRIMARY_KEY}(...)`"));
            continue;
        }
        match m.fields.iter().find(|f| f.ident == name) {
            None => {
                let known = m.fields.iter().map(|f| &f.name);
                let wanted = name.to_string();
                let near = known
                    .map(|k| (edit_distance(&wanted, k), k))
                    .filter(|&(d, k)| d <= 1 || (d <= 3 && d * 3 <= k.len()))
                    .min_by_key(|&(d, _)| d);
                match near {
                    Some((_, k)) => cx.error(name.span(), format!("no field named `{name}`; did you mean `{k}`?")),
                    None => cx.error(name.span(), format!("no field named `{name}`")),
                }
            }
            Some(f) if f.skip() => cx.error(name.span(), format!("`{name}` is `{SKIP}`: not a column")),
            Some(f) if f.is_option() => {
                cx.error(name.span(), format!("`{name}` is an `Option`: a primary-key column cannot be NULL"))
            }
            Some(_) => {}
        }
    }
    for f in m.primary_keys() {
        if let Some(span) = f.attrs.primary_key {
            cx.error(
                span,
                format!(
                    "the struct declares a composite `{PRIMARY_KEY}(...)`; remove #[orm({PRIMARY_KEY})] \
                     from this field"
                ),
            );
        }
    }
}

/// Two fields on one column, or two constants with one name: column constants (`fooBar` and
/// `foobar`) or a relation constant and a column constant (`ARTIST_ID_REL`).
fn check_const_names(cx: &mut Ctxt, m: &Model<'_>) {
    let cols: Vec<_> = m.columns().collect();
    for (i, f) in cols.iter().enumerate() {
        let span = f.attrs.column.as_ref().map_or_else(|| f.ident.span(), |c| c.value_span);
        if let Some(prev) = cols[..i].iter().find(|p| p.column == f.column) {
            cx.error(
                span,
                format!(
                    "fields `{}` and `{}` both map to the column `{}`; give one of them \
                     #[orm(column = \"...\")]",
                    prev.name, f.name, f.column
                ),
            );
        } else if let Some(prev) = cols[..i].iter().find(|p| p.const_name() == f.const_name()) {
            cx.error(
                f.ident.span(),
                format!(
                    "fields `{}` and `{}` would both get the column constant `{}::{}`; rename one",
                    prev.name,
                    f.name,
                    m.ident,
                    f.const_name()
                ),
            );
        }
    }

    for (i, (f, _)) in m.foreign_keys().enumerate() {
        let rel = m.relation_const_name(f);
        let clash =
            cols.iter().find(|c| c.const_name() == rel).map(|c| format!("the column constant of field `{}`", c.name));
        let clash = clash.or_else(|| {
            m.foreign_keys()
                .take(i)
                .find(|(g, _)| m.relation_const_name(g) == rel)
                .map(|(g, _)| format!("the relation constant of field `{}`", g.name))
        });
        if let Some(other) = clash {
            cx.error(
                f.ident.span(),
                format!(
                    "the relation constant `{}::{rel}` of the `belongs_to` field `{}` has the same name as \
                     {other}; rename one of the fields",
                    m.ident, f.name
                ),
            );
        }
    }
}
