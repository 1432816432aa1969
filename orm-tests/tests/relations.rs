//! Relations on all three backends with the same code: foreign keys and their ON DELETE actions,
//! loading parents and children, eager loading in a fixed number of queries (counted), chunking
//! under the parameter limit, many-to-many through a join model with a composite key, and
//! filters that follow relations.
//!
//! Run with `CI=1 cargo test -p orm-tests --test relations` so that no backend is skipped.

use orm_core::prelude::*;
use orm_core::{Backend, ManyToMany, create_table_sql, crud_sql};
use orm_tests::each_backend;

// --- a small Chinook-like schema ------------------------------------------------------------------

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
    #[orm(belongs_to = Album, on_delete = "restrict")]
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

/// The join model: its key is made of its two foreign keys.
#[derive(Model, Debug, Clone, PartialEq, Default)]
#[orm(table = "playlist_track", primary_key(playlist_id, track_id))]
pub struct PlaylistTrack {
    #[orm(belongs_to = Playlist, on_delete = "cascade")]
    pub playlist_id: i32,
    #[orm(belongs_to = Track, on_delete = "cascade")]
    pub track_id: i32,
}

/// A model referring to itself (Chinook's `Employee.ReportsTo`).
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Employee {
    #[orm(primary_key)]
    pub id: i32,
    pub name: String,
    #[orm(belongs_to = Employee, on_delete = "set null")]
    pub reports_to: Option<i32>,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Team {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique)]
    pub name: String,
}

/// Two foreign keys to the same parent: no `BelongsTo<Team>`, one constant per field.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "game")]
pub struct Game {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(belongs_to = Team)]
    pub home_id: i64,
    #[orm(belongs_to = Team)]
    pub away_id: i64,
}

/// A text primary key, a foreign key to it, and a join model whose key columns are text.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Country {
    #[orm(primary_key, max_length = 2)]
    pub code: String,
    pub name: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct City {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[orm(belongs_to = Country, max_length = 2)]
    pub country: String,
}

#[derive(Model, Debug, Clone, PartialEq, Default)]
#[orm(primary_key(city_id, tag))]
pub struct CityTag {
    #[orm(belongs_to = City, on_delete = "cascade")]
    pub city_id: i64,
    #[orm(max_length = 20)]
    pub tag: String,
    pub weight: i32,
}

async fn create_schema(db: &Db) -> orm_core::Result<()> {
    Artist::create_table(db).await?;
    Album::create_table(db).await?;
    Genre::create_table(db).await?;
    Track::create_table(db).await?;
    Playlist::create_table(db).await?;
    PlaylistTrack::create_table(db).await?;
    Ok(())
}

fn artist(name: &str) -> Artist {
    Artist { id: 0, name: name.into() }
}

fn album(title: &str, artist: &Artist) -> Album {
    Album { id: 0, title: title.into(), artist_id: artist.id }
}

fn track(name: &str, album: &Album, genre: Option<&Genre>, ms: i32) -> Track {
    Track { id: 0, name: name.into(), album_id: album.id, genre_id: genre.map(|g| g.id), milliseconds: ms }
}

/// AC/DC (2 albums, 3 tracks), Accept (1 album, 2 tracks), Aerosmith (no album); two genres;
/// playlists "Music" (3 tracks) and "Empty".
struct Seed {
    acdc: Artist,
    accept: Artist,
    aerosmith: Artist,
    rock_album: Album,
    live_album: Album,
    balls: Album,
    rock: Genre,
    metal: Genre,
    tracks: Vec<Track>,
    music: Playlist,
    empty: Playlist,
}

async fn seed(db: &Db) -> orm_core::Result<Seed> {
    create_schema(db).await?;
    let mut acdc = artist("AC/DC");
    let mut accept = artist("Accept");
    let mut aerosmith = artist("Aerosmith");
    for a in [&mut acdc, &mut accept, &mut aerosmith] {
        a.insert(db).await?;
    }
    let mut rock_album = album("For Those About To Rock", &acdc);
    let mut live_album = album("Live", &acdc);
    let mut balls = album("Balls to the Wall", &accept);
    for a in [&mut rock_album, &mut live_album, &mut balls] {
        a.insert(db).await?;
    }
    let mut rock = Genre { id: 0, name: "Rock".into() };
    let mut metal = Genre { id: 0, name: "Metal".into() };
    rock.insert(db).await?;
    metal.insert(db).await?;
    let mut tracks = vec![
        track("For Those About To Rock", &rock_album, Some(&rock), 343_719),
        track("Put The Finger On You", &rock_album, Some(&rock), 205_662),
        track("Highway To Hell (live)", &live_album, None, 300_000),
        track("Balls to the Wall", &balls, Some(&metal), 342_562),
        track("Fast As a Shark", &balls, Some(&metal), 230_619),
    ];
    for t in &mut tracks {
        t.insert(db).await?;
    }
    let mut music = Playlist { id: 0, name: "Music".into() };
    let mut empty = Playlist { id: 0, name: "Empty".into() };
    music.insert(db).await?;
    empty.insert(db).await?;
    for t in [&tracks[0], &tracks[2], &tracks[3]] {
        PlaylistTrack { playlist_id: music.id, track_id: t.id }.insert(db).await?;
    }
    Ok(Seed { acdc, accept, aerosmith, rock_album, live_album, balls, rock, metal, tracks, music, empty })
}

/// Artists with their albums with their tracks.
type ArtistTree = Vec<(Artist, Vec<(Album, Vec<Track>)>)>;

fn names<M, F: Fn(&M) -> &str>(rows: &[M], f: F) -> Vec<String> {
    rows.iter().map(|r| f(r).to_owned()).collect()
}

// --- DDL and constraints ------------------------------------------------------------------------------

#[test]
fn relations_ddl_golden() {
    let sqlite = create_table_sql::<Track>(Backend::Sqlite);
    assert_eq!(
        sqlite[0],
        "CREATE TABLE IF NOT EXISTS \"track\" (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"name\" TEXT NOT NULL, \
         \"album_id\" INTEGER NOT NULL, \"genre_id\" INTEGER, \"milliseconds\" INTEGER NOT NULL, \
         FOREIGN KEY (\"album_id\") REFERENCES \"album\" (\"id\") ON DELETE RESTRICT, \
         FOREIGN KEY (\"genre_id\") REFERENCES \"genre\" (\"id\") ON DELETE SET NULL)"
    );
    assert_eq!(sqlite[1], "CREATE INDEX IF NOT EXISTS \"track_album_id_idx\" ON \"track\" (\"album_id\")");
    assert_eq!(sqlite[2], "CREATE INDEX IF NOT EXISTS \"track_genre_id_idx\" ON \"track\" (\"genre_id\")");

    // A composite key is a table constraint; its leading column needs no index of its own, the
    // other foreign key does.
    let pg = create_table_sql::<PlaylistTrack>(Backend::Postgres);
    assert_eq!(
        pg,
        vec![
            "CREATE TABLE IF NOT EXISTS \"playlist_track\" (\"playlist_id\" INTEGER NOT NULL, \
             \"track_id\" INTEGER NOT NULL, PRIMARY KEY (\"playlist_id\", \"track_id\"), \
             FOREIGN KEY (\"playlist_id\") REFERENCES \"playlist\" (\"id\") ON DELETE CASCADE, \
             FOREIGN KEY (\"track_id\") REFERENCES \"track\" (\"id\") ON DELETE CASCADE)"
                .to_owned(),
            "CREATE INDEX IF NOT EXISTS \"playlist_track_track_id_idx\" ON \"playlist_track\" (\"track_id\")"
                .to_owned(),
        ]
    );
    let my = create_table_sql::<PlaylistTrack>(Backend::MySql);
    assert_eq!(
        my,
        vec![
            "CREATE TABLE IF NOT EXISTS `playlist_track` (`playlist_id` INT NOT NULL, `track_id` INT NOT NULL, \
             PRIMARY KEY (`playlist_id`, `track_id`), \
             FOREIGN KEY (`playlist_id`) REFERENCES `playlist` (`id`) ON DELETE CASCADE, \
             FOREIGN KEY (`track_id`) REFERENCES `track` (`id`) ON DELETE CASCADE, INDEX `playlist_track_track_id_idx` (`track_id`)) \
             ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
                .to_owned()
        ]
    );

    // find/update/delete of a composite key name every key column, in key order.
    let [_, find, insert, _, update, delete] = crud_sql::<PlaylistTrack>(Backend::Postgres);
    assert_eq!(
        find,
        "SELECT \"playlist_track\".\"playlist_id\", \"playlist_track\".\"track_id\" FROM \"playlist_track\" \
         WHERE \"playlist_track\".\"playlist_id\" = $1 AND \"playlist_track\".\"track_id\" = $2"
    );
    assert_eq!(insert, "INSERT INTO \"playlist_track\" (\"playlist_id\", \"track_id\") VALUES ($1, $2)");
    assert_eq!(
        update,
        "UPDATE \"playlist_track\" SET \"playlist_id\" = \"playlist_id\" WHERE \"playlist_id\" = $1 AND \"track_id\" = $2"
    );
    assert_eq!(delete, "DELETE FROM \"playlist_track\" WHERE \"playlist_id\" = $1 AND \"track_id\" = $2");
    let [_, _, _, _, update, _] = crud_sql::<CityTag>(Backend::MySql);
    assert_eq!(update, "UPDATE `city_tag` SET `weight` = ? WHERE `city_id` = ? AND `tag` = ?");
}

#[tokio::test]
async fn relations_foreign_keys_enforced() {
    each_backend!("relations_foreign_keys_enforced", |db| {
        let s = seed(&db).await?;
        // An orphan: no artist 999.
        let mut orphan = Album { id: 0, title: "Orphan".into(), artist_id: 999 };
        match orphan.insert(&db).await {
            Err(Error::ForeignKeyViolation(_)) => {}
            other => panic!("expected a foreign key violation, got {other:?}"),
        }
        // Pointing an existing row at a missing parent fails the same way.
        let mut t = s.tracks[0].clone();
        t.album_id = 12345;
        assert!(matches!(t.update(&db).await, Err(Error::ForeignKeyViolation(_))));
        // A join row needs both parents.
        let bad = PlaylistTrack { playlist_id: s.music.id, track_id: 999 };
        assert!(matches!(bad.clone().insert(&db).await, Err(Error::ForeignKeyViolation(_))));
        Ok(())
    });
}

#[tokio::test]
async fn relations_on_delete_actions() {
    each_backend!("relations_on_delete_actions", |db| {
        let s = seed(&db).await?;

        // RESTRICT: an album with tracks cannot be deleted.
        match s.balls.delete(&db).await {
            Err(Error::ForeignKeyViolation(_)) => {}
            other => panic!("expected RESTRICT to refuse, got {other:?}"),
        }
        assert!(Album::find(&db, s.balls.id).await?.is_some());

        // SET NULL: deleting a genre empties its tracks' key.
        assert!(s.metal.delete(&db).await?);
        let balls_tracks = s.balls.children::<Track>().order_by(Track::ID.asc()).all(&db).await?;
        assert_eq!(balls_tracks.len(), 2);
        assert!(balls_tracks.iter().all(|t| t.genre_id.is_none()));
        assert_eq!(balls_tracks[0].parent::<Genre>(&db).await?, None);

        // CASCADE: deleting an artist deletes its albums (once their tracks are gone, as the
        // tracks RESTRICT the albums), and deleting a playlist or track deletes its join rows.
        Track::query().filter(Track::ALBUM_ID.eq(s.balls.id)).delete(&db).await?;
        assert!(s.accept.delete(&db).await?);
        assert_eq!(Album::query().filter(Album::ARTIST_ID.eq(s.accept.id)).count(&db).await?, 0);
        assert_eq!(PlaylistTrack::query().count(&db).await?, 2, "track 3 of the playlist went with its album");
        assert!(s.tracks[0].delete(&db).await?);
        assert_eq!(PlaylistTrack::query().count(&db).await?, 1);
        assert!(s.music.delete(&db).await?);
        assert_eq!(PlaylistTrack::query().count(&db).await?, 0);

        // An artist whose albums still have tracks: the cascade hits the RESTRICT below it.
        assert!(s.acdc.delete(&db).await.is_err());
        assert!(Artist::find(&db, s.acdc.id).await?.is_some());
        Ok(())
    });
}

// --- loading one row's relations -----------------------------------------------------------------

#[tokio::test]
async fn relations_parent_and_children() {
    each_backend!("relations_parent_and_children", |db| {
        let s = seed(&db).await?;
        // A required key gives the parent itself; an optional key an Option.
        let a: Artist = s.rock_album.parent::<Artist>(&db).await?;
        assert_eq!(a, s.acdc);
        let g: Option<Genre> = s.tracks[0].parent::<Genre>(&db).await?;
        assert_eq!(g, Some(s.rock.clone()));

        // An empty optional key costs no query.
        let before = db.statement_count();
        assert_eq!(s.tracks[2].parent::<Genre>(&db).await?, None);
        assert_eq!(db.statement_count(), before);

        // The same through the relation constant.
        assert_eq!(Track::ALBUM.parent_of(&db, &s.tracks[3]).await?, s.balls);
        assert_eq!(Track::ALBUM.parent_key(&s.tracks[3]), Some(s.balls.id));

        // Children are a query: filter, order, limit, count.
        let albums = s.acdc.children::<Album>().order_by(Album::TITLE.desc()).all(&db).await?;
        assert_eq!(names(&albums, |a| &a.title), ["Live", "For Those About To Rock"]);
        let first = s.acdc.children::<Album>().filter(Album::TITLE.like("Live%")).first(&db).await?;
        assert_eq!(first, Some(s.live_album.clone()));
        assert_eq!(s.rock_album.children::<Track>().count(&db).await?, 2);
        assert_eq!(s.aerosmith.children::<Album>().all(&db).await?, vec![]);
        let longest = Album::ARTIST.children_of(&s.acdc).order_by(Album::ID.asc()).limit(1).all(&db).await?;
        assert_eq!(longest, vec![s.rock_album.clone()]);

        // A parent that is not saved has no children (and costs a query that matches nothing).
        assert_eq!(artist("Unsaved").children::<Album>().count(&db).await?, 0);

        // Inside a transaction.
        let mut tx = db.begin().await?;
        let mut new = album("New", &s.aerosmith);
        new.insert(&mut tx).await?;
        assert_eq!(s.aerosmith.children::<Album>().count(&mut tx).await?, 1);
        assert_eq!(new.parent::<Artist>(&mut tx).await?, s.aerosmith);
        tx.rollback().await?;
        assert_eq!(s.aerosmith.children::<Album>().count(&db).await?, 0);

        // Setting the parent through the relation.
        let mut moved = s.live_album.clone();
        Album::ARTIST.set_parent(&mut moved, &s.aerosmith)?;
        assert_eq!(moved.artist_id, s.aerosmith.id);
        assert!(matches!(Album::ARTIST.set_parent(&mut moved, &artist("unsaved")), Err(Error::InvalidValue(_))));
        Ok(())
    });
}

#[tokio::test]
async fn relations_self_reference_and_two_keys_to_one_parent() {
    each_backend!("relations_self_reference_and_two_keys_to_one_parent", |db| {
        Employee::create_table(&db).await?;
        let mut boss = Employee { id: 0, name: "Andrew".into(), reports_to: None };
        boss.insert(&db).await?;
        let mut nancy = Employee { id: 0, name: "Nancy".into(), reports_to: Some(boss.id) };
        nancy.insert(&db).await?;
        let mut jane = Employee { id: 0, name: "Jane".into(), reports_to: Some(nancy.id) };
        jane.insert(&db).await?;

        assert_eq!(jane.parent::<Employee>(&db).await?, Some(nancy.clone()));
        assert_eq!(boss.parent::<Employee>(&db).await?, None);
        assert_eq!(nancy.children::<Employee>().all(&db).await?, vec![jane.clone()]);

        // Filters on a table that refers to itself: the subquery is aliased.
        let managers =
            Employee::query().filter(Employee::REPORTS_TO_REL.any()).order_by(Employee::ID.asc()).all(&db).await?;
        assert_eq!(managers, vec![boss.clone(), nancy.clone()]);
        let leaves = Employee::query().filter(Employee::REPORTS_TO_REL.none()).all(&db).await?;
        assert_eq!(leaves, vec![jane.clone()]);
        let under_andrew =
            Employee::query().filter(Employee::REPORTS_TO_REL.has(Employee::NAME.eq("Andrew"))).all(&db).await?;
        assert_eq!(under_andrew, vec![nancy.clone()]);
        // Two levels of the same table: who manages a manager; whose manager's manager is Andrew.
        let grand = Employee::query()
            .filter(Employee::REPORTS_TO_REL.any_where(Employee::REPORTS_TO_REL.any()))
            .all(&db)
            .await?;
        assert_eq!(grand, vec![boss.clone()]);
        let grand_children = Employee::query()
            .filter(Employee::REPORTS_TO_REL.has(Employee::REPORTS_TO_REL.has(Employee::NAME.eq("Andrew"))))
            .all(&db)
            .await?;
        assert_eq!(grand_children, vec![jane.clone()]);
        // Without a manager: matches `!has(...)`, as there is no manager that matches.
        let not_under_nancy = Employee::query()
            .filter(!Employee::REPORTS_TO_REL.has(Employee::NAME.eq("Nancy")))
            .order_by(Employee::ID.asc())
            .all(&db)
            .await?;
        assert_eq!(not_under_nancy, vec![boss.clone(), nancy.clone()]);

        // Eager loading on a self reference: each employee's manager, and each one's reports.
        let all = Employee::query().order_by(Employee::ID.asc()).all(&db).await?;
        let with_boss = all.clone().with_parent::<Employee>(&db).await?;
        assert_eq!(with_boss[2], (jane.clone(), Some(nancy.clone())));
        assert_eq!(with_boss[0].1, None);
        let tree = all.with_children::<Employee>(&db).await?.with_children::<Employee>(&db).await?;
        assert_eq!(tree[0].1, vec![(nancy.clone(), vec![jane.clone()])]);

        // SET NULL on a self reference.
        assert!(nancy.delete(&db).await?);
        assert_eq!(Employee::find(&db, jane.id).await?.and_then(|j| j.reports_to), None);

        // Two keys to the same parent: named by their constants.
        Team::create_table(&db).await?;
        Game::create_table(&db).await?;
        let mut reds = Team { id: 0, name: "Reds".into() };
        let mut blues = Team { id: 0, name: "Blues".into() };
        reds.insert(&db).await?;
        blues.insert(&db).await?;
        let mut g = Game { id: 0, home_id: reds.id, away_id: blues.id };
        g.insert(&db).await?;
        assert_eq!(Game::HOME.parent_of(&db, &g).await?, reds);
        assert_eq!(Game::AWAY.parent_of(&db, &g).await?, blues);
        assert_eq!(Game::AWAY.children_of(&blues).count(&db).await?, 1);
        assert_eq!(Game::HOME.children_of(&blues).count(&db).await?, 0);
        let hosts = Team::query().filter(Game::HOME.any()).all(&db).await?;
        assert_eq!(hosts, vec![reds.clone()]);
        // Both parents of each game: aligned loads, or one pair per game with a tuple of relations.
        let games = vec![g.clone()];
        assert_eq!(Game::HOME.load(&db, &games).await?, vec![reds.clone()]);
        assert_eq!(Game::AWAY.load(&db, &games).await?, vec![blues.clone()]);
        let before = db.statement_count();
        let both = games.with(&db, (Game::HOME, Game::AWAY)).await?;
        assert_eq!(db.statement_count() - before, 2);
        assert_eq!(both, vec![(g.clone(), (reds.clone(), blues.clone()))]);
        Ok(())
    });
}

// --- eager loading ----------------------------------------------------------------------------------

#[tokio::test]
async fn relations_eager_loading() {
    each_backend!("relations_eager_loading", |db| {
        let s = seed(&db).await?;
        let artists = Artist::query().order_by(Artist::NAME.desc()).all(&db).await?;
        assert_eq!(names(&artists, |a| &a.name), ["Aerosmith", "Accept", "AC/DC"]);

        // Children of N parents: one query, input order kept, children ordered by key.
        let before = db.statement_count();
        let with_albums: Vec<(Artist, Vec<Album>)> = artists.clone().with_children::<Album>(&db).await?;
        assert_eq!(db.statement_count() - before, 1);
        assert_eq!(
            with_albums,
            vec![
                (s.aerosmith.clone(), vec![]),
                (s.accept.clone(), vec![s.balls.clone()]),
                (s.acdc.clone(), vec![s.rock_album.clone(), s.live_album.clone()]),
            ]
        );

        // The aligned form, without consuming the list.
        let groups: Vec<Vec<Album>> = Album::ARTIST.children().load(&db, &artists).await?;
        assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), [0, 1, 2]);

        // Filtered and ordered children.
        let live_first = artists
            .clone()
            .with(
                &db,
                Album::ARTIST.children().filter(Album::TITLE.ne("Balls to the Wall")).order_by(Album::TITLE.desc()),
            )
            .await?;
        assert_eq!(names(&live_first[2].1, |a| &a.title), ["Live", "For Those About To Rock"]);
        assert!(live_first[1].1.is_empty());

        // Parents of N children: one query; an optional key gives an Option.
        let tracks = Track::query().order_by(Track::ID.asc()).all(&db).await?;
        let before = db.statement_count();
        let with_album: Vec<(Track, Album)> = tracks.clone().with_parent::<Album>(&db).await?;
        assert_eq!(db.statement_count() - before, 1);
        assert_eq!(with_album[3].1, s.balls);
        assert_eq!(with_album[0].1, s.rock_album);
        let with_genre: Vec<(Track, Option<Genre>)> = tracks.clone().with_parent::<Genre>(&db).await?;
        assert_eq!(with_genre[0].1, Some(s.rock.clone()));
        assert_eq!(with_genre[2].1, None);
        assert_eq!(with_genre[4].1, Some(s.metal.clone()));

        // Nested parents: each track's album, then each album's artist (one query per level).
        let before = db.statement_count();
        let up: Vec<(Track, (Album, Artist))> =
            tracks.clone().with_parent::<Album>(&db).await?.with_parent::<Artist>(&db).await?;
        assert_eq!(db.statement_count() - before, 2);
        assert_eq!(up[4].1, (s.balls.clone(), s.accept.clone()));

        // Nested children: artists -> albums -> tracks.
        let before = db.statement_count();
        let tree: ArtistTree = artists.clone().with_children::<Album>(&db).await?.with_children::<Track>(&db).await?;
        assert_eq!(db.statement_count() - before, 2);
        let acdc = &tree[2];
        assert_eq!(acdc.0, s.acdc);
        assert_eq!(acdc.1[0].0, s.rock_album);
        assert_eq!(names(&acdc.1[0].1, |t| &t.name), ["For Those About To Rock", "Put The Finger On You"]);
        assert_eq!(names(&acdc.1[1].1, |t| &t.name), ["Highway To Hell (live)"]);
        assert!(tree[0].1.is_empty());

        // Several relations of the same rows: a tuple.
        let albums = Album::query().order_by(Album::ID.asc()).all(&db).await?;
        let full: Vec<(Album, (Artist, Vec<Track>))> =
            albums.with(&db, (Album::ARTIST, Track::ALBUM.children())).await?;
        assert_eq!(full[2].1.0, s.accept);
        assert_eq!(full[2].1.1.len(), 2);

        // A single row, and an Option.
        let (a, albums) = s.acdc.clone().with_children::<Album>(&db).await?;
        assert_eq!((a, albums.len()), (s.acdc.clone(), 2));
        let none: Option<Artist> = None;
        let before = db.statement_count();
        assert_eq!(none.with_children::<Album>(&db).await?, None);
        assert_eq!(db.statement_count(), before);

        // The same parent twice in the input: each copy gets its children.
        let twice = vec![s.accept.clone(), s.acdc.clone(), s.accept.clone()];
        let loaded = twice.with_children::<Album>(&db).await?;
        assert_eq!(loaded[0].1, vec![s.balls.clone()]);
        assert_eq!(loaded[2].1, vec![s.balls.clone()]);

        // Inside a transaction, seeing its own writes.
        let mut tx = db.begin().await?;
        album("Pump", &s.aerosmith).insert(&mut tx).await?;
        let in_tx = vec![s.aerosmith.clone()].with_children::<Album>(&mut tx).await?;
        assert_eq!(names(&in_tx[0].1, |a| &a.title), ["Pump"]);
        drop(tx);
        Ok(())
    });
}

/// The futures are `Send`, so they can run on a multi-threaded runtime (`tokio::spawn`).
#[allow(dead_code)]
fn relations_futures_are_send(db: &Db, artists: Vec<Artist>, album: &Album, playlist: &Playlist, track: &Track) {
    fn send<T: Send>(_: T) {}
    send(artists.clone().with_children::<Album>(db));
    send(artists.with(db, Album::ARTIST.children()));
    send(album.parent::<Artist>(db));
    send(playlist.link::<PlaylistTrack, Track>(db, track));
    send(Album::ARTIST.parent_of(db, album));
}

#[tokio::test]
async fn relations_statement_counts() {
    each_backend!("relations_statement_counts", |db| {
        create_schema(&db).await?;
        let mut tx = db.begin().await?;
        for i in 0..100 {
            let mut a = artist(&format!("artist {i}"));
            a.insert(&mut tx).await?;
            for j in 0..2 {
                let mut al = album(&format!("album {i}.{j}"), &a);
                al.insert(&mut tx).await?;
                if i % 10 == 0 {
                    track(&format!("track {i}.{j}"), &al, None, 1000).insert(&mut tx).await?;
                }
            }
        }
        tx.commit().await?;

        // 100 parents and their children: 2 queries, not 101.
        let before = db.statement_count();
        let artists = Artist::query().all(&db).await?;
        let loaded = artists.with_children::<Album>(&db).await?;
        assert_eq!(db.statement_count() - before, 2);
        assert_eq!(loaded.len(), 100);
        assert!(loaded.iter().all(|(a, albums)| albums.len() == 2 && albums.iter().all(|al| al.artist_id == a.id)));

        // Three levels: 3 queries.
        let before = db.statement_count();
        let tree =
            Artist::query().all(&db).await?.with_children::<Album>(&db).await?.with_children::<Track>(&db).await?;
        assert_eq!(db.statement_count() - before, 3);
        let tracks: usize = tree.iter().flat_map(|(_, albums)| albums.iter().map(|(_, t)| t.len())).sum();
        assert_eq!(tracks, 20);

        // Nothing to load, nothing sent.
        let before = db.statement_count();
        let empty: Vec<Artist> = Vec::new();
        assert!(empty.clone().with_children::<Album>(&db).await?.is_empty());
        assert!(Vec::<Album>::new().with_parent::<Artist>(&db).await?.is_empty());
        assert!(Vec::<Playlist>::new().with_through::<PlaylistTrack, Track>(&db).await?.is_empty());
        assert!(Album::ARTIST.children().load(&db, &empty).await?.is_empty());
        // Rows that are not saved (key 0) have no children: nothing to look up.
        let bare = vec![artist("not saved")];
        assert_eq!(bare.with_children::<Album>(&db).await?[0].1, vec![]);
        assert_eq!(db.statement_count(), before);
        Ok(())
    });
}

/// More keys than one statement may bind: the IN list is split under each backend's limit
/// (32766 on SQLite, 65535 on PostgreSQL and MySQL), ceil(n / limit) queries.
#[tokio::test]
async fn relations_chunking_under_parameter_limit() {
    each_backend!("relations_chunking_under_parameter_limit", |db| {
        create_schema(&db).await?;
        orm_core::raw("CREATE TABLE digit (d INTEGER NOT NULL PRIMARY KEY)").execute(&db).await?;
        orm_core::raw("INSERT INTO digit (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)")
            .execute(&db)
            .await?;
        const N: i32 = 70_000;
        orm_core::raw(
            "INSERT INTO artist (id, name) \
             SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d, 'x' \
             FROM digit a, digit b, digit c, digit e, digit f \
             WHERE a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d < ?",
        )
        .bind(N)
        .execute(&db)
        .await?;
        let picked = [1, 32_766, 32_767, 65_535, 65_536, N];
        for id in picked {
            Album { id: 0, title: format!("of {id}"), artist_id: id }.insert(&db).await?;
        }

        let artists = Artist::query().order_by(Artist::ID.asc()).all(&db).await?;
        assert_eq!(artists.len(), N as usize);
        let limit = db.backend().max_params();
        let before = db.statement_count();
        let loaded = artists.with_children::<Album>(&db).await?;
        let queries = db.statement_count() - before;
        assert_eq!(queries, (N as usize).div_ceil(limit) as u64, "limit {limit}");
        assert!(queries >= 2);
        for (a, albums) in &loaded {
            if picked.contains(&a.id) {
                assert_eq!(names(albums, |al| &al.title), [format!("of {}", a.id)]);
            } else {
                assert!(albums.is_empty());
            }
        }

        // The parents of many children: the distinct keys are chunked the same way.
        let albums = Album::query().order_by(Album::ID.asc()).all(&db).await?;
        let with_artist = albums.with_parent::<Artist>(&db).await?;
        assert!(with_artist.iter().all(|(al, a)| al.artist_id == a.id));

        // A filter's own parameters are left room for.
        let filtered =
            Artist::query().all(&db).await?.with(&db, Album::ARTIST.children().filter(Album::TITLE.ne("of 1"))).await?;
        assert_eq!(filtered.iter().map(|(_, a)| a.len()).sum::<usize>(), picked.len() - 1);
        Ok(())
    });
}

// --- many-to-many and composite keys ---------------------------------------------------------------

#[tokio::test]
async fn relations_composite_key_crud() {
    each_backend!("relations_composite_key_crud", |db| {
        let s = seed(&db).await?;
        let (p, t0, t1) = (s.music.id, s.tracks[0].id, s.tracks[1].id);
        // find by a tuple, in key order.
        let link = PlaylistTrack::find(&db, (p, t0)).await?;
        assert_eq!(link, Some(PlaylistTrack { playlist_id: p, track_id: t0 }));
        assert_eq!(PlaylistTrack::find(&db, (p, t1)).await?, None);
        // save: the key is never "unset", so UPDATE, then INSERT when there is no such row.
        let mut new = PlaylistTrack { playlist_id: p, track_id: t1 };
        new.save(&db).await?;
        assert!(PlaylistTrack::find(&db, (p, t1)).await?.is_some());
        new.save(&db).await?;
        assert_eq!(PlaylistTrack::query().count(&db).await?, 4);
        // insert of an existing pair: unique violation on the composite key.
        assert!(matches!(new.clone().insert(&db).await, Err(Error::UniqueViolation(_))));
        // update with only key columns reports whether the row exists.
        new.update(&db).await?;
        let mut gone = PlaylistTrack { playlist_id: s.empty.id, track_id: t1 };
        assert!(matches!(gone.update(&db).await, Err(Error::NotFound { .. })));
        // delete by the full key.
        assert!(new.delete(&db).await?);
        assert!(!new.delete(&db).await?);
        assert_eq!(PlaylistTrack::query().count(&db).await?, 3);
        // Query::delete with a limit picks rows by their (composite) key.
        let n = PlaylistTrack::query().order_by(PlaylistTrack::TRACK_ID.desc()).limit(1).delete(&db).await?;
        assert_eq!(n, 1);
        assert_eq!(PlaylistTrack::query().count(&db).await?, 2);
        assert!(PlaylistTrack::find(&db, (p, s.tracks[3].id)).await?.is_none());

        // A composite key with a payload column and a text part.
        Country::create_table(&db).await?;
        City::create_table(&db).await?;
        CityTag::create_table(&db).await?;
        let mut fr = Country { code: "FR".into(), name: "France".into() };
        fr.save(&db).await?;
        let mut paris = City { id: 0, name: "Paris".into(), country: "FR".into() };
        paris.insert(&db).await?;
        let mut tag = CityTag { city_id: paris.id, tag: "capital".into(), weight: 1 };
        tag.insert(&db).await?;
        tag.weight = 5;
        tag.update(&db).await?;
        assert_eq!(CityTag::find(&db, (paris.id, "capital")).await?.map(|t| t.weight), Some(5));
        tag.weight = 7;
        tag.save(&db).await?;
        assert_eq!(CityTag::find(&db, (paris.id, "capital")).await?.map(|t| t.weight), Some(7));
        assert_eq!(paris.parent::<Country>(&db).await?, fr);
        assert_eq!(fr.children::<City>().all(&db).await?, vec![paris.clone()]);
        assert_eq!(paris.children::<CityTag>().all(&db).await?, vec![tag.clone()]);
        let countries = vec![fr.clone()].with_children::<City>(&db).await?.with_children::<CityTag>(&db).await?;
        assert_eq!(countries[0].1[0].1, vec![tag.clone()]);
        let mut orphan = City { id: 0, name: "Nowhere".into(), country: "ZZ".into() };
        assert!(matches!(orphan.insert(&db).await, Err(Error::ForeignKeyViolation(_))));
        // Deleting the city cascades to its tags.
        assert!(paris.delete(&db).await?);
        assert_eq!(CityTag::query().count(&db).await?, 0);
        Ok(())
    });
}

/// The query language on a model with a composite key: set-based updates and deletes with a
/// limit pick rows by their whole key (a row value), get_or_create/update_or_create insert and
/// save through the composite key, selections and aggregates need no key at all.
#[tokio::test]
async fn relations_composite_key_query_language() {
    each_backend!("relations_composite_key_querylang", |db| {
        Country::create_table(&db).await?;
        City::create_table(&db).await?;
        CityTag::create_table(&db).await?;
        Country { code: "FR".into(), name: "France".into() }.save(&db).await?;
        let mut cities = Vec::new();
        for name in ["Paris", "Lyon"] {
            let mut c = City { id: 0, name: name.into(), country: "FR".into() };
            c.insert(&db).await?;
            cities.push(c.id);
        }
        // Two cities share the tags, so a single key column could not tell the rows apart.
        for &city_id in &cities {
            for (tag, weight) in [("a", 1), ("b", 2), ("c", 3)] {
                CityTag { city_id, tag: tag.into(), weight }.insert(&db).await?;
            }
        }
        let weights = |db: Db| async move {
            CityTag::query()
                .order_by(CityTag::CITY_ID.asc())
                .order_by(CityTag::TAG.asc())
                .select(CityTag::WEIGHT)
                .all(&db)
                .await
        };

        // UPDATE ... LIMIT: the two rows picked by the order, by their (city_id, tag) key.
        let n = CityTag::query()
            .order_by(CityTag::TAG.desc())
            .order_by(CityTag::CITY_ID.asc())
            .limit(2)
            .update(&db, [CityTag::WEIGHT.set(CityTag::WEIGHT * 10)])
            .await?;
        assert_eq!(n, 2);
        assert_eq!(weights(db.clone()).await?, vec![1, 2, 30, 1, 2, 30]);
        // With an offset too.
        let n = CityTag::query()
            .filter(CityTag::CITY_ID.eq(cities[1]))
            .order_by(CityTag::TAG.asc())
            .limit(1)
            .offset(1)
            .update(&db, [CityTag::WEIGHT.set(0)])
            .await?;
        assert_eq!(n, 1);
        assert_eq!(weights(db.clone()).await?, vec![1, 2, 30, 1, 0, 30]);

        // Aggregates and group_by over a composite-key table.
        let per_city: Vec<(i64, Option<i64>)> = CityTag::query()
            .select((CityTag::CITY_ID, CityTag::WEIGHT.sum()))
            .group_by(CityTag::CITY_ID)
            .order_by(CityTag::CITY_ID.asc())
            .all(&db)
            .await?;
        assert_eq!(per_city, vec![(cities[0], Some(33)), (cities[1], Some(31))]);

        // get_or_create / update_or_create insert and save by the composite key.
        let tag_of = |city_id: i64, tag: &str| {
            CityTag::query().filter(CityTag::CITY_ID.eq(city_id)).filter(CityTag::TAG.eq(tag))
        };
        let (t, created) = tag_of(cities[0], "d")
            .get_or_create(&db, || CityTag { city_id: cities[0], tag: "d".into(), weight: 4 })
            .await?;
        assert!(created);
        assert_eq!(CityTag::find(&db, (cities[0], "d")).await?, Some(t));
        let (t, created) = tag_of(cities[0], "d").update_or_create(&db, || panic!("exists"), |t| t.weight = 40).await?;
        assert!(!created);
        assert_eq!(t.weight, 40);
        assert_eq!(CityTag::find(&db, (cities[0], "d")).await?.map(|t| t.weight), Some(40));
        // The other city's row with the same tag is untouched.
        assert_eq!(CityTag::find(&db, (cities[1], "d")).await?, None);

        // DELETE ... LIMIT by the composite key.
        let n = CityTag::query().order_by(CityTag::WEIGHT.desc()).limit(3).delete(&db).await?;
        assert_eq!(n, 3);
        assert_eq!(weights(db.clone()).await?, vec![1, 2, 1, 0]);
        Ok(())
    });
}

#[tokio::test]
async fn relations_many_to_many() {
    each_backend!("relations_many_to_many", |db| {
        let s = seed(&db).await?;
        // The tracks of a playlist: a query through the join table.
        let tracks = s.music.through::<PlaylistTrack, Track>().order_by(Track::ID.asc()).all(&db).await?;
        assert_eq!(tracks, vec![s.tracks[0].clone(), s.tracks[2].clone(), s.tracks[3].clone()]);
        let short =
            s.music.through::<PlaylistTrack, Track>().filter(Track::MILLISECONDS.lt(310_000)).count(&db).await?;
        assert_eq!(short, 1);
        assert_eq!(s.empty.through::<PlaylistTrack, Track>().count(&db).await?, 0);
        // And the other way: the playlists of a track.
        let playlists = s.tracks[0].through::<PlaylistTrack, Playlist>().all(&db).await?;
        assert_eq!(playlists, vec![s.music.clone()]);

        // Tracks of N playlists in one query (a join on the join table).
        let all = Playlist::query().order_by(Playlist::ID.asc()).all(&db).await?;
        let before = db.statement_count();
        let loaded: Vec<(Playlist, Vec<Track>)> = all.clone().with_through::<PlaylistTrack, Track>(&db).await?;
        assert_eq!(db.statement_count() - before, 1);
        assert_eq!(loaded[0], (s.music.clone(), tracks.clone()));
        assert_eq!(loaded[1], (s.empty.clone(), vec![]));

        // The explicit relation, reversed, filtered and ordered.
        let rel = ManyToMany::new(PlaylistTrack::PLAYLIST, PlaylistTrack::TRACK);
        let by_name = all.clone().with(&db, rel.clone().order_by(Track::NAME.asc())).await?;
        assert_eq!(
            names(&by_name[0].1, |t| &t.name),
            ["Balls to the Wall", "For Those About To Rock", "Highway To Hell (live)"]
        );
        let rock_only = rel.clone().filter(Track::GENRE.has(Genre::NAME.eq("Rock")));
        assert_eq!(rock_only.of(&s.music).all(&db).await?, vec![s.tracks[0].clone()]);
        assert_eq!(rock_only.load(&db, &all).await?, vec![vec![s.tracks[0].clone()], vec![]]);
        let back = rel.clone().reverse().load(&db, &s.tracks).await?;
        assert_eq!(back.iter().map(Vec::len).collect::<Vec<_>>(), [1, 0, 1, 1, 0]);

        // Add and remove links.
        s.empty.link::<PlaylistTrack, Track>(&db, &s.tracks[4]).await?;
        s.empty.link::<PlaylistTrack, Track>(&db, &s.tracks[1]).await?;
        assert_eq!(s.empty.through::<PlaylistTrack, Track>().count(&db).await?, 2);
        assert!(matches!(
            s.empty.link::<PlaylistTrack, Track>(&db, &s.tracks[4]).await,
            Err(Error::UniqueViolation(_))
        ));
        assert!(s.empty.unlink::<PlaylistTrack, Track>(&db, &s.tracks[4]).await?);
        assert!(!s.empty.unlink::<PlaylistTrack, Track>(&db, &s.tracks[4]).await?);
        assert_eq!(s.empty.through::<PlaylistTrack, Track>().all(&db).await?, vec![s.tracks[1].clone()]);
        assert_eq!(rel.clear(&db, &s.music).await?, 3);
        assert_eq!(s.music.through::<PlaylistTrack, Track>().count(&db).await?, 0);
        let unsaved = Playlist { id: 0, name: "new".into() };
        assert!(matches!(rel.link(&db, &unsaved, &s.tracks[0]).await, Err(Error::InvalidValue(_))));

        // The playlists that hold a track of a given album.
        rel.link(&db, &s.music, &s.tracks[3]).await?;
        let with_balls = Playlist::query().filter(rel.any(Track::ALBUM.has(Album::TITLE.eq("Balls to the Wall"))));
        assert_eq!(with_balls.all(&db).await?, vec![s.music.clone()]);
        let with_rock = Playlist::query().filter(rel.any(Track::ALBUM.has(Album::TITLE.like("For Those%"))));
        assert_eq!(with_rock.all(&db).await?, vec![s.empty.clone()]);
        Ok(())
    });
}

// --- filters that follow relations ----------------------------------------------------------------

#[tokio::test]
async fn relations_filters() {
    each_backend!("relations_filters", |db| {
        let s = seed(&db).await?;
        // The tracks whose album's artist is named "AC/DC".
        let acdc_tracks = Track::query()
            .filter(Track::ALBUM.has(Album::ARTIST.has(Artist::NAME.eq("AC/DC"))))
            .order_by(Track::ID.asc())
            .all(&db)
            .await?;
        assert_eq!(acdc_tracks, s.tracks[..3].to_vec());
        // Combined with other conditions, and negated.
        let long_acdc = Track::query()
            .filter(Track::ALBUM.has(Album::ARTIST.has(Artist::NAME.eq("AC/DC"))) & Track::MILLISECONDS.gt(300_000))
            .count(&db)
            .await?;
        assert_eq!(long_acdc, 1);
        let not_acdc = Track::query().filter(!Track::ALBUM.has(Album::ARTIST.has(Artist::NAME.eq("AC/DC"))));
        assert_eq!(not_acdc.count(&db).await?, 2);
        // A NULL key matches `!has`: no genre named Rock.
        let not_rock = Track::query().filter(!Track::GENRE.has(Genre::NAME.eq("Rock"))).count(&db).await?;
        assert_eq!(not_rock, 3);

        // The artists with at least one album, and without any.
        let with_albums = Artist::query().filter(Album::ARTIST.any()).order_by(Artist::ID.asc()).all(&db).await?;
        assert_eq!(with_albums, vec![s.acdc.clone(), s.accept.clone()]);
        let without = Artist::query().filter(Album::ARTIST.none()).all(&db).await?;
        assert_eq!(without, vec![s.aerosmith.clone()]);
        assert_eq!(Artist::query().filter(!Album::ARTIST.any()).all(&db).await?, without);
        // With a condition on the children, nested two levels: artists with a Metal track.
        let metal = Artist::query()
            .filter(Album::ARTIST.any_where(Track::ALBUM.any_where(Track::GENRE.has(Genre::NAME.eq("Metal")))))
            .all(&db)
            .await?;
        assert_eq!(metal, vec![s.accept.clone()]);
        let live = Artist::query().filter(Album::ARTIST.any_where(Album::TITLE.eq("Live"))).all(&db).await?;
        assert_eq!(live, vec![s.acdc.clone()]);
        // Albums with no track longer than 5 minutes.
        let short_albums = Album::query()
            .filter(Track::ALBUM.none() | !Track::ALBUM.any_where(Track::MILLISECONDS.gt(300_000)))
            .order_by(Album::ID.asc())
            .all(&db)
            .await?;
        assert_eq!(short_albums, vec![s.live_album.clone()]);
        // Query-language expressions inside relation filters (text matching, arithmetic,
        // column-to-column comparisons, ranges) follow the subquery's row too.
        let live = Artist::query()
            .filter(Album::ARTIST.any_where(Album::TITLE.ilike("LIV%") & Album::TITLE.contains("iv")))
            .all(&db)
            .await?;
        assert_eq!(live, vec![s.acdc.clone()]);
        let short_albums = Album::query()
            .filter(
                Track::ALBUM.none()
                    | !Track::ALBUM.any_where(
                        (Track::MILLISECONDS / 1000).gt(300)
                            & Track::MILLISECONDS.between(0, i32::MAX)
                            & Track::ID.gt_col(Track::ALBUM_ID - 1_000_000),
                    ),
            )
            .order_by(Album::ID.asc())
            .all(&db)
            .await?;
        assert_eq!(short_albums, vec![s.live_album.clone()]);
        // In exists/count/delete too: delete the genres no track uses.
        Genre { id: 0, name: "Unused".into() }.insert(&db).await?;
        assert!(Genre::query().filter(Track::GENRE.none()).exists(&db).await?);
        assert_eq!(Genre::query().filter(Track::GENRE.none()).delete(&db).await?, 1);
        assert_eq!(Genre::query().count(&db).await?, 2);
        // Filters feed eager loading: the albums of artists named A..., with their tracks.
        let tree = Artist::query()
            .filter(Artist::NAME.like("A%") & Album::ARTIST.any())
            .order_by(Artist::NAME.asc())
            .all(&db)
            .await?
            .with(&db, Album::ARTIST.children().filter(Track::ALBUM.any()))
            .await?;
        assert_eq!(tree.len(), 2);
        Ok(())
    });
}

#[test]
fn relations_filter_sql_golden() {
    let q = Track::query().filter(Track::ALBUM.has(Album::ARTIST.has(Artist::NAME.eq("AC/DC"))));
    assert_eq!(
        q.to_sql(Backend::Postgres).unwrap(),
        "SELECT \"track\".\"id\", \"track\".\"name\", \"track\".\"album_id\", \"track\".\"genre_id\", \
         \"track\".\"milliseconds\" FROM \"track\" WHERE (EXISTS (SELECT 1 FROM \"album\" AS \"album_1\" \
         WHERE ((\"album_1\".\"id\" = \"track\".\"album_id\") AND (EXISTS (SELECT 1 FROM \"artist\" AS \"artist_2\" \
         WHERE ((\"artist_2\".\"id\" = \"album_1\".\"artist_id\") AND (\"artist_2\".\"name\" = $1)))))))"
    );
    let q = Artist::query().filter(!Album::ARTIST.any());
    assert_eq!(
        q.to_sql(Backend::MySql).unwrap(),
        "SELECT `artist`.`id`, `artist`.`name` FROM `artist` WHERE (NOT (EXISTS (SELECT 1 FROM `album` AS `album_1` \
         WHERE ((`album_1`.`artist_id` = `artist`.`id`)))))"
    );
    // Query-language nodes inside a relation filter name the subquery's row.
    let q = Artist::query().filter(Album::ARTIST.any_where(Album::TITLE.contains("x") & (Album::ID * 2).gt(Album::ID)));
    assert_eq!(
        q.to_sql(Backend::Postgres).unwrap(),
        "SELECT \"artist\".\"id\", \"artist\".\"name\" FROM \"artist\" WHERE (EXISTS (SELECT 1 FROM \"album\" AS \"album_1\" \
         WHERE ((\"album_1\".\"artist_id\" = \"artist\".\"id\") AND ((\"album_1\".\"title\" LIKE $1 ESCAPE '!') AND \
         ((\"album_1\".\"id\" * 2) > \"album_1\".\"id\")))))"
    );
    // A table referring to itself: the subquery's alias keeps the outer row reachable.
    let q = Employee::query().filter(Employee::REPORTS_TO_REL.any_where(Employee::NAME.eq("x")));
    assert_eq!(
        q.to_sql(Backend::Sqlite).unwrap(),
        "SELECT \"employee\".\"id\", \"employee\".\"name\", \"employee\".\"reports_to\" FROM \"employee\" \
         WHERE (EXISTS (SELECT 1 FROM \"employee\" AS \"employee_1\" WHERE ((\"employee_1\".\"reports_to\" = \
         \"employee\".\"id\") AND (\"employee_1\".\"name\" = ?))))"
    );
}

#[tokio::test]
async fn relations_text_keys() {
    each_backend!("relations_text_keys", |db| {
        Country::create_table(&db).await?;
        City::create_table(&db).await?;
        let mut fr = Country { code: "FR".into(), name: "France".into() };
        let mut de = Country { code: "DE".into(), name: "Germany".into() };
        fr.save(&db).await?;
        de.save(&db).await?;
        for (name, c) in [("Paris", "FR"), ("Lyon", "FR"), ("Berlin", "DE")] {
            City { id: 0, name: name.into(), country: c.into() }.insert(&db).await?;
        }
        let cities = City::query().order_by(City::ID.asc()).all(&db).await?;
        let with_country = cities.with_parent::<Country>(&db).await?;
        assert_eq!(with_country[2].1, de);
        let countries = vec![de.clone(), fr.clone()].with_children::<City>(&db).await?;
        assert_eq!(names(&countries[1].1, |c| &c.name), ["Paris", "Lyon"]);
        // Keys compare exactly (binary collation on MySQL).
        let lower = Country { code: "fr".into(), name: "?".into() };
        assert_eq!(lower.children::<City>().count(&db).await?, 0);
        let french = City::query().filter(City::COUNTRY_REL.has(Country::NAME.eq("France"))).count(&db).await?;
        assert_eq!(french, 2);
        Ok(())
    });
}

/// The generated code names everything by full path: it compiles where the prelude's names are
/// shadowed.
#[allow(dead_code, non_camel_case_types)]
mod hygiene {
    struct Result;
    struct Ok;
    struct Option;
    struct Some;
    struct None;
    struct String;
    struct Clone;
    struct Vec;

    #[derive(orm_core::Model)]
    pub struct Parent {
        #[orm(primary_key)]
        pub id: i64,
    }

    #[derive(orm_core::Model)]
    #[orm(primary_key(parent_id, n))]
    pub struct Child {
        #[orm(belongs_to = Parent, on_delete = "cascade")]
        pub parent_id: i64,
        pub n: i32,
        #[orm(belongs_to = Parent, on_delete = "set null")]
        pub other: ::core::option::Option<i64>,
    }

    #[test]
    fn relations_generated_code_is_hygienic() {
        use orm_core::Model;
        assert_eq!(<Child as Model>::KEY_COLUMNS, &[0, 1]);
        assert_eq!(Child::PARENT.column().name(), "parent_id");
        assert_eq!(Child::OTHER_REL.column().name(), "other");
        assert_eq!(format!("{:?}", Child::PARENT), "ForeignKey(parent_id -> parent)");
    }
}

#[tokio::test]
async fn relations_eager_children_come_in_key_order_whatever_the_storage_order() {
    // Children stored in descending key order, interleaved across parents: each parent's
    // children still come back by ascending key (integer keys are sorted in memory).
    each_backend!("relations_eager_key_order", |db| {
        let s = seed(&db).await?;
        let mut made = Vec::new();
        for id in (1000..1010).rev() {
            let parent = if id % 2 == 0 { s.aerosmith.id } else { s.accept.id };
            let mut a = Album { id, title: format!("Album {id}"), artist_id: parent };
            a.insert(&db).await?;
            made.push(a);
        }
        let parents = vec![s.aerosmith.clone(), s.accept.clone()];
        let loaded: Vec<(Artist, Vec<Album>)> = parents.with_children::<Album>(&db).await?;
        let ids = |v: &[Album]| v.iter().map(|a| a.id).collect::<Vec<_>>();
        assert_eq!(ids(&loaded[0].1), [1000, 1002, 1004, 1006, 1008]);
        let accept: Vec<i32> = ids(&loaded[1].1).into_iter().filter(|&id| id >= 1000).collect();
        assert_eq!(accept, [1001, 1003, 1005, 1007, 1009]);
        let all = ids(&loaded[1].1);
        assert!(all.windows(2).all(|w| w[0] < w[1]), "{all:?}");
        Ok(())
    });
}
