use orm_core::prelude::*;

#[derive(Model)]
struct User {
    #[orm(primary_key)]
    id: i64,
    age: Option<i32>,
}

fn main() {
    let _ = User::query().filter(User::AGE.like("1%"));
}
