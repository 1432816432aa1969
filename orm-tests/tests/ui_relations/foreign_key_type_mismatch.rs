use orm_core::Model;

#[derive(Model)]
pub struct Artist {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
pub struct Album {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Artist)]
    pub artist_id: i32,
}

fn main() {}
