//! In-process tests of the stages: the model description, the error messages, and fragments of
//! the expansion (compile-level behaviour is tested with trybuild in orm-tests).

use crate::ast::Model;
use crate::check::check;
use crate::ctxt::Ctxt;
use crate::expand::derive;
use syn::{DeriveInput, parse_quote};

/// The error messages for `input`, in order.
fn errors(input: &DeriveInput) -> Vec<String> {
    let mut cx = Ctxt::default();
    let m = Model::from_input(&mut cx, input);
    check(&mut cx, &m);
    cx.finish().map(|e| e.into_iter().map(|e| e.to_string()).collect()).unwrap_or_default()
}

/// The expansion as one string with the spaces proc_macro2 puts between tokens removed.
fn expansion(input: &DeriveInput) -> String {
    derive(input).to_string().replace(' ', "")
}

#[test]
fn columns_tables_and_renames() {
    let input: DeriveInput = parse_quote! {
        #[orm(rename_all = "PascalCase")]
        pub struct InvoiceLine {
            #[orm(primary_key)]
            invoice_line_id: i64,
            #[orm(column = "Qty")]
            quantity: i32,
            r#type: String,
            #[orm(skip)]
            cache: Vec<u8>,
        }
    };
    let mut cx = Ctxt::default();
    let m = Model::from_input(&mut cx, &input);
    check(&mut cx, &m);
    assert!(cx.finish().is_none());
    assert_eq!(m.table, "invoice_line");
    let cols: Vec<(&str, &str)> = m.columns().map(|f| (f.name.as_str(), f.column.as_str())).collect();
    assert_eq!(cols, [("invoice_line_id", "InvoiceLineId"), ("quantity", "Qty"), ("type", "Type")]);
    let consts: Vec<String> = m.columns().map(|f| f.const_name().to_string()).collect();
    assert_eq!(consts, ["INVOICE_LINE_ID", "QUANTITY", "TYPE"]);
}

#[test]
fn every_error_is_reported() {
    let input: DeriveInput = parse_quote! {
        #[orm(tabel = "x", rename_all = "lower")]
        struct S {
            #[orm(primary_key)]
            a: i64,
            #[orm(primary_key, skip)]
            b: i64,
            #[orm(on_delete = "cascade", colum = "z")]
            c: i64,
            #[orm(column = "a")]
            d: i64,
        }
    };
    assert_eq!(
        errors(&input),
        [
            "unknown key `tabel` in #[orm(...)]; did you mean `table`?",
            "unknown rename_all rule \"lower\"; expected \"snake_case\", \"PascalCase\", \"camelCase\" or \
             \"SCREAMING_SNAKE_CASE\"",
            "unknown key `colum` in #[orm(...)]; did you mean `column`?",
            "`primary_key` cannot be combined with `skip`: a skipped field is not a column",
            "`on_delete` needs `belongs_to = Parent` on the same field",
            "a model has one primary key and `a` is already #[orm(primary_key)]; composite keys are not \
             supported (use #[orm(unique)] on the others)",
            "fields `a` and `d` both map to the column `a`; give one of them #[orm(column = \"...\")]",
        ]
    );
}

#[test]
fn shapes() {
    let e = |input: DeriveInput| errors(&input);
    assert_eq!(
        e(parse_quote! { struct S(i64); }),
        [
            "#[derive(Model)] needs named fields: a tuple struct has no column names; write `struct Name { id: i64, ... }`"
        ]
    );
    assert_eq!(e(parse_quote! { enum E { A } }), ["#[derive(Model)] works on structs with named fields, not enums"]);
    assert_eq!(
        e(parse_quote! { struct S<'a> { #[orm(primary_key)] id: &'a str } }),
        ["#[derive(Model)] does not support generic structs: a table has fixed column types"]
    );
    assert_eq!(
        e(parse_quote! { struct S { id: i64 } }),
        ["`S` has no primary key: mark one field #[orm(primary_key)], e.g. `#[orm(primary_key)] id: i64`"]
    );
}

#[test]
fn other_attributes_are_ignored() {
    let input: DeriveInput = parse_quote! {
        #[derive(Debug)]
        #[serde(rename = "x")]
        struct S {
            #[serde(skip)]
            #[orm(primary_key)]
            id: i64,
        }
    };
    assert!(errors(&input).is_empty());
}

#[test]
fn expansion_is_hygienic_and_spans_types() {
    let input: DeriveInput = parse_quote! {
        pub struct User {
            #[orm(primary_key)]
            pub id: i64,
            #[orm(unique, max_length = 80)]
            pub email: String,
            age: Option<i32>,
            #[orm(skip)]
            scratch: String,
        }
    };
    let out = expansion(&input);
    assert!(out.starts_with("#[allow(non_upper_case_globals,unused_qualifications,clippy::all)]const_:()={use::orm_core::__privateas__orm;"), "{out}");
    for fragment in [
        "#[automatically_derived]impl__orm::ModelforUser{typeKey=<i64as__orm::KeyField>::Key;",
        "constTABLE:&'static::core::primitive::str=\"user\";",
        "name:\"email\",field:\"email\",kind:<Stringas__orm::SqlType>::KIND,",
        "unique:true,index:false,max_length:::core::option::Option::Some(80u32),",
        "age:__orm::decoded(<Option<i32>as__orm::SqlType>::decode(__row,2usize),\"user\")?",
        "scratch:<Stringas::core::default::Default>::default()",
        "if__with_key{<i64as__orm::SqlType>::bind(&self.id,__args)?;}",
        "#[doc=\"Thecolumn`age`oftable`user`(field`age`).\"]pubconstAGE:__orm::Column<User,Option<i32>>",
    ] {
        assert!(out.contains(fragment), "missing {fragment} in {out}");
    }
    assert!(!out.contains("compile_error"));
}

/// Every identifier in `tokens` that a user could shadow must be the end of a `::` path.
fn assert_qualified(tokens: proc_macro2::TokenStream) {
    use proc_macro2::TokenTree;
    const SHADOWABLE: &[&str] =
        &["Ok", "Err", "Some", "None", "Result", "Option", "Default", "String", "Vec", "bool", "i64", "usize", "str"];
    let mut prev_colon = false;
    for tt in tokens {
        match &tt {
            TokenTree::Ident(i) => {
                let name = i.to_string();
                // `__orm::Result` is orm-core's alias, reached through the hidden module.
                assert!(!SHADOWABLE.contains(&name.as_str()) || prev_colon, "unqualified `{name}`");
            }
            TokenTree::Group(g) => assert_qualified(g.stream()),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
        prev_colon = matches!(&tt, TokenTree::Punct(p) if p.as_char() == ':');
    }
}

#[test]
fn no_name_the_user_can_shadow_is_used_unqualified() {
    let input: DeriveInput = parse_quote! {
        pub struct User {
            #[orm(primary_key)]
            pub id: ::core::primitive::i64,
            pub email: ::std::string::String,
            pub age: ::core::option::Option<::core::primitive::i32>,
            #[orm(skip)]
            scratch: ::std::vec::Vec<::core::primitive::u8>,
        }
    };
    assert_qualified(derive(&input));
    let broken: DeriveInput = parse_quote! {
        struct User {
            #[orm(primay_key)]
            id: ::core::primitive::i64,
        }
    };
    assert_qualified(derive(&broken));
}

#[test]
fn errors_expand_to_errors_plus_a_stub() {
    let input: DeriveInput = parse_quote! {
        struct User {
            #[orm(primay_key)]
            id: i64,
            age: Option<i32>,
        }
    };
    let out = expansion(&input);
    assert!(out.starts_with("::core::compile_error!{"), "{out}");
    assert!(out.contains("impl__orm::ModelforUser{typeKey=::core::primitive::i64;"), "{out}");
    assert!(out.contains("constAGE:__orm::Column<User,Option<i32>>"), "{out}");
    assert!(out.contains("::core::unreachable!()"), "{out}");
}
