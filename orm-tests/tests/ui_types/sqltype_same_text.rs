use orm_core::prelude::*;

#[derive(SqlType)]
#[orm(rename_all = "snake_case")]
enum Status {
    Draft,
    #[orm(rename = "draft")]
    Sketch,
    Published,
}

fn main() {}
