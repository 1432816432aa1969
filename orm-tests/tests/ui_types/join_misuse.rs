// Typed joins: a join along a relation that starts at no table of the query, and a column or
// condition of a table the query does not read, are compile errors.
use orm_core::prelude::*;

#[derive(Model)]
#[orm(table = "albums")]
pub struct Album {
    #[orm(primary_key)]
    pub id: i64,
    pub title: String,
}

#[derive(Model)]
#[orm(table = "songs")]
pub struct Song {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Album)]
    pub album_id: i64,
}

#[derive(Model)]
#[orm(table = "labels")]
pub struct Label {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

#[derive(Model)]
#[orm(table = "releases")]
pub struct Release {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Label)]
    pub label_id: i64,
}

fn main() {
    // Neither end of `Release::LABEL` is in a query over songs.
    let _ = Song::query().join(Release::LABEL);
    // `labels` is not joined.
    let _ = Song::query().join(Song::ALBUM).select((Album::TITLE, Label::NAME));
    let _ = Song::query().join(Song::ALBUM).filter(Label::NAME.eq("x"));
}
