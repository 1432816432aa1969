use orm_core::prelude::*;

#[derive(Model)]
struct Doc {
    #[orm(primary_key, version)]
    id: i64,
    #[orm(version)]
    v1: i32,
    #[orm(version)]
    v2: i32,
    #[orm(auto_now, auto_now_add)]
    at: chrono::DateTime<chrono::Utc>,
    #[orm(version = 1)]
    v3: i32,
}

fn main() {}
