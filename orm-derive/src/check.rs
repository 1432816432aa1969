//! The rules between keys and fields, checked on the whole model once it is parsed.

use crate::ast::Model;
use crate::attr::{ON_DELETE, PRIMARY_KEY, SKIP};
use crate::ctxt::Ctxt;

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
    }

    let pks: Vec<_> = m.primary_keys().collect();
    match pks.as_slice() {
        [] => {
            // A misspelled `primary_key` is already reported, with a suggestion.
            if !m.fields.iter().any(|f| f.attrs.misspelled_primary_key) {
                cx.error(
                    m.span(),
                    format!(
                        "`{}` has no primary key: mark one field #[orm({PRIMARY_KEY})], \
                         e.g. `#[orm({PRIMARY_KEY})] id: i64`",
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
                            "a model has one primary key and `{}` is already #[orm({PRIMARY_KEY})]; \
                             composite keys are not supported (use #[orm(unique)] on the others)",
                            first.name
                        ),
                    );
                }
            }
        }
    }

    // Two fields on one column, or two fields with one constant name (`fooBar` and `foobar`).
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
}
