use orm_core::prelude::*;

#[derive(Model)]
#[allow(non_snake_case)]
struct User {
    #[orm(primary_key)]
    id: i64,
    fooBar: String,
    #[orm(column = "foo_bar_2")]
    foobar: String,
}

fn main() {}
