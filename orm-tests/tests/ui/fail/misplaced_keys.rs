use orm_core::prelude::*;

#[derive(Model)]
#[orm(primary_key)]
struct User {
    #[orm(primary_key, table = "users")]
    id: i64,
    #[orm(nullable)]
    name: String,
}

fn main() {}
