use orm_core::prelude::*;

// A derive error must not bury the user under follow-on errors from code that uses the model.
#[derive(Model, Debug)]
struct User {
    #[orm(primay_key)]
    id: i64,
    name: String,
    age: Option<i32>,
}

async fn run(db: &Db) -> orm_core::Result<()> {
    let mut u = User { id: 0, name: "Ann".into(), age: None };
    u.save(db).await?;
    let _one: Option<User> = User::find(db, 1).await?;
    let _all: Vec<User> = User::query()
        .filter(User::AGE.gte(18))
        .filter(User::NAME.like("A%"))
        .order_by(User::ID.desc())
        .all(db)
        .await?;
    Ok(())
}

fn main() {
    let _ = run;
}
