// The schema of the examples in relations.md (a small part of Chinook), included by each of them.
// Compiled and run as doctests: `cargo test --doc -p orm-core`.

use orm_core::prelude::*;

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Artist {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Album {
    #[orm(primary_key)]
    pub id: i32,
    pub title: String,
    #[orm(belongs_to = Artist, on_delete = "cascade")]
    pub artist_id: i32,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Genre {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Track {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[orm(belongs_to = Album, on_delete = "cascade")]
    pub album_id: i32,
    #[orm(belongs_to = Genre, on_delete = "set null")]
    pub genre_id: Option<i32>,
    pub milliseconds: i32,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Playlist {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq, Default)]
#[orm(primary_key(playlist_id, track_id))]
pub struct PlaylistTrack {
    #[orm(belongs_to = Playlist, on_delete = "cascade")]
    pub playlist_id: i32,
    #[orm(belongs_to = Track, on_delete = "cascade")]
    pub track_id: i32,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Employee {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[orm(belongs_to = Employee, on_delete = "set null")]
    pub reports_to: Option<i32>,
}

/// An in-memory database with the schema and a few rows: AC/DC (2 albums), Accept (1 album),
/// Aerosmith (none); playlist 1 "Music" holds tracks 1 and 3.
#[allow(dead_code)]
async fn demo_db() -> orm_core::Result<Db> {
    let db = Db::connect("sqlite::memory:").await?;
    Artist::create_table(&db).await?;
    Album::create_table(&db).await?;
    Genre::create_table(&db).await?;
    Track::create_table(&db).await?;
    Playlist::create_table(&db).await?;
    PlaylistTrack::create_table(&db).await?;
    Employee::create_table(&db).await?;
    for name in ["AC/DC", "Accept", "Aerosmith"] {
        Artist {
            id: 0,
            name: name.into(),
        }
        .insert(&db)
        .await?;
    }
    for (title, artist_id) in [
        ("For Those About To Rock", 1),
        ("Let There Be Rock", 1),
        ("Balls to the Wall", 2),
    ] {
        Album {
            id: 0,
            title: title.into(),
            artist_id,
        }
        .insert(&db)
        .await?;
    }
    for name in ["Rock", "Metal"] {
        Genre {
            id: 0,
            name: name.into(),
        }
        .insert(&db)
        .await?;
    }
    for (name, album_id, genre_id, milliseconds) in [
        ("For Those About To Rock", 1, Some(1), 343_719),
        ("Put The Finger On You", 1, Some(1), 205_662),
        ("Go Down", 2, None, 331_180),
        ("Balls to the Wall", 3, Some(2), 342_562),
    ] {
        Track {
            id: 0,
            name: name.into(),
            album_id,
            genre_id,
            milliseconds,
        }
        .insert(&db)
        .await?;
    }
    Playlist {
        id: 0,
        name: "Music".into(),
    }
    .insert(&db)
    .await?;
    Playlist {
        id: 0,
        name: "Empty".into(),
    }
    .insert(&db)
    .await?;
    for track_id in [1, 3] {
        PlaylistTrack {
            playlist_id: 1,
            track_id,
        }
        .insert(&db)
        .await?;
    }
    for (name, reports_to) in [("Andrew", None), ("Nancy", Some(1)), ("Jane", Some(2))] {
        Employee {
            id: 0,
            name: name.into(),
            reports_to,
        }
        .insert(&db)
        .await?;
    }
    Ok(db)
}
