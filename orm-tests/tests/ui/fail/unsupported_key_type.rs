use orm_core::prelude::*;

#[derive(Model)]
struct Point {
    #[orm(primary_key)]
    x: f64,
}

fn main() {}
