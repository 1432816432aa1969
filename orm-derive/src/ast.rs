//! The description of a model built from the input: the struct's shape, its table, its key, and
//! per field the column name and attributes. Built even when there are errors, as far as the input
//! allows, so that the fallback expansion can still declare the model and its columns.

use crate::attr::{self, Attr, FieldAttrs, OnDelete, StructAttrs};
use crate::case::to_snake;
use crate::ctxt::Ctxt;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Path, Type, Visibility};

/// One field of the struct.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) vis: &'a Visibility,
    /// The field's name without any `r#` prefix.
    pub(crate) name: String,
    /// The SQL column name (`column = ".."`, else the name after `rename_all`).
    pub(crate) column: String,
    pub(crate) attrs: FieldAttrs,
    /// Whether the field is (part of) the primary key: marked #[orm(primary_key)], or named in the
    /// struct's `primary_key(...)` when there is one.
    pub(crate) in_key: bool,
}

impl Field<'_> {
    pub(crate) fn skip(&self) -> bool {
        self.attrs.skip.is_some()
    }
    pub(crate) fn primary_key(&self) -> bool {
        self.attrs.primary_key.is_some()
    }
    pub(crate) fn unique(&self) -> bool {
        self.attrs.unique.is_some()
    }
    pub(crate) fn index(&self) -> bool {
        self.attrs.index.is_some()
    }
    pub(crate) fn max_length(&self) -> Option<u32> {
        self.attrs.max_length.as_ref().map(|a| a.value)
    }
    pub(crate) fn renamed_from(&self) -> Option<&str> {
        self.attrs.renamed_from.as_ref().map(|a| a.value.as_str())
    }
    pub(crate) fn belongs_to(&self) -> Option<&Path> {
        self.attrs.belongs_to.as_ref().map(|a| &a.value)
    }
    pub(crate) fn on_delete(&self) -> OnDelete {
        self.attrs.on_delete.as_ref().map_or(OnDelete::NoAction, |a| a.value)
    }
    /// The name of the column constant: the field name in SCREAMING_SNAKE_CASE.
    pub(crate) fn const_name(&self) -> Ident {
        Ident::new(&self.name.to_uppercase(), self.ident.span())
    }
    /// Whether the field's type is spelled `Option<...>` (a nullable column).
    pub(crate) fn is_option(&self) -> bool {
        is_option(self.ty)
    }
}

/// The whole model.
pub(crate) struct Model<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) generics: &'a Generics,
    /// Whether the input is a struct with named fields (else `fields` is empty).
    pub(crate) named: bool,
    pub(crate) table: String,
    /// The struct's `renamed_from = "old_table"`.
    pub(crate) renamed_from: Option<String>,
    pub(crate) fields: Vec<Field<'a>>,
    /// The struct's `primary_key(a, b)`, declaring a composite key.
    pub(crate) composite_key: Option<Attr<Vec<Ident>>>,
    /// A `primary_key` on the struct without its list of fields (already reported).
    pub(crate) malformed_composite_key: bool,
    /// The struct's `unique(a, b)` constraints.
    pub(crate) unique_together: Vec<Attr<Vec<Ident>>>,
    /// The struct's `index(a, b)` indexes.
    pub(crate) indexes: Vec<Attr<Vec<Ident>>>,
    /// The struct's `hooks` key (the model implements `ModelHooks`).
    pub(crate) hooks: Option<Span>,
}

impl<'a> Model<'a> {
    /// Reads the input, reporting syntax and shape errors to `cx`.
    pub(crate) fn from_input(cx: &mut Ctxt, input: &'a DeriveInput) -> Model<'a> {
        let named = match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(n) => Some(n),
                Fields::Unnamed(u) => {
                    cx.error(
                        u.span(),
                        "#[derive(Model)] needs named fields: a tuple struct has no column names; \
                         write `struct Name { id: i64, ... }`",
                    );
                    None
                }
                Fields::Unit => {
                    cx.error(
                        input.ident.span(),
                        "#[derive(Model)] needs a struct with named fields, one per column; \
                         a unit struct has none",
                    );
                    None
                }
            },
            Data::Enum(e) => {
                cx.error(e.enum_token.span, "#[derive(Model)] works on structs with named fields, not enums");
                None
            }
            Data::Union(u) => {
                cx.error(u.union_token.span, "#[derive(Model)] works on structs with named fields, not unions");
                None
            }
        };
        if !input.generics.params.is_empty() {
            cx.error(
                input.generics.span(),
                "#[derive(Model)] does not support generic structs: a table has fixed column types",
            );
        }

        let StructAttrs {
            table,
            rename_all,
            renamed_from,
            primary_key,
            malformed_primary_key,
            unique_together,
            indexes,
            hooks,
        } = attr::struct_attrs(cx, &input.attrs);
        let table = table.map_or_else(|| to_snake(&strip_raw(&input.ident)), |a| a.value);
        let rename = rename_all.map(|a| a.value);

        let fields = named
            .map(|named| {
                named
                    .named
                    .iter()
                    .filter_map(|f| {
                        // Named fields always have an ident; skip defensively instead of panicking.
                        let ident = f.ident.as_ref()?;
                        let attrs = attr::field_attrs(cx, &f.attrs);
                        let name = strip_raw(ident);
                        let column = match &attrs.column {
                            Some(c) => c.value.clone(),
                            None => rename.map_or_else(|| name.clone(), |r| r.apply(&name)),
                        };
                        let in_key = attrs.primary_key.is_some() && attrs.skip.is_none();
                        Some(Field { ident, ty: &f.ty, vis: &f.vis, name, column, attrs, in_key })
                    })
                    .collect()
            })
            .unwrap_or_default();

        let mut m = Model {
            ident: &input.ident,
            vis: &input.vis,
            generics: &input.generics,
            named: named.is_some(),
            table,
            renamed_from: renamed_from.map(|a| a.value),
            fields,
            composite_key: primary_key,
            malformed_composite_key: malformed_primary_key,
            unique_together,
            indexes,
            hooks,
        };
        if let Some(names) = &m.composite_key {
            // The key is the struct's list; `check` reports the fields that cannot be in it.
            for f in &mut m.fields {
                f.in_key = !f.skip() && names.value.iter().any(|n| n == f.ident);
            }
        }
        m
    }

    /// The SQL column names of a struct-level list (`unique(a, b)`); names that are not columns
    /// are reported by `check` and left out.
    pub(crate) fn list_columns(&self, names: &[Ident]) -> Vec<String> {
        names.iter().filter_map(|n| self.columns().find(|f| f.ident == n).map(|f| f.column.clone())).collect()
    }

    /// The fields that are columns, in declaration order (the order of `COLUMNS`).
    pub(crate) fn columns(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(|f| !f.skip())
    }

    /// The fields marked `primary_key` (exactly one in a valid model without a composite key).
    pub(crate) fn primary_keys(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(|f| f.primary_key())
    }

    /// The key's fields in key order: the struct's `primary_key(...)` list (each field once), or
    /// the fields marked #[orm(primary_key)]. Only columns.
    pub(crate) fn key_fields(&self) -> Vec<&Field<'a>> {
        match &self.composite_key {
            Some(names) => {
                let mut out: Vec<&Field<'a>> = Vec::new();
                for n in &names.value {
                    if let Some(f) = self.fields.iter().find(|f| f.ident == n && f.in_key)
                        && !out.iter().any(|o| o.ident == f.ident)
                    {
                        out.push(f);
                    }
                }
                out
            }
            None => self.fields.iter().filter(|f| f.in_key).collect(),
        }
    }

    /// The fields with `belongs_to = Parent`, with the parent.
    pub(crate) fn foreign_keys(&self) -> impl Iterator<Item = (&Field<'a>, &Path)> {
        self.columns().filter_map(|f| f.belongs_to().map(|p| (f, p)))
    }

    /// The name of the relation constant of a `belongs_to` field: the field's name without its
    /// `_id` suffix (`ARTIST` for `artist_id`), or with `_REL` appended when it has no such suffix
    /// or when a column already has the shorter name (`ARTIST_ID_REL` beside a field `artist`).
    pub(crate) fn relation_const_name(&self, f: &Field<'_>) -> Ident {
        let name = match f.name.strip_suffix("_id") {
            Some(base) if !base.is_empty() && !self.columns().any(|c| c.name == base) => base.to_uppercase(),
            _ => format!("{}_REL", f.name.to_uppercase()),
        };
        Ident::new(&name, f.ident.span())
    }

    /// Whether `f` is the model's only `belongs_to` field to its parent (parents are compared by
    /// the last segment of their path), so that the model gets `BelongsTo<Parent>`.
    pub(crate) fn only_foreign_key_to_parent(&self, parent: &Path) -> bool {
        let last = |p: &Path| p.segments.last().map(|s| s.ident.to_string());
        self.foreign_keys().filter(|(_, p)| last(p) == last(parent)).count() == 1
    }

    /// The span to report model-wide problems on: the struct's name.
    pub(crate) fn span(&self) -> Span {
        self.ident.span()
    }
}

/// Whether `ty` is spelled `Option<...>` (`Option`, `std::option::Option`, `core::option::Option`).
pub(crate) fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Option" && matches!(s.arguments, syn::PathArguments::AngleBracketed(_))),
        Type::Group(g) => is_option(&g.elem),
        Type::Paren(p) => is_option(&p.elem),
        _ => false,
    }
}

/// `r#type` -> `type`.
fn strip_raw(ident: &Ident) -> String {
    let s = ident.to_string();
    match s.strip_prefix("r#") {
        Some(rest) => rest.to_owned(),
        None => s,
    }
}
