use orm_core::Model;

#[derive(Model)]
#[orm(primary_key(a))]
pub struct OneField {
    pub a: i32,
}

#[derive(Model)]
#[orm(primary_key(a, missing, a))]
pub struct Unknown {
    pub a: i32,
    pub b: i32,
}

#[derive(Model)]
#[orm(primary_key(a, b))]
pub struct Nullable {
    pub a: i32,
    pub b: Option<i32>,
}

#[derive(Model)]
#[orm(primary_key(a, b))]
pub struct Both {
    #[orm(primary_key)]
    pub a: i32,
    pub b: i32,
}

fn main() {}
