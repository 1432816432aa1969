use orm_core::prelude::*;

struct Handle(u8);

#[derive(Model)]
struct User {
    #[orm(primary_key)]
    id: i64,
    #[orm(skip)]
    handle: Handle,
}

fn main() {}
