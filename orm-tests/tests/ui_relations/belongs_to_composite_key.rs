use orm_core::Model;

#[derive(Model)]
#[orm(primary_key(a, b))]
pub struct Pair {
    pub a: i32,
    pub b: i32,
}

#[derive(Model)]
pub struct Child {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(belongs_to = Pair)]
    pub pair_id: i32,
}

fn main() {}
