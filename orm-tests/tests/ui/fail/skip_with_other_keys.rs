use orm_core::prelude::*;

#[derive(Model)]
struct User {
    #[orm(primary_key)]
    id: i64,
    #[orm(skip, unique)]
    scratch: String,
    #[orm(column = "x", skip)]
    other: String,
}

fn main() {}
