use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "users")]
#[orm(table = "people")]
struct User {
    #[orm(primary_key, primary_key)]
    id: i64,
    #[orm(column = "a")]
    #[orm(column = "b")]
    name: String,
}

fn main() {}
