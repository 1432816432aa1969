use orm_core::prelude::*;

#[derive(Model)]
struct User {
    #[orm(primary_key)]
    id: i64,
    age: Option<i32>,
}

#[derive(Model)]
struct Post {
    #[orm(primary_key)]
    id: i64,
    title: String,
}

fn main() {
    let _ = Post::query().filter(User::AGE.eq(1));
    let _ = Post::query().order_by(User::AGE.asc());
}
