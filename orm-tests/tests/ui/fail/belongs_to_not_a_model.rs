use orm_core::prelude::*;

struct Account;

#[derive(Model)]
struct Post {
    #[orm(primary_key)]
    id: i64,
    #[orm(belongs_to = Account)]
    account_id: i64,
}

fn main() {}
