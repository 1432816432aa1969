use orm_core::prelude::*;

#[derive(Model)]
struct User;

fn main() {}
