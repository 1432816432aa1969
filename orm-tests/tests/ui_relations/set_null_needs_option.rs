use orm_core::Model;

#[derive(Model)]
pub struct Artist {
    #[orm(primary_key)]
    pub id: i32,
}

#[derive(Model)]
pub struct Album {
    #[orm(primary_key)]
    pub id: i32,
    #[orm(belongs_to = Artist, on_delete = "set null")]
    pub artist_id: i32,
}

fn main() {}
