use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = users)]
struct User {
    #[orm(primary_key = true)]
    id: i64,
    #[orm(max_length = 0)]
    a: String,
    #[orm(max_length = "10")]
    b: String,
    #[orm(column)]
    c: String,
    #[orm(unique(yes))]
    d: String,
    #[orm(belongs_to = "User")]
    e: i64,
    #[orm(column = 'x')]
    f: String,
}

fn main() {}
