use orm_core::prelude::*;
use std::collections::HashMap;

#[derive(Model)]
struct User {
    #[orm(primary_key)]
    id: i64,
    tags: HashMap<String, String>,
}

fn main() {}
