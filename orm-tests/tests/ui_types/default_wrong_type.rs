use orm_core::prelude::*;

#[derive(SqlType, Debug, Clone, Copy, PartialEq)]
#[orm(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Published,
}

#[derive(Model)]
struct Post {
    #[orm(primary_key)]
    id: i64,
    #[orm(default = "seven")]
    count: i32,
    #[orm(default = "archived")]
    status: Status,
    #[orm(default = 1)]
    other_status: Status,
    #[orm(default = 70000)]
    small: i16,
}

fn main() {}
