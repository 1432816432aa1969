//! The Chinook sample database, a schema we did not create, mapped on SQLite, PostgreSQL and
//! MySQL/MariaDB by the same test code (see `orm_tests::chinook` for how the PascalCase and
//! snake_case names are handled).

use chrono::{NaiveDate, NaiveDateTime};
use orm_core::prelude::*;
use orm_tests::each_chinook;
use rust_decimal::Decimal;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, s).unwrap()
}

/// `SELECT COUNT(*) FROM <table>` [`WHERE <column> = ?`] for the table the models do not map.
fn count_sql(db: &Db, table: &str, column: Option<&str>) -> String {
    let b = db.backend();
    let mut sql = String::from("SELECT COUNT(*) FROM ");
    b.write_ident(&mut sql, table);
    if let Some(c) = column {
        sql.push_str(" WHERE ");
        b.write_ident(&mut sql, c);
        sql.push_str(" = ?");
    }
    sql
}

#[tokio::test]
async fn chinook_counts() {
    each_chinook!("chinook_counts", |db| {
        assert_eq!(Artist::query().count(&db).await?, 275);
        assert_eq!(Album::query().count(&db).await?, 347);
        assert_eq!(Track::query().count(&db).await?, 3503);
        assert_eq!(Genre::query().count(&db).await?, 25);
        assert_eq!(MediaType::query().count(&db).await?, 5);
        assert_eq!(Customer::query().count(&db).await?, 59);
        assert_eq!(Employee::query().count(&db).await?, 8);
        assert_eq!(Invoice::query().count(&db).await?, 412);
        assert_eq!(InvoiceLine::query().count(&db).await?, 2240);
        assert_eq!(Playlist::query().count(&db).await?, 18);
        // Every row decodes, not only counts.
        assert_eq!(Track::query().all(&db).await?.len(), 3503);
        assert_eq!(InvoiceLine::query().all(&db).await?.len(), 2240);
        assert_eq!(Customer::query().all(&db).await?.len(), 59);
        assert_eq!(Employee::query().all(&db).await?.len(), 8);
        // PlaylistTrack has a composite key: raw SQL only.
        let n = orm_core::raw(count_sql(&db, playlist_track::TABLE, None)).fetch_scalar::<i64>(&db).await?;
        assert_eq!(n, Some(8715));
        let sql = count_sql(&db, playlist_track::TABLE, Some(playlist_track::PLAYLIST_ID));
        assert_eq!(orm_core::raw(sql).bind(1_i32).fetch_scalar::<i64>(&db).await?, Some(3290));
        Ok(())
    });
}

#[tokio::test]
async fn chinook_find_by_key() {
    each_chinook!("chinook_find_by_key", |db| {
        let ac_dc = Artist::find(&db, 1).await?.expect("artist 1");
        assert_eq!(ac_dc, Artist { artist_id: 1, name: Some("AC/DC".into()) });
        let album = Album::find(&db, 1).await?.expect("album 1");
        assert_eq!(album.title, "For Those About To Rock We Salute You");
        assert_eq!(album.artist_id, 1);
        let track = Track::find(&db, 1).await?.expect("track 1");
        assert_eq!(
            track,
            Track {
                track_id: 1,
                name: "For Those About To Rock (We Salute You)".into(),
                album_id: Some(1),
                media_type_id: 1,
                genre_id: Some(1),
                composer: Some("Angus Young, Malcolm Young, Brian Johnson".into()),
                milliseconds: 343719,
                bytes: Some(11170334),
                unit_price: Decimal::new(99, 2),
            }
        );
        assert_eq!(Genre::find(&db, 1).await?.and_then(|g| g.name).as_deref(), Some("Rock"));
        assert_eq!(MediaType::find(&db, 1).await?.and_then(|m| m.name).as_deref(), Some("MPEG audio file"));
        assert_eq!(Playlist::find(&db, 1).await?.and_then(|p| p.name).as_deref(), Some("Music"));
        assert_eq!(Artist::find(&db, 9999).await?, None);
        // Non-ASCII text and a backslash kept verbatim (the MySQL script is loaded with
        // NO_BACKSLASH_ESCAPES, as the other scripts mean it).
        let luis = Customer::find(&db, 1).await?.expect("customer 1");
        assert_eq!((luis.first_name.as_str(), luis.last_name.as_str()), ("Luís", "Gonçalves"));
        let t = Track::find(&db, 3435).await?.expect("track 3435");
        assert_eq!(t.name, "Cavalleria Rusticana \\ Act \\ Intermezzo Sinfonico");
        Ok(())
    });
}

#[tokio::test]
async fn chinook_filters() {
    each_chinook!("chinook_filters", |db| {
        let names: Vec<String> = Track::query()
            .filter(Track::ALBUM_ID.eq(1))
            .order_by(Track::NAME.asc())
            .all(&db)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(
            names,
            [
                "Breaking The Rules",
                "C.O.D.",
                "Evil Walks",
                "For Those About To Rock (We Salute You)",
                "Inject The Venom",
                "Let's Get It Up",
                "Night Of The Long Knives",
                "Put The Finger On You",
                "Snowballed",
                "Spellbound",
            ]
        );
        assert_eq!(Track::query().filter(Track::MILLISECONDS.gt(1_000_000)).count(&db).await?, 215);
        let longest = Track::query().order_by(Track::MILLISECONDS.desc()).first(&db).await?.expect("a track");
        assert!(Track::query().filter(Track::MILLISECONDS.gt(longest.milliseconds)).all(&db).await?.is_empty());

        let brazil: Vec<i32> = Customer::query()
            .filter(Customer::COUNTRY.eq("Brazil"))
            .order_by(Customer::CUSTOMER_ID.asc())
            .all(&db)
            .await?
            .iter()
            .map(|c| c.customer_id)
            .collect();
        assert_eq!(brazil, [1, 10, 11, 12, 13]);

        // is_in on keys, and an empty list.
        let names: Vec<Option<String>> = Artist::query()
            .filter(Artist::ARTIST_ID.is_in([3, 1, 2]))
            .order_by(Artist::ARTIST_ID.asc())
            .all(&db)
            .await?
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, [Some("AC/DC".into()), Some("Accept".into()), Some("Aerosmith".into())]);
        assert_eq!(Artist::query().filter(Artist::ARTIST_ID.is_in(Vec::<i32>::new())).count(&db).await?, 0);
        assert_eq!(Track::query().filter(Track::TRACK_ID.is_in(1..=100)).count(&db).await?, 100);

        // like on names (patterns whose matches do not depend on case: Chinook's MySQL columns
        // use a case-insensitive collation).
        let iron = Artist::query().filter(Artist::NAME.like("Iron%")).all(&db).await?;
        assert_eq!(iron.len(), 1);
        assert_eq!(iron[0].name.as_deref(), Some("Iron Maiden"));
        let ac = Artist::query().filter(Artist::NAME.like("AC/%")).all(&db).await?;
        assert_eq!(ac.iter().map(|a| a.artist_id).collect::<Vec<_>>(), [1]);

        // Combinators.
        let n = Track::query()
            .filter(Track::ALBUM_ID.eq(1).or(Track::ALBUM_ID.eq(2)))
            .filter(Track::MILLISECONDS.lt(250_000).not())
            .count(&db)
            .await?;
        let manual = Track::query()
            .filter(Track::ALBUM_ID.is_in([1, 2]))
            .all(&db)
            .await?
            .iter()
            .filter(|t| t.milliseconds >= 250_000)
            .count();
        assert_eq!(n, manual as u64);
        Ok(())
    });
}

#[tokio::test]
async fn chinook_money_is_exact() {
    each_chinook!("chinook_money_is_exact", |db| {
        let invoices = Invoice::query().all(&db).await?;
        let total: Decimal = invoices.iter().map(|i| i.total).sum();
        assert_eq!(total, Decimal::new(232860, 2), "sum of the invoice totals");
        assert_eq!(total.to_string(), "2328.60");
        let line = InvoiceLine::find(&db, 1).await?.expect("line 1");
        assert_eq!(
            line,
            InvoiceLine {
                invoice_line_id: 1,
                invoice_id: 1,
                track_id: 2,
                unit_price: Decimal::new(99, 2),
                quantity: 1
            }
        );
        assert_eq!(line.unit_price.to_string(), "0.99");
        let lines: Decimal =
            InvoiceLine::query().all(&db).await?.iter().map(|l| l.unit_price * Decimal::from(l.quantity)).sum();
        assert_eq!(lines, total, "the lines add up to the totals");
        // Filters on money with an exact value.
        assert_eq!(Track::query().filter(Track::UNIT_PRICE.eq(Decimal::new(199, 2))).count(&db).await?, 213);
        let max = Invoice::query().order_by(Invoice::TOTAL.desc()).first(&db).await?.expect("an invoice");
        assert_eq!((max.invoice_id, max.total), (404, Decimal::new(2586, 2)));
        Ok(())
    });
}

#[tokio::test]
async fn chinook_datetimes() {
    each_chinook!("chinook_datetimes", |db| {
        let first = Invoice::find(&db, 1).await?.expect("invoice 1");
        assert_eq!(first.invoice_date, at(2021, 1, 1, 0, 0, 0));
        assert_eq!(first.billing_state, None);
        assert_eq!(first.billing_city.as_deref(), Some("Stuttgart"));
        let last = Invoice::find(&db, 412).await?.expect("invoice 412");
        assert_eq!(
            (last.customer_id, last.invoice_date, last.total),
            (58, at(2025, 12, 22, 0, 0, 0), Decimal::new(199, 2))
        );

        let recent = Invoice::query().filter(Invoice::INVOICE_DATE.gte(at(2025, 1, 1, 0, 0, 0))).all(&db).await?;
        assert_eq!(recent.len(), 80);
        assert_eq!(recent.iter().map(|i| i.total).sum::<Decimal>(), Decimal::new(45058, 2));
        let ordered = Invoice::query()
            .order_by(Invoice::INVOICE_DATE.desc())
            .order_by(Invoice::INVOICE_ID.desc())
            .first(&db)
            .await?;
        assert_eq!(ordered.map(|i| i.invoice_id), Some(412));

        let adams = Employee::find(&db, 1).await?.expect("employee 1");
        assert_eq!(adams.birth_date, Some(at(1962, 2, 18, 0, 0, 0)));
        assert_eq!(adams.hire_date, Some(at(2002, 8, 14, 0, 0, 0)));
        Ok(())
    });
}

#[tokio::test]
async fn chinook_nulls_and_self_reference() {
    each_chinook!("chinook_nulls_and_self_reference", |db| {
        // Option columns: NULL is None.
        let c1 = Customer::find(&db, 1).await?.expect("customer 1");
        assert_eq!(c1.company.as_deref(), Some("Embraer - Empresa Brasileira de Aeronáutica S.A."));
        let c2 = Customer::find(&db, 2).await?.expect("customer 2");
        assert_eq!(c2.company, None);
        assert_eq!(Customer::query().filter(Customer::COMPANY.is_null()).count(&db).await?, 49);
        assert_eq!(Customer::query().filter(Customer::COMPANY.is_not_null()).count(&db).await?, 10);
        assert_eq!(Customer::query().filter(Customer::COMPANY.eq(None::<String>)).count(&db).await?, 49);
        assert_eq!(Track::query().filter(Track::COMPOSER.is_null()).count(&db).await?, 977);

        // Employee.ReportsTo refers to another employee.
        let top: Vec<i32> = Employee::query()
            .filter(Employee::REPORTS_TO.is_null())
            .all(&db)
            .await?
            .iter()
            .map(|e| e.employee_id)
            .collect();
        assert_eq!(top, [1]);
        let under_nancy: Vec<i32> = Employee::query()
            .filter(Employee::REPORTS_TO.eq(2))
            .order_by(Employee::EMPLOYEE_ID.asc())
            .all(&db)
            .await?
            .iter()
            .map(|e| e.employee_id)
            .collect();
        assert_eq!(under_nancy, [3, 4, 5]);
        let mut chain = Vec::new();
        let mut next = Some(8);
        while let Some(id) = next {
            let e = Employee::find(&db, id).await?.expect("a manager");
            chain.push(format!("{} {}", e.first_name, e.last_name));
            next = e.reports_to;
        }
        assert_eq!(chain, ["Laura Callahan", "Michael Mitchell", "Andrew Adams"]);

        // Customers of one support employee.
        let jane = Employee::query().filter(Employee::FIRST_NAME.eq("Jane")).first(&db).await?.expect("Jane");
        let hers = Customer::query().filter(Customer::SUPPORT_REP_ID.eq(jane.employee_id)).count(&db).await?;
        let all = Customer::query().all(&db).await?;
        assert_eq!(hers, all.iter().filter(|c| c.support_rep_id == Some(jane.employee_id)).count() as u64);
        assert!(hers > 0);
        Ok(())
    });
}

#[tokio::test]
async fn chinook_write_round_trip_rolled_back() {
    each_chinook!("chinook_write_round_trip_rolled_back", |db| {
        let mut tx = db.begin().await?;
        // Chinook keys are not generated: new rows carry their key.
        let mut artist = Artist { artist_id: 276, name: Some("Test Artist".into()) };
        artist.insert(&mut tx).await?;
        let album = Album { album_id: 348, title: "Test Album".into(), artist_id: 276 };
        album.clone().insert(&mut tx).await?;
        let mut track = Track {
            track_id: 3504,
            name: "Test Track — ünïcödé".into(),
            album_id: Some(348),
            media_type_id: 1,
            genre_id: None,
            composer: None,
            milliseconds: 123_456,
            bytes: Some(7_890),
            unit_price: Decimal::new(129, 2),
        };
        track.insert(&mut tx).await?;
        let mut invoice = Invoice {
            invoice_id: 413,
            customer_id: 1,
            invoice_date: at(2026, 1, 2, 3, 4, 5),
            billing_address: None,
            billing_city: Some("São Paulo".into()),
            billing_state: None,
            billing_country: Some("Brazil".into()),
            billing_postal_code: None,
            total: Decimal::new(1234, 2),
        };
        invoice.insert(&mut tx).await?;
        let line = InvoiceLine {
            invoice_line_id: 2241,
            invoice_id: 413,
            track_id: 3504,
            unit_price: Decimal::new(129, 2),
            quantity: 3,
        };
        line.clone().insert(&mut tx).await?;

        assert_eq!(Artist::find(&mut tx, 276).await?, Some(artist.clone()));
        assert_eq!(Album::find(&mut tx, 348).await?, Some(album));
        assert_eq!(Track::find(&mut tx, 3504).await?, Some(track.clone()));
        assert_eq!(Invoice::find(&mut tx, 413).await?, Some(invoice.clone()));
        assert_eq!(InvoiceLine::find(&mut tx, 2241).await?, Some(line));

        artist.name = Some("Renamed".into());
        artist.save(&mut tx).await?;
        track.composer = Some("Someone".into());
        track.update(&mut tx).await?;
        invoice.total = Decimal::new(9999, 2);
        invoice.update(&mut tx).await?;
        assert_eq!(Artist::find(&mut tx, 276).await?.and_then(|a| a.name).as_deref(), Some("Renamed"));
        assert_eq!(Track::find(&mut tx, 3504).await?, Some(track));
        assert_eq!(Invoice::find(&mut tx, 413).await?.map(|i| i.total), Some(Decimal::new(9999, 2)));
        assert_eq!(Artist::query().count(&mut tx).await?, 276);
        assert_eq!(Track::query().filter(Track::ALBUM_ID.eq(348)).count(&mut tx).await?, 1);

        // An existing row, changed and restored by the rollback.
        let mut ac_dc = Artist::find(&mut tx, 1).await?.expect("artist 1");
        ac_dc.name = Some("AC-DC".into());
        ac_dc.update(&mut tx).await?;
        tx.rollback().await?;

        assert_eq!(Artist::find(&db, 276).await?, None);
        assert_eq!(Invoice::find(&db, 413).await?, None);
        assert_eq!(Artist::find(&db, 1).await?.and_then(|a| a.name).as_deref(), Some("AC/DC"));
        assert_eq!(Artist::query().count(&db).await?, 275);
        assert_eq!(Track::query().count(&db).await?, 3503);
        assert_eq!(InvoiceLine::query().count(&db).await?, 2240);
        Ok(())
    });
}

#[tokio::test]
async fn chinook_execute_script() {
    orm_tests::each_backend!("chinook_execute_script", |db| {
        // Several statements, comments and a `;` inside a string, in one unprepared batch.
        db.execute_script(
            "-- a seed file\n\
             CREATE TABLE script_t (id INTEGER PRIMARY KEY, note VARCHAR(20));\n\
             INSERT INTO script_t (id, note) VALUES (1, 'a;b'), (2, NULL);\n\
             /* block comment */ INSERT INTO script_t (id, note) VALUES (3, 'c');",
        )
        .await?;
        let notes = orm_core::raw("SELECT note FROM script_t ORDER BY id").fetch_scalars::<Option<String>>(&db).await?;
        assert_eq!(notes, [Some("a;b".to_owned()), None, Some("c".to_owned())]);
        // A failing statement is an error; PostgreSQL runs the batch as one implicit transaction
        // (nothing stays), SQLite and MySQL keep the statements before it (documented).
        let err = db
            .execute_script("INSERT INTO script_t (id) VALUES (4); INSERT INTO script_t (id) VALUES (1);")
            .await
            .expect_err("duplicate key");
        assert!(matches!(err, Error::UniqueViolation { .. }), "{err:?}");
        let n = orm_core::raw("SELECT COUNT(*) FROM script_t").fetch_scalar::<i64>(&db).await?;
        let kept = if db.backend() == orm_core::Backend::Postgres { 3 } else { 4 };
        assert_eq!(n, Some(kept));
        Ok(())
    });
}

#[tokio::test]
async fn chinook_private_copy_commits() {
    orm_tests::each_chinook!(fresh "chinook_private_copy_commits", |db| {
        let mut genre = Genre { genre_id: 26, name: Some("Test Genre".into()) };
        genre.save(&db).await?;
        assert_eq!(Genre::query().count(&db).await?, 26);
        assert_eq!(Genre::query().filter(Genre::NAME.eq("Test Genre")).first(&db).await?, Some(genre.clone()));
        // Foreign keys of the existing schema are enforced.
        let orphan = Album { album_id: 348, title: "Orphan".into(), artist_id: 9999 };
        assert!(matches!(orphan.clone().insert(&db).await, Err(Error::ForeignKeyViolation(_))));
        assert!(genre.delete(&db).await?);
        assert_eq!(Genre::query().count(&db).await?, 25);
        Ok(())
    });
}

#[tokio::test]
async fn chinook_relations() {
    each_chinook!("chinook_relations", |db| {
        // A child's parent and a parent's children.
        let track = Track::find(&db, 1).await?.expect("track 1");
        let album: Option<Album> = track.parent::<Album>(&db).await?;
        let album = album.expect("album of track 1");
        assert_eq!(album.title, "For Those About To Rock We Salute You");
        let artist: Artist = album.parent::<Artist>(&db).await?;
        assert_eq!(artist.name.as_deref(), Some("AC/DC"));
        assert_eq!(artist.children::<Album>().count(&db).await?, 2);

        // Eager loading: every artist's albums and their tracks, one query per level.
        let artists = Artist::query().order_by(Artist::ARTIST_ID.asc()).all(&db).await?;
        let before = db.statement_count();
        let tree = artists.with_children::<Album>(&db).await?.with_children::<Track>(&db).await?;
        assert_eq!(db.statement_count() - before, 2);
        assert_eq!(tree.len(), 275);
        assert_eq!(tree.iter().map(|(_, albums)| albums.len()).sum::<usize>(), 347);
        let tracks_in_albums: usize =
            tree.iter().flat_map(|(_, albums)| albums.iter().map(|(_, tracks)| tracks.len())).sum();
        assert_eq!(tracks_in_albums, 3503);
        assert_eq!(tree[0].0.name.as_deref(), Some("AC/DC"));
        assert_eq!(tree[0].1.iter().map(|(_, t)| t.len()).sum::<usize>(), 18);

        // The parents of many children in one query.
        let lines = InvoiceLine::query().filter(InvoiceLine::INVOICE_ID.eq(1)).all(&db).await?;
        let before = db.statement_count();
        let with_tracks = lines.with_parent::<Track>(&db).await?;
        assert_eq!(db.statement_count() - before, 1);
        assert_eq!(with_tracks.len(), 2);

        // Many-to-many through PlaylistTrack (composite key).
        let music = Playlist::find(&db, 1).await?.expect("playlist 1");
        assert_eq!(music.through::<PlaylistTrack, Track>().count(&db).await?, 3290);
        let playlists = Playlist::query().order_by(Playlist::PLAYLIST_ID.asc()).all(&db).await?;
        let before = db.statement_count();
        let members = playlists.with_through::<PlaylistTrack, Track>(&db).await?;
        assert_eq!(db.statement_count() - before, 1);
        assert_eq!(members.len(), 18);
        assert_eq!(members.iter().map(|(_, t)| t.len()).sum::<usize>(), 8715);
        assert!(PlaylistTrack::find(&db, (1, 3402)).await?.is_some());

        // Relation filters: subqueries generated by the ORM.
        let acdc =
            Track::query().filter(Track::ALBUM.has(Album::ARTIST.has(Artist::NAME.eq("AC/DC")))).count(&db).await?;
        assert_eq!(acdc, 18);
        assert_eq!(Artist::query().filter(Album::ARTIST.any()).count(&db).await?, 204);
        assert_eq!(Artist::query().filter(Album::ARTIST.none()).count(&db).await?, 71);
        Ok(())
    });
}

#[tokio::test]
async fn chinook_playlist_links() {
    // Writes: on a private copy, inside a transaction that is rolled back.
    each_chinook!(fresh "chinook_playlist_links", |db| {
        let mut tx = db.begin().await?;
        let mut mine = Playlist { playlist_id: 19, name: Some("Mine".into()) };
        mine.insert(&mut tx).await?;
        let track = Track::find(&mut tx, 1).await?.expect("track 1");
        mine.link::<PlaylistTrack, Track>(&mut tx, &track).await?;
        assert_eq!(mine.through::<PlaylistTrack, Track>().all(&mut tx).await?, vec![track.clone()]);
        // The join model's key rejects a second link of the same pair.
        let again = mine.link::<PlaylistTrack, Track>(&mut tx, &track).await;
        assert!(matches!(again, Err(Error::UniqueViolation(_))), "{again:?}");
        drop(tx);
        let mut tx = db.begin().await?;
        mine.insert(&mut tx).await?;
        mine.link::<PlaylistTrack, Track>(&mut tx, &track).await?;
        assert!(mine.unlink::<PlaylistTrack, Track>(&mut tx, &track).await?);
        assert_eq!(mine.through::<PlaylistTrack, Track>().count(&mut tx).await?, 0);
        tx.rollback().await?;
        assert!(Playlist::find(&db, 19).await?.is_none());
        Ok(())
    });
}
