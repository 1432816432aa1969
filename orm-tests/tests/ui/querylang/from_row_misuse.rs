use orm_core::FromRow;

#[derive(FromRow)]
#[orm(table = "x")]
struct UnknownStructKey {
    id: i64,
}

#[derive(FromRow)]
struct BadFieldKeys {
    #[orm(primary_key)]
    id: i64,
    #[orm(column = "a")]
    a: i64,
    #[orm(column = "a")]
    b: i64,
}

#[derive(FromRow)]
struct Tuple(i64, String);

#[derive(FromRow)]
enum NotAStruct {
    A,
}

fn main() {}
