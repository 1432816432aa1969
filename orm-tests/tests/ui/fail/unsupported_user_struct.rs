use orm_core::prelude::*;

struct Address {
    street: String,
}

#[derive(Model)]
struct User {
    #[orm(primary_key)]
    id: i64,
    address: Option<Address>,
}

fn main() {}
