use orm_core::prelude::*;

#[derive(Model)]
struct User {
    #[orm(primary_key)]
    id: i64,
    name: String,
    age: Option<i32>,
}

#[derive(Model)]
struct Post {
    #[orm(primary_key)]
    id: i64,
    title: String,
}

async fn wrong(db: &Db) -> orm_core::Result<()> {
    // The tuple's types follow the columns: (i64, String), not (i64, i32).
    let _rows: Vec<(i64, i32)> = User::query().select((User::ID, User::NAME)).all(db).await?;
    // A column of another model cannot be selected.
    let _ = User::query().select(Post::TITLE);
    // Assigning text to an integer column.
    let _ = User::query().update(db, [User::AGE.set("old")]).await?;
    // No arithmetic on text.
    let _ = User::NAME + 1;
    // SUM of integers is Option<i64>, not i32.
    let _total: i32 = User::query().aggregate(db, User::AGE.sum()).await?;
    // Text helpers apply to text columns only.
    let _ = User::AGE.icontains("4");
    Ok(())
}

fn main() {
    let _ = wrong;
}
