use orm_core::prelude::*;

#[derive(Model)]
struct User {
    #[orm(primay_key)]
    id: i64,
    #[orm(colum = "full_name")]
    name: String,
}

fn main() {}
