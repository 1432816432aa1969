//! The quickstart: an embedded SQLite database, no server and no setup.
//!
//! Run it with `cargo run --example quickstart`.

use orm_core::prelude::*;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "users")]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique)]
    pub email: String,
    #[orm(column = "full_name")]
    pub name: String,
    pub age: Option<i32>,
    #[orm(skip)]
    pub scratch: String,
}

#[tokio::main]
async fn main() -> orm_core::Result<()> {
    // The backend is chosen by the URL: try "sqlite://app.db", "postgres://..." or "mysql://...".
    let url = std::env::args().nth(1).unwrap_or_else(|| "sqlite::memory:".to_owned());
    let db = Db::connect(&url).await?;
    println!("connected to {}", db.backend().name());
    User::drop_table(&db).await?;
    User::create_table(&db).await?;

    let mut ann = User { id: 0, email: "ann@x.io".into(), name: "Ann".into(), age: Some(30), scratch: String::new() };
    ann.save(&db).await?; // INSERT, and ann.id now holds the generated key
    println!("saved {ann:?}");

    for (email, name, age) in [("bo@x.io", "Bo", Some(17)), ("cy@x.io", "Cy", None), ("al@x.io", "Al", Some(45))] {
        let mut u = User { id: 0, email: email.into(), name: name.into(), age, scratch: String::new() };
        u.insert(&db).await?;
    }

    ann.age = Some(31);
    ann.save(&db).await?; // the key is set: UPDATE
    let found = User::find(&db, ann.id).await?;
    println!("found by key: {found:?}");

    let adults = User::query()
        .filter(User::AGE.gte(18))
        .filter(User::NAME.like("A%").or(User::EMAIL.eq("bo@x.io")))
        .order_by(User::AGE.desc())
        .limit(10)
        .all(&db)
        .await?;
    println!("adults named A...: {:?}", adults.iter().map(|u| &u.name).collect::<Vec<_>>());

    let unknown_age = User::query().filter(User::AGE.is_null()).count(&db).await?;
    println!("users of unknown age: {unknown_age}");

    // A duplicate unique value is an error you can match on, not a panic.
    let mut dup = User { id: 0, email: "ann@x.io".into(), name: "Ann 2".into(), age: None, scratch: String::new() };
    match dup.insert(&db).await {
        Err(e @ Error::UniqueViolation(_)) => println!("rejected duplicate: {e}"),
        other => println!("unexpected: {other:?}"),
    }

    // Transactions: every operation takes &Db or &mut Tx; dropping a Tx rolls it back.
    let mut tx = db.begin().await?;
    User::query().filter(User::AGE.lt(18)).delete(&mut tx).await?;
    println!("minors inside the transaction: {}", User::query().filter(User::AGE.lt(18)).count(&mut tx).await?);
    drop(tx);
    println!("minors after rollback: {}", User::query().filter(User::AGE.lt(18)).count(&db).await?);

    ann.delete(&db).await?;
    println!("{} users left", User::query().count(&db).await?);
    Ok(())
}
