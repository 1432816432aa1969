// An attribute error in a model with relations: the derive's stub still declares the relation
// constants and `BelongsTo`, so the code using them reports nothing more.
use orm_core::prelude::*;

#[derive(Model)]
pub struct Artist {
    #[orm(primary_key)]
    pub id: i64,
}

#[derive(Model)]
#[orm(tabel = "albums")]
pub struct Album {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Artist, on_delete = "set null")]
    pub artist_id: i64,
}

#[derive(Model)]
#[orm(primary_key(album_id, n), rename_al = "camelCase")]
pub struct AlbumNote {
    #[orm(belongs_to = Album)]
    pub album_id: i64,
    pub n: i32,
}

async fn f(db: &Db, album: &Album) -> orm_core::Result<()> {
    let _artist: Artist = album.parent::<Artist>(db).await?;
    let _albums = Album::query().filter(Album::ARTIST.has(Artist::ID.eq(1))).all(db).await?;
    let _notes = album.children::<AlbumNote>().all(db).await?;
    let _note = AlbumNote::find(db, (1, 2)).await?;
    Ok(())
}

fn main() {
    let _ = f;
}
