use orm_core::prelude::*;

// Every mistake is reported at once, each on its own tokens.
#[derive(Model)]
#[orm(tabel = "users", rename_all = "Title Case")]
struct User {
    #[orm(primay_key)]
    id: i64,
    #[orm(unique, unique)]
    email: String,
    #[orm(on_delete = "cascade")]
    team_id: i64,
    #[orm(skip, index)]
    scratch: String,
}

fn main() {}
