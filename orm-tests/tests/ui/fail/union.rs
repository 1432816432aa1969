use orm_core::prelude::*;

#[derive(Model)]
union User {
    id: i64,
    age: i32,
}

fn main() {}
