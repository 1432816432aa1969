use orm_core::prelude::*;

#[derive(Model)]
struct Post {
    #[orm(primary_key)]
    id: i64,
    #[orm(default = [1, 2])]
    list: String,
    #[orm(default = some_fn())]
    other: String,
    #[orm(primary_key, default = 3)]
    dup: i64,
}

fn main() {}
