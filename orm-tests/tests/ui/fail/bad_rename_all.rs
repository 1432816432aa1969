use orm_core::prelude::*;

#[derive(Model)]
#[orm(rename_all = "kebab-case")]
struct User {
    #[orm(primary_key)]
    id: i64,
}

fn main() {}
