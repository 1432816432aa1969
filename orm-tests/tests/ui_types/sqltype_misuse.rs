use orm_core::prelude::*;

#[derive(SqlType)]
#[orm(repr = "u16")]
enum A {
    X = 1,
}

#[derive(SqlType)]
#[orm(rename_all = "snake_case")]
struct B(i64);

#[derive(SqlType)]
struct C(i64, i64);

#[derive(SqlType)]
#[orm(repr = "i16")]
enum D {
    #[orm(rename = "x")]
    X = 1,
}

#[derive(SqlType)]
#[orm(rename = "x", colour = "red")]
enum E {
    #[orm(renam = "x")]
    X,
}

#[derive(SqlType)]
enum F {}

fn main() {}
