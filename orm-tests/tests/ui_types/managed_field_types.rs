use orm_core::prelude::*;

#[derive(Model)]
struct Doc {
    #[orm(primary_key)]
    id: i64,
    #[orm(version)]
    version: String,
    #[orm(auto_now)]
    updated_at: i64,
    #[orm(auto_now_add)]
    created_at: bool,
    #[orm(soft_delete)]
    deleted_at: chrono::DateTime<chrono::Utc>,
}

fn main() {}
