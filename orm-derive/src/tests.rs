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
            "a model has one primary-key field and `a` is already #[orm(primary_key)]; for a composite key, \
             list the fields on the struct instead: `#[orm(primary_key(a, b))]`",
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
        ["`S` has no primary key: mark one field #[orm(primary_key)], e.g. `#[orm(primary_key)] id: i64`, or \
          declare a composite key on the struct: `#[orm(primary_key(playlist_id, track_id))]`"]
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

#[test]
fn composite_keys() {
    let input: DeriveInput = parse_quote! {
        #[orm(primary_key(track_id, playlist_id))]
        pub struct PlaylistTrack {
            pub playlist_id: i32,
            pub track_id: i64,
            pub position: i32,
        }
    };
    let mut cx = Ctxt::default();
    let m = Model::from_input(&mut cx, &input);
    check(&mut cx, &m);
    assert!(cx.finish().is_none());
    // Key order is the list's, not the fields'.
    let key: Vec<&str> = m.key_fields().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(key, ["track_id", "playlist_id"]);
    let out = expansion(&input);
    for fragment in [
        "typeKey=(i64,i32,);",
        "constPRIMARY_KEY:::core::primitive::usize=1usize;",
        "constKEY_COLUMNS:&'static[::core::primitive::usize]=&[1usize,0usize];",
        // Never generated by the database, so always sent.
        "primary_key:true,auto_increment:false&&",
        "if__with_key{<i32as__orm::SqlType>::bind(&self.playlist_id,__args)?;}",
        "fn__key_unset(&self)->::core::primitive::bool{false}",
        "::core::option::Option::Some((::core::clone::Clone::clone(&self.track_id),::core::clone::Clone::clone(&self.playlist_id),))",
        "__orm::Error::Unsupported",
    ] {
        assert!(out.contains(fragment), "missing {fragment} in {out}");
    }
    assert!(!out.contains("KeyField"), "{out}");
}

#[test]
fn composite_key_errors() {
    let input: DeriveInput = parse_quote! {
        #[orm(primary_key(a, missing, a, "b", c, s))]
        struct S {
            #[orm(primary_key)]
            a: i64,
            b: i64,
            c: Option<i64>,
            #[orm(skip)]
            s: i64,
        }
    };
    assert_eq!(
        errors(&input),
        [
            "expected a field name, as in `primary_key(playlist_id, track_id)`",
            "no field named `missing`",
            "`a` is named twice in `primary_key(...)`",
            "`c` is an `Option`: a primary-key column cannot be NULL",
            "`s` is `skip`: not a column",
            "the struct declares a composite `primary_key(...)`; remove #[orm(primary_key)] from this field",
        ]
    );
    let e = |input: DeriveInput| errors(&input);
    assert_eq!(
        e(parse_quote! { #[orm(primary_key(a))] struct S { a: i64 } }),
        ["a composite key names at least two fields, as in `primary_key(playlist_id, track_id)`; mark a single \
             key field #[orm(primary_key)]"]
    );
    assert_eq!(
        e(parse_quote! { #[orm(primary_key(a, bb))] struct S { a: i64, b: i64 } }),
        ["no field named `bb`; did you mean `b`?"]
    );
    assert_eq!(
        e(parse_quote! { #[orm(primary_key)] struct S { a: i64 } }),
        ["on the struct, `primary_key` declares a composite key and lists its fields: \
             `#[orm(primary_key(playlist_id, track_id))]`; mark a single key field #[orm(primary_key)] instead"]
    );
    assert_eq!(
        e(parse_quote! { struct S { #[orm(primary_key(a, b))] a: i64 } }),
        ["expected `primary_key`, not a parenthesized list; a composite key is declared on the struct: \
             `#[orm(primary_key(playlist_id, track_id))]`"]
    );
}

#[test]
fn relation_constants() {
    let input: DeriveInput = parse_quote! {
        pub struct Employee {
            #[orm(primary_key)]
            pub id: i64,
            #[orm(belongs_to = Employee, on_delete = "set null")]
            pub reports_to: Option<i64>,
            #[orm(belongs_to = crate::Office)]
            office_id: i32,
            #[orm(belongs_to = Desk)]
            desk_id: i32,
            desk: String,
            #[orm(belongs_to = Desk)]
            spare_desk_id: Option<i32>,
        }
    };
    let mut cx = Ctxt::default();
    let m = Model::from_input(&mut cx, &input);
    check(&mut cx, &m);
    assert!(cx.finish().is_none());
    let names: Vec<String> = m.foreign_keys().map(|(f, _)| m.relation_const_name(f).to_string()).collect();
    assert_eq!(names, ["REPORTS_TO_REL", "OFFICE", "DESK_ID_REL", "SPARE_DESK"]);
    let out = expansion(&input);
    for fragment in [
        "pubconstREPORTS_TO_REL:__orm::ForeignKey<Employee,Employee,Option<i64>>=__orm::ForeignKey::__new(\"reports_to\",",
        "|__c:&Employee|<Option<i64>as__orm::ForeignKeyType<<Employeeas__orm::Model>::Key>>::parent_key(&__c.reports_to)",
        // A private field's relation is as visible as the struct.
        "pubconstOFFICE:__orm::ForeignKey<Employee,crate::Office,i32>",
        "impl__orm::BelongsTo<Employee>forEmployee{typeField=Option<i64>;",
        "impl__orm::BelongsTo<crate::Office>forEmployee{typeField=i32;constFOREIGN_KEY:__orm::ForeignKey<Employee,crate::Office,i32>=Employee::OFFICE;}",
        "parent:||(<Employeeas__orm::Model>::TABLE,",
    ] {
        assert!(out.contains(fragment), "missing {fragment} in {out}");
    }
    // Two keys to `Desk`: no BelongsTo<Desk>, the constants name them.
    assert!(!out.contains("BelongsTo<Desk>"), "{out}");
}

#[test]
fn relation_constant_clashes_and_set_null() {
    let input: DeriveInput = parse_quote! {
        struct S {
            #[orm(primary_key)]
            id: i64,
            artist: i64,
            #[orm(belongs_to = Artist, on_delete = "set null")]
            artist_id: i64,
            artist_id_rel: i64,
        }
    };
    assert_eq!(
        errors(&input),
        [
            "`on_delete = \"set null\"` needs an `Option<...>` field, so the key can become NULL",
            "the relation constant `S::ARTIST_ID_REL` of the `belongs_to` field `artist_id` has the same name as the \
             column constant of field `artist_id_rel`; rename one of the fields",
        ]
    );
}

#[test]
fn errors_keep_the_relations_in_the_stub() {
    let input: DeriveInput = parse_quote! {
        #[orm(tabel = "albums", primary_key(id, n))]
        pub struct Album {
            id: i64,
            n: i32,
            #[orm(belongs_to = Artist)]
            artist_id: i64,
        }
    };
    let out = expansion(&input);
    assert!(out.starts_with("::core::compile_error!{"), "{out}");
    for fragment in [
        "typeKey=(i64,i32,);",
        "fn__key(&self)->::core::option::Option<Self::Key>{::core::unreachable!()}",
        "pubconstARTIST:__orm::ForeignKey<Album,Artist,i64>=__orm::ForeignKey::__new(\"artist_id\",|_:&Album|->::core::option::Option<<Artistas__orm::Model>::Key>{::core::unreachable!()}",
        "impl__orm::BelongsTo<Artist>forAlbum{typeField=i64;",
    ] {
        assert!(out.contains(fragment), "missing {fragment} in {out}");
    }
}

#[test]
fn relations_and_composite_keys_use_no_name_the_user_can_shadow() {
    let input: DeriveInput = parse_quote! {
        #[orm(primary_key(parent_id, n))]
        pub struct Child {
            #[orm(belongs_to = Parent, on_delete = "cascade")]
            pub parent_id: ::core::primitive::i64,
            pub n: ::core::primitive::i32,
            #[orm(belongs_to = Parent, on_delete = "set null")]
            pub other: ::core::option::Option<::core::primitive::i64>,
        }
    };
    assert_qualified(derive(&input));
    let broken: DeriveInput = parse_quote! {
        #[orm(primary_key(parent_id, n), tabel = "x")]
        pub struct Child {
            #[orm(belongs_to = Parent)]
            pub parent_id: ::core::primitive::i64,
            pub n: ::core::primitive::i32,
        }
    };
    assert_qualified(derive(&broken));
}

#[test]
fn migrations_macro_rejects_a_broken_history() {
    let dir = std::env::temp_dir().join(format!("orm_derive_migrations_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = |id: &str, parent: Option<&str>| {
        let parent = parent.map_or("null".to_owned(), |p| format!("\"{p}\""));
        format!(
            "{{\n  \"format\": 1,\n  \"id\": \"{id}\",\n  \"parent\": {parent},\n  \"operations\": [],\n  \"snapshot\": {{\"tables\": []}}\n}}\n"
        )
    };
    let expand = |d: &std::path::Path| {
        let lit = d.to_string_lossy().into_owned();
        crate::migrations::expand(quote::quote!(#lit)).to_string()
    };
    std::fs::write(dir.join("0001_a.json"), file("0001_a", None)).unwrap();
    std::fs::write(dir.join("0002_b.json"), file("0002_b", Some("0001_a"))).unwrap();
    let ok = expand(&dir);
    assert!(ok.contains("__embedded") && ok.contains("include_str"), "{ok}");
    // A gap.
    std::fs::write(dir.join("0004_d.json"), file("0004_d", Some("0002_b"))).unwrap();
    assert!(expand(&dir).contains("a gap in the history"), "{}", expand(&dir));
    std::fs::remove_file(dir.join("0004_d.json")).unwrap();
    // A wrong parent.
    std::fs::write(dir.join("0003_c.json"), file("0003_c", Some("0001_a"))).unwrap();
    assert!(expand(&dir).contains("its parent must be"), "{}", expand(&dir));
    // A duplicate number.
    std::fs::write(dir.join("0003_c.json"), file("0003_c", Some("0002_b"))).unwrap();
    std::fs::write(dir.join("0003_e.json"), file("0003_e", Some("0002_b"))).unwrap();
    assert!(expand(&dir).contains("two migrations are numbered 0003"), "{}", expand(&dir));
    std::fs::remove_file(dir.join("0003_e.json")).unwrap();
    // A file without its snapshot.
    std::fs::write(
        dir.join("0003_c.json"),
        file("0003_c", Some("0002_b")).replace(",\n  \"snapshot\": {\"tables\": []}", ""),
    )
    .unwrap();
    assert!(expand(&dir).contains("`0003_c.json`: its `snapshot` is not a schema"), "{}", expand(&dir));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn renamed_from_on_the_struct_and_on_fields() {
    let input: DeriveInput = parse_quote! {
        #[orm(table = "people", renamed_from = "persons")]
        struct Person {
            #[orm(primary_key)]
            id: i64,
            #[orm(renamed_from = "name")]
            full_name: String,
        }
    };
    assert!(errors(&input).is_empty(), "{:?}", errors(&input));
    let out = expansion(&input);
    assert!(out.contains("constRENAMED_FROM:::core::option::Option<&'static::core::primitive::str>=::core::option::Option::Some(\"persons\")"), "{out}");
    assert!(out.contains("renamed_from:::core::option::Option::Some(\"name\")"), "{out}");
    assert!(out.contains("renamed_from:::core::option::Option::None"), "{out}");

    let bad: DeriveInput = parse_quote! {
        #[orm(renamed_from = 3)]
        struct P {
            #[orm(primary_key)]
            id: i64,
            #[orm(renamed_from = "")]
            a: String,
            #[orm(renamed_from = "x", renamed_from = "y")]
            b: String,
        }
    };
    let e = errors(&bad);
    assert!(e.iter().any(|m| m.contains("`renamed_from` takes a string literal")), "{e:?}");
    assert!(e.iter().any(|m| m.contains("must not be empty")), "{e:?}");
    assert!(e.iter().any(|m| m.contains("duplicate `renamed_from`")), "{e:?}");
}
