use orm_core::prelude::*;

#[derive(Model)]
enum User {
    Admin { id: i64 },
    Guest,
}

fn main() {
    // No follow-on errors from uses of the model.
    let _ = User::query();
}
