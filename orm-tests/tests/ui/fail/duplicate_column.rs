use orm_core::prelude::*;

#[derive(Model)]
#[orm(rename_all = "camelCase")]
struct User {
    #[orm(primary_key)]
    id: i64,
    #[orm(column = "userName")]
    name: String,
    user_name: String,
}

fn main() {}
