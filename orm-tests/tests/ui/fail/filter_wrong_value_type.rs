use orm_core::prelude::*;

#[derive(Model)]
struct User {
    #[orm(primary_key)]
    id: i64,
    name: String,
    age: Option<i32>,
}

fn main() {
    let _ = User::query().filter(User::AGE.eq("x"));
    let _ = User::query().filter(User::NAME.eq(5));
}
