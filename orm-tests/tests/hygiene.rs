//! The derive's generated code must not depend on what the user has in scope (serde's
//! `test_suite/tests/test_gen.rs` approach): models defined where the prelude's names, the
//! primitive types and plausible local names are shadowed by user items, under
//! `#![no_implicit_prelude]`, inside a `macro_rules!`, with raw identifiers and SQL keywords as
//! names, and as private structs. Each one derives, and then works on every backend.

use orm_core::prelude::*;
use orm_tests::each_backend;

/// Every name the generated code could accidentally pick up from the user's scope.
#[allow(dead_code, non_camel_case_types, non_upper_case_globals, clippy::all)]
mod shadowed {
    // The prelude.
    pub struct Result;
    pub struct Ok;
    pub struct Err;
    pub struct Option;
    pub struct Some;
    pub struct None;
    pub struct String;
    pub struct Vec;
    pub struct Default;
    pub struct Box;
    pub struct Send;
    pub struct Sync;
    pub struct Clone;
    pub struct Into;
    pub struct From;
    pub struct Iterator;
    // Primitive types (a user type may take their names).
    pub struct bool;
    pub struct i64;
    pub struct usize;
    pub struct str;
    pub struct u32;
    // Crate and module names.
    pub mod core {}
    pub mod std {}
    pub mod orm_core {}
    pub mod __orm {}
    // Names a generated function might use for its locals or statics.
    pub const row: () = ();
    pub const args: () = ();
    pub const with_key: () = ();
    pub const id: () = ();
    pub const key: () = ();
    pub const CACHE: () = ();
    pub const SQL: () = ();

    /// A native enum (`pg_enum`) derived with the names above shadowed.
    #[derive(::orm_core::SqlType, Debug, PartialEq)]
    #[orm(pg_enum = "hygiene_kind", rename_all = "snake_case")]
    pub enum Kind {
        First,
        Second,
    }

    #[derive(::orm_core::Model, Debug, PartialEq)]
    #[orm(table = "hygiene_shadowed")]
    pub struct Item {
        #[orm(primary_key)]
        pub id: ::core::primitive::i64,
        #[orm(unique, max_length = 100)]
        pub name: ::std::string::String,
        pub qty: ::core::option::Option<::core::primitive::i32>,
        pub flag: ::core::primitive::bool,
        #[orm(skip)]
        pub scratch: ::std::vec::Vec<::core::primitive::u8>,
    }

    #[derive(::orm_core::Model, Debug, PartialEq)]
    #[orm(table = "hygiene_shadowed_child")]
    pub struct Child {
        #[orm(primary_key)]
        pub id: ::core::option::Option<::core::primitive::i64>,
        #[orm(belongs_to = Item, on_delete = "cascade")]
        pub item_id: ::core::primitive::i64,
    }
}

/// No prelude at all: only absolute paths resolve.
mod no_prelude {
    #![no_implicit_prelude]

    #[derive(::orm_core::Model, ::core::fmt::Debug, ::core::cmp::PartialEq)]
    #[orm(table = "hygiene_no_prelude_item", rename_all = "camelCase")]
    pub struct Item {
        #[orm(primary_key)]
        pub item_id: i64,
        pub display_name: ::std::string::String,
        pub note: ::core::option::Option<::std::string::String>,
    }
}

/// Raw identifiers as field names, SQL keywords as table and column names.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "order")]
pub struct Order {
    #[orm(primary_key)]
    pub r#id: i64,
    pub r#type: String,
    pub r#match: Option<bool>,
    #[orm(column = "select")]
    pub from: i32,
    #[orm(column = "group \"by\" `x`")]
    pub quoted: String,
}

/// A model whose field types come through a `macro_rules!` (other hygiene contexts).
macro_rules! model {
    ($name:ident, $table:literal, $key:ident: $kty:ty, $($field:ident: $ty:ty),*) => {
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = $table)]
        pub struct $name {
            #[orm(primary_key)]
            pub $key: $kty,
            $(pub $field: $ty,)*
        }
    };
}
model!(FromMacro, "hygiene_from_macro", id: i64, label: String, weight: Option<f64>);

mod private {
    use orm_core::prelude::*;

    /// A private struct with private fields: its column constants are private too, and usable
    /// inside this module.
    #[derive(Model, Debug, PartialEq)]
    #[orm(table = "hygiene_private")]
    struct Secret {
        #[orm(primary_key)]
        id: i64,
        code: String,
    }

    pub(crate) async fn roundtrip(db: &Db) -> orm_core::Result<()> {
        Secret::create_table(db).await?;
        let mut s = Secret { id: 0, code: "x".into() };
        s.save(db).await?;
        let found = Secret::query().filter(Secret::CODE.eq("x")).first(db).await?;
        assert_eq!(found, Some(s));
        Secret::drop_table(db).await
    }
}

#[tokio::test]
async fn shadowed_names_derive_and_work() {
    use shadowed::{Child, Item};
    assert_eq!(Item::TABLE, "hygiene_shadowed");
    assert_eq!(Item::NAME.name(), "name");
    each_backend!("hygiene_shadowed", |db| {
        Child::drop_table(&db).await?;
        Item::drop_table(&db).await?;
        Item::create_table(&db).await?;
        Child::create_table(&db).await?;
        let mut it = Item { id: 0, name: "bolt".into(), qty: None, flag: true, scratch: vec![1] };
        it.save(&db).await?;
        assert!(it.id > 0);
        let mut child = Child { id: None, item_id: it.id };
        child.save(&db).await?;
        assert!(child.id.is_some());
        let back = Item::find(&db, it.id).await?.expect("saved row");
        // A skipped field comes back as its Default.
        assert_eq!(back, Item { scratch: Vec::new(), ..it });
        let n = Item::query().filter(Item::QTY.is_null().and(Item::FLAG.eq(true))).count(&db).await?;
        assert_eq!(n, 1);
        Ok(())
    });
}

#[tokio::test]
async fn no_implicit_prelude_derives_and_works() {
    use no_prelude::Item;
    let cols: Vec<&str> = Item::COLUMNS.iter().map(|c| c.name).collect();
    assert_eq!(cols, ["itemId", "displayName", "note"]);
    each_backend!("hygiene_no_prelude", |db| {
        Item::create_table(&db).await?;
        let mut it = Item { item_id: 0, display_name: "A".into(), note: Some("n".into()) };
        it.insert(&db).await?;
        let all = Item::query().filter(Item::DISPLAY_NAME.like("A%")).all(&db).await?;
        assert_eq!(all, vec![it]);
        Ok(())
    });
}

#[tokio::test]
async fn raw_identifiers_and_keywords() {
    assert_eq!(Order::TYPE.name(), "type");
    assert_eq!(Order::MATCH.name(), "match");
    assert_eq!(Order::ID.name(), "id");
    assert_eq!(Order::FROM.name(), "select");
    let fields: Vec<&str> = Order::COLUMNS.iter().map(|c| c.field).collect();
    assert_eq!(fields, ["id", "type", "match", "from", "quoted"]);
    each_backend!("hygiene_raw_idents", |db| {
        Order::create_table(&db).await?;
        let mut o = Order { id: 0, r#type: "t".into(), r#match: Some(false), from: 3, quoted: "q".into() };
        o.save(&db).await?;
        o.r#type = "u".into();
        o.save(&db).await?;
        let got = Order::query()
            .filter(Order::TYPE.eq("u"))
            .filter(Order::FROM.gte(3))
            .filter(Order::QUOTED.eq("q"))
            .order_by(Order::MATCH.desc())
            .all(&db)
            .await?;
        assert_eq!(got, vec![o.clone()]);
        assert!(o.delete(&db).await?);
        Ok(())
    });
}

#[tokio::test]
async fn macro_generated_and_private_models() {
    each_backend!("hygiene_macro_private", |db| {
        FromMacro::create_table(&db).await?;
        let mut m = FromMacro { id: 0, label: "l".into(), weight: Some(1.5) };
        m.save(&db).await?;
        assert_eq!(FromMacro::find(&db, m.id).await?, Some(m.clone()));
        assert_eq!(FromMacro::query().filter(FromMacro::WEIGHT.gt(1.0)).count(&db).await?, 1);
        private::roundtrip(&db).await?;
        Ok(())
    });
}
