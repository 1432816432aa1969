use orm_core::prelude::*;

// On a newtype: the newtype is its inner type.
#[derive(SqlType)]
#[orm(pg_enum = "status")]
struct A(String);

// With `repr`: an integer enum.
#[derive(SqlType)]
#[orm(pg_enum = "priority", repr = "i16")]
enum B {
    Low = 1,
}

// An empty name, a name that is not a lowercase identifier, and three parts.
#[derive(SqlType)]
#[orm(pg_enum = "")]
enum C {
    X,
}

#[derive(SqlType)]
#[orm(pg_enum = "Post Status")]
enum D {
    X,
}

#[derive(SqlType)]
#[orm(pg_enum = "a.b.c")]
enum E {
    X,
}

// Given twice, and not a string.
#[derive(SqlType)]
#[orm(pg_enum = "s", pg_enum = "t")]
enum F {
    X,
}

#[derive(SqlType)]
#[orm(pg_enum = 5)]
enum G {
    X,
}

fn main() {}
