//! The description of a model built from the input: the struct's shape, its table, and per
//! field the column name and attributes. Built even when there are errors, as far as the input
//! allows, so that the fallback expansion can still declare the model and its columns.

use crate::attr::{self, FieldAttrs, OnDelete, StructAttrs};
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
}

/// The whole model.
pub(crate) struct Model<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) generics: &'a Generics,
    /// Whether the input is a struct with named fields (else `fields` is empty).
    pub(crate) named: bool,
    pub(crate) table: String,
    pub(crate) fields: Vec<Field<'a>>,
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

        let StructAttrs { table, rename_all } = attr::struct_attrs(cx, &input.attrs);
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
                        Some(Field { ident, ty: &f.ty, vis: &f.vis, name, column, attrs })
                    })
                    .collect()
            })
            .unwrap_or_default();

        Model { ident: &input.ident, vis: &input.vis, generics: &input.generics, named: named.is_some(), table, fields }
    }

    /// The fields that are columns, in declaration order (the order of `COLUMNS`).
    pub(crate) fn columns(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(|f| !f.skip())
    }

    /// The fields marked `primary_key` (exactly one in a valid model).
    pub(crate) fn primary_keys(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(|f| f.primary_key())
    }

    /// The span to report model-wide problems on: the struct's name.
    pub(crate) fn span(&self) -> Span {
        self.ident.span()
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
