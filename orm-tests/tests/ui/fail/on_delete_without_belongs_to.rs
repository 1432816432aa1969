use orm_core::prelude::*;

#[derive(Model)]
struct Post {
    #[orm(primary_key)]
    id: i64,
    #[orm(on_delete = "cascade")]
    user_id: i64,
}

fn main() {}
