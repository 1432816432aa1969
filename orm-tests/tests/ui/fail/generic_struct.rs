use orm_core::prelude::*;

#[derive(Model)]
struct User<T> {
    #[orm(primary_key)]
    id: i64,
    data: T,
}

fn main() {
    // No follow-on errors from uses of the model.
    let _ = User::<String>::query().filter(User::<String>::ID.eq(1));
}
