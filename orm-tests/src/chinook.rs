//! The Chinook sample database on every backend, and its models.
//!
//! Chinook is a schema we did not create: [`chinook_databases`] gives one loaded database per
//! backend, from `Chinook_Sqlite.sqlite` (a private copy per test) and `Chinook_PostgreSql.sql`
//! / `Chinook_MySql.sql` (loaded once per server into the shared, read-only [`SHARED_DB`]), found
//! in `ORM_CHINOOK_DIR` or in the first `shared/data/chinook/` above this crate. Without them the
//! Chinook tests are skipped with a message (and fail when `CI` is set): see [`chinook_available`].
//! [`fresh_chinook_databases`] gives private, writable copies on the servers too.
//!
//! # Names differ per backend
//!
//! The SQLite and MySQL files name tables and columns in PascalCase (`"InvoiceLine"."UnitPrice"`),
//! the PostgreSQL script in unquoted snake_case (`invoice_line.unit_price`). A model maps one
//! table name and one set of column names, so the models are written once, in
//! [`chinook_models!`](crate::chinook_models), and stamped out twice: [`pascal`]
//! (`#[orm(table = "InvoiceLine", rename_all = "PascalCase")]`) and [`snake`] (the derive's defaults).
//! Test code is written once too: [`with_chinook_models!`](crate::with_chinook_models) compiles a
//! body against the model set of the database's naming.

use orm_core::{Backend, Db, DbOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How a Chinook copy names its tables and columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `Artist.ArtistId` (the SQLite file and the MySQL script): models in [`pascal`].
    Pascal,
    /// `artist.artist_id` (the PostgreSQL script): models in [`snake`].
    Snake,
}

impl Naming {
    /// The naming of the Chinook copy on `backend`.
    pub fn of(backend: Backend) -> Naming {
        match backend {
            Backend::Postgres => Naming::Snake,
            Backend::Sqlite | Backend::MySql => Naming::Pascal,
        }
    }
}

/// The folder holding the Chinook files: `ORM_CHINOOK_DIR` when set, otherwise the first
/// `shared/data/chinook/` (holding `Chinook_Sqlite.sqlite`) above this crate or above the current
/// directory (a checkout beside `shared/` finds it as `../shared`). `Err` says where it looked
/// and which variable to set.
pub fn find_chinook_dir() -> Result<PathBuf, String> {
    const MARKER: &str = "Chinook_Sqlite.sqlite";
    if let Some(dir) = std::env::var_os("ORM_CHINOOK_DIR") {
        let dir = PathBuf::from(dir);
        if dir.join(MARKER).is_file() {
            return Ok(dir);
        }
        return Err(format!("ORM_CHINOOK_DIR={} holds no {MARKER}", dir.display()));
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cwd = std::env::current_dir().ok();
    let found = here
        .ancestors()
        .chain(cwd.iter().flat_map(|c| c.ancestors()))
        .map(|a| a.join("shared/data/chinook"))
        .find(|d| d.join(MARKER).is_file());
    found.ok_or_else(|| {
        format!(
            "Chinook files not found in any shared/data/chinook/ above {} or the current directory; \
             set ORM_CHINOOK_DIR=/path/to/shared/data/chinook",
            here.display()
        )
    })
}

/// The folder holding the Chinook files (see [`find_chinook_dir`]); panics when there is none.
pub fn chinook_dir() -> PathBuf {
    find_chinook_dir().unwrap_or_else(|e| panic!("{e}"))
}

/// Whether the Chinook files are there for the test `name`. When they are not: a panic when every
/// backend is required (`CI` or `ORM_REQUIRE_ALL_BACKENDS` set), otherwise `false` after a loud
/// message on stderr naming the variable to set (the test then passes without running), so a
/// clone outside our folder layout passes `cargo test`.
pub fn chinook_available(name: &str) -> bool {
    match find_chinook_dir() {
        Ok(_) => true,
        Err(e) if crate::required() => panic!("Chinook is required (CI) but unavailable for test `{name}`: {e}"),
        Err(e) => {
            eprintln!("SKIPPING Chinook test `{name}` on every backend: {e}");
            false
        }
    }
}

/// The text of a Chinook `.sql` script, ready for [`Db::execute_script`]: the lines that address
/// the command-line client or another database (`DROP DATABASE`, `CREATE DATABASE`, `USE`, psql's
/// `\c`) are removed, since we load into a database of our own; a byte-order mark is dropped.
pub fn chinook_script(file: &str) -> String {
    let path = chinook_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim_start().to_ascii_uppercase();
        assert!(!t.starts_with("DELIMITER"), "{}: DELIMITER is a client command; not supported", path.display());
        let client_line = t.starts_with("DROP DATABASE")
            || t.starts_with("CREATE DATABASE")
            || t.starts_with("USE ")
            || t.starts_with("\\C ");
        if !client_line {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn options() -> DbOptions {
    DbOptions { acquire_timeout: Duration::from_secs(60), ..DbOptions::default() }
}

/// The database on each server that holds the shared, read-only Chinook copy.
pub const SHARED_DB: &str = "orm_chinook";
/// The table whose presence in [`SHARED_DB`] says the MySQL load completed.
const MYSQL_MARKER: &str = "orm_chinook_loaded";
/// The PostgreSQL advisory lock and MySQL named lock that serialize loading across processes.
const PG_LOCK_KEY: i64 = 0x6f72_6d5f_6368_6e6b; // "orm_chnk"
const MYSQL_LOCK: &str = "orm_chinook_load";

/// A private, writable copy of the SQLite Chinook file for the test `name`, in a temporary folder
/// of this checkout, named after the test and the process (two runs of the same test binary at
/// once do not share a file). Copies left by processes that have ended are removed.
async fn sqlite_copy(name: &str) -> orm_core::Result<Db> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_MANIFEST_DIR").hash(&mut h);
    let dir = std::env::temp_dir().join(format!("orm-tests-{:016x}", h.finish()));
    std::fs::create_dir_all(&dir).expect("create the temp folder");
    let pid = std::process::id();
    remove_stale_copies(&dir, pid);
    let path = dir.join(format!("orm_t_{name}.{pid}.sqlite"));
    for ext in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.clone().into_os_string();
        p.push(ext);
        let _ = std::fs::remove_file(p);
    }
    std::fs::copy(chinook_dir().join("Chinook_Sqlite.sqlite"), &path).expect("copy the Chinook file");
    // The shared file is read-only, and copy() copies its permissions.
    let mut perm = std::fs::metadata(&path).expect("stat the copy").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(&path, perm).expect("make the copy writable");
    Db::connect_with(&format!("sqlite://{}", path.display()), options()).await
}

/// Removes the copies (`orm_t_<name>.<pid>.sqlite*`) of processes that no longer run, where
/// `/proc` tells (Linux); elsewhere they stay in the temporary folder.
fn remove_stale_copies(dir: &Path, own_pid: u32) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file.to_str().and_then(|f| f.split('.').nth(1)).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != own_pid && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The server URL (without a database) and script of a server backend.
fn server_of(backend: Backend) -> (String, &'static str) {
    match backend {
        Backend::Postgres => (crate::server("ORM_TEST_POSTGRES", crate::POSTGRES_URL), "Chinook_PostgreSql.sql"),
        _ => (crate::server("ORM_TEST_MYSQL", crate::MYSQL_URL), "Chinook_MySql.sql"),
    }
}

/// Loads the Chinook script into `db` (an empty database).
async fn load_script(db: &Db) -> orm_core::Result<()> {
    let (_, file) = server_of(db.backend());
    let mut sql = chinook_script(file);
    if db.backend() == Backend::MySql {
        // The script writes `\` meaning a backslash, as the other scripts do; MySQL would read
        // it as an escape. Only for this batch: the connection goes back to its pool.
        sql.insert_str(
            0,
            "SET @orm_sql_mode = @@SESSION.sql_mode;\n\
             SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES');\n",
        );
        sql.push_str("SET SESSION sql_mode = @orm_sql_mode;\n");
    }
    db.execute_script(&sql).await
}

/// A private database `orm_t_<name>` on a server, freshly loaded from the script.
async fn server_copy(backend: Backend, name: &str) -> orm_core::Result<Db> {
    let (server, _) = server_of(backend);
    let db = crate::fresh(&server, "test", name, backend == Backend::Postgres, crate::options()).await?;
    load_script(&db).await?;
    Ok(db)
}

/// Makes sure [`SHARED_DB`] holds a complete Chinook on the server of `backend`, loading it the
/// first time. A server-wide lock (PostgreSQL advisory lock, MySQL `GET_LOCK`) held on a
/// connection of its own serializes test binaries and checkouts; the database counts as loaded
/// only once complete (PostgreSQL: loaded under another name, then renamed; MySQL: a marker
/// table created last), so a load that died half-way is redone.
async fn ensure_shared(backend: Backend) -> orm_core::Result<()> {
    let (server, _) = server_of(backend);
    let lock = Db::connect_with(&format!("{server}/test"), DbOptions { max_connections: 1, ..options() }).await?;
    let r = load_shared_locked(backend, &server, &lock).await;
    // Closing the lock's only connection releases the lock, also after an error.
    lock.close().await;
    r
}

async fn load_shared_locked(backend: Backend, server: &str, lock: &Db) -> orm_core::Result<()> {
    use orm_core::raw;
    if backend == Backend::Postgres {
        raw("SELECT pg_advisory_lock(?)").bind(PG_LOCK_KEY).execute(lock).await?;
        let n = raw("SELECT COUNT(*) FROM pg_database WHERE datname = ?")
            .bind(SHARED_DB.to_owned())
            .fetch_scalar::<i64>(lock);
        if n.await? == Some(0) {
            // `fresh` names it after `db_name`; nothing else uses this name.
            let db = crate::fresh(server, "test", "chinook_shared_loading", true, crate::options()).await?;
            load_script(&db).await?;
            db.close().await;
            // Identifiers are our constants (and the checked ORM_TEST_DB_PREFIX).
            let loading = crate::db_name("chinook_shared_loading");
            let sql = format!("ALTER DATABASE \"{loading}\" RENAME TO \"{SHARED_DB}\"");
            // The closed pool's sessions may take a moment to end on the server.
            let mut tries = 0;
            while let Err(e) = raw(sql.as_str()).execute(lock).await {
                tries += 1;
                if tries == 100 {
                    return Err(e);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        raw("SELECT pg_advisory_unlock(?)").bind(PG_LOCK_KEY).execute(lock).await?;
    } else {
        let got = raw("SELECT GET_LOCK(?, 300)").bind(MYSQL_LOCK.to_owned()).fetch_scalar::<i64>(lock).await?;
        if got != Some(1) {
            return Err(orm_core::Error::Unsupported(format!("could not take the MySQL lock {MYSQL_LOCK}")));
        }
        let n = raw("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?")
            .bind(SHARED_DB.to_owned())
            .bind(MYSQL_MARKER.to_owned())
            .fetch_scalar::<i64>(lock);
        if n.await? == Some(0) {
            raw(format!("DROP DATABASE IF EXISTS `{SHARED_DB}`")).execute(lock).await?;
            let create = format!("CREATE DATABASE `{SHARED_DB}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
            raw(create).execute(lock).await?;
            let db = Db::connect_with(&format!("{server}/{SHARED_DB}"), options()).await?;
            load_script(&db).await?;
            raw(format!("CREATE TABLE `{MYSQL_MARKER}` (loaded INT)")).execute(&db).await?;
            db.close().await;
        }
        raw("SELECT RELEASE_LOCK(?)").bind(MYSQL_LOCK.to_owned()).execute(lock).await?;
    }
    Ok(())
}

/// The shared Chinook database on the server of `backend`, loaded at most once per process
/// (and once per server: see [`ensure_shared`]).
async fn shared(backend: Backend) -> orm_core::Result<Db> {
    use tokio::sync::OnceCell;
    // Tests run on runtimes of their own: share only the fact that the load is done, not a pool.
    static PG: OnceCell<()> = OnceCell::const_new();
    static MY: OnceCell<()> = OnceCell::const_new();
    let cell = if backend == Backend::Postgres { &PG } else { &MY };
    cell.get_or_try_init(|| ensure_shared(backend)).await?;
    let (server, _) = server_of(backend);
    Db::connect_with(&format!("{server}/{SHARED_DB}"), options()).await
}

fn collect(name: &str, results: Vec<(Backend, orm_core::Result<Db>)>) -> Vec<Db> {
    let mut out = Vec::new();
    for (b, r) in results {
        match r {
            Ok(db) => out.push(db),
            Err(e) if !crate::required() => {
                eprintln!("SKIPPING {} for test `{name}`: {e}", b.name())
            }
            Err(e) => panic!("{} is required (CI) but unavailable for test `{name}`: {e}", b.name()),
        }
    }
    out
}

fn check_name(name: &str) {
    assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "bad test name {name}");
}

/// One Chinook database per backend for the test `name` (unique in the repository; prefix it
/// with the test file's name).
///
/// * SQLite: a private copy of the file, free to write.
/// * PostgreSQL, MySQL: the database [`SHARED_DB`], shared by every test and loaded once per
///   server. **Treat it as read-only**: write only inside a transaction you roll back (or drop
///   without commit), or use [`fresh_chinook_databases`]. To force a reload, drop `orm_chinook`.
pub async fn chinook_databases(name: &str) -> Vec<Db> {
    check_name(name);
    if !chinook_available(name) {
        return Vec::new();
    }
    let mut results = Vec::new();
    for b in Backend::ALL {
        let r = match b {
            Backend::Sqlite => sqlite_copy(name).await,
            _ => shared(b).await,
        };
        results.push((b, r));
    }
    collect(name, results)
}

/// One private Chinook database per backend for the test `name`, free to write and commit:
/// SQLite a copy of the file, PostgreSQL and MySQL a database `orm_t_<name>` loaded from the
/// script (about a second per server; prefer [`chinook_databases`] where a rolled-back
/// transaction will do).
pub async fn fresh_chinook_databases(name: &str) -> Vec<Db> {
    check_name(name);
    if !chinook_available(name) {
        return Vec::new();
    }
    let mut results = Vec::new();
    for b in Backend::ALL {
        let r = match b {
            Backend::Sqlite => sqlite_copy(name).await,
            _ => server_copy(b, name).await,
        };
        results.push((b, r));
    }
    collect(name, results)
}

/// Defines the Chinook models (`PlaylistTrack` with its composite key included) in the current
/// module, with the given table names and `rename_all` rule; see [`pascal`] and [`snake`].
///
/// Keys are plain `i32` (Chinook's `INT`); Chinook keys are not generated by the database, so
/// new rows are written with an explicit key.
#[macro_export]
macro_rules! chinook_models {
    (
        rename_all = $rename:literal,
        Artist = $artist:literal, Album = $album:literal, Track = $track:literal,
        Genre = $genre:literal, MediaType = $media_type:literal, Customer = $customer:literal,
        Employee = $employee:literal, Invoice = $invoice:literal, InvoiceLine = $invoice_line:literal,
        Playlist = $playlist:literal,
        PlaylistTrack = ($playlist_track:literal, $pt_playlist_id:literal, $pt_track_id:literal) $(,)?
    ) => {
        use ::orm_core::Model;

        /// The names of the playlist membership table (also mapped by [`PlaylistTrack`]), for raw
        /// SQL.
        pub mod playlist_track {
            /// The table.
            pub const TABLE: &str = $playlist_track;
            /// The playlist column.
            pub const PLAYLIST_ID: &str = $pt_playlist_id;
            /// The track column.
            pub const TRACK_ID: &str = $pt_track_id;
        }

        /// A recording artist.
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = $artist, rename_all = $rename)]
        pub struct Artist {
            /// Key.
            #[orm(primary_key)]
            pub artist_id: i32,
            /// Name, NULL for none.
            pub name: Option<String>,
        }

        /// An album of one artist.
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = $album, rename_all = $rename)]
        pub struct Album {
            /// Key.
            #[orm(primary_key)]
            pub album_id: i32,
            /// Title.
            pub title: String,
            /// The artist.
            #[orm(belongs_to = Artist)]
            pub artist_id: i32,
        }

        /// A music genre.
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = $genre, rename_all = $rename)]
        pub struct Genre {
            /// Key.
            #[orm(primary_key)]
            pub genre_id: i32,
            /// Name.
            pub name: Option<String>,
        }

        /// A file format (`MPEG audio file`, ...).
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = $media_type, rename_all = $rename)]
        pub struct MediaType {
            /// Key.
            #[orm(primary_key)]
            pub media_type_id: i32,
            /// Name.
            pub name: Option<String>,
        }

        /// A track, on an album.
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = $track, rename_all = $rename)]
        pub struct Track {
            /// Key.
            #[orm(primary_key)]
            pub track_id: i32,
            /// Name.
            pub name: String,
            /// The album.
            #[orm(belongs_to = Album)]
            pub album_id: Option<i32>,
            /// The format.
            #[orm(belongs_to = MediaType)]
            pub media_type_id: i32,
            /// The genre.
            #[orm(belongs_to = Genre)]
            pub genre_id: Option<i32>,
            /// Composer(s).
            pub composer: Option<String>,
            /// Length.
            pub milliseconds: i32,
            /// File size.
            pub bytes: Option<i32>,
            /// Price, `NUMERIC(10,2)`.
            pub unit_price: ::rust_decimal::Decimal,
        }

        /// An employee; `reports_to` refers to another employee.
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = $employee, rename_all = $rename)]
        pub struct Employee {
            /// Key.
            #[orm(primary_key)]
            pub employee_id: i32,
            /// Last name.
            pub last_name: String,
            /// First name.
            pub first_name: String,
            /// Job title.
            pub title: Option<String>,
            /// The manager, NULL for the top.
            #[orm(belongs_to = Employee)]
            pub reports_to: Option<i32>,
            /// Birth date (`DATETIME`).
            pub birth_date: Option<::chrono::NaiveDateTime>,
            /// Hire date (`DATETIME`).
            pub hire_date: Option<::chrono::NaiveDateTime>,
            /// Street address.
            pub address: Option<String>,
            /// City.
            pub city: Option<String>,
            /// State.
            pub state: Option<String>,
            /// Country.
            pub country: Option<String>,
            /// Postal code.
            pub postal_code: Option<String>,
            /// Phone.
            pub phone: Option<String>,
            /// Fax.
            pub fax: Option<String>,
            /// E-mail.
            pub email: Option<String>,
        }

        /// A customer, looked after by a support employee.
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = $customer, rename_all = $rename)]
        pub struct Customer {
            /// Key.
            #[orm(primary_key)]
            pub customer_id: i32,
            /// First name.
            pub first_name: String,
            /// Last name.
            pub last_name: String,
            /// Company, NULL for a private customer.
            pub company: Option<String>,
            /// Street address.
            pub address: Option<String>,
            /// City.
            pub city: Option<String>,
            /// State.
            pub state: Option<String>,
            /// Country.
            pub country: Option<String>,
            /// Postal code.
            pub postal_code: Option<String>,
            /// Phone.
            pub phone: Option<String>,
            /// Fax.
            pub fax: Option<String>,
            /// E-mail.
            pub email: String,
            /// The support employee.
            #[orm(belongs_to = Employee)]
            pub support_rep_id: Option<i32>,
        }

        /// An invoice of one customer.
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = $invoice, rename_all = $rename)]
        pub struct Invoice {
            /// Key.
            #[orm(primary_key)]
            pub invoice_id: i32,
            /// The customer.
            #[orm(belongs_to = Customer)]
            pub customer_id: i32,
            /// Date (`DATETIME`).
            pub invoice_date: ::chrono::NaiveDateTime,
            /// Billing street address.
            pub billing_address: Option<String>,
            /// Billing city.
            pub billing_city: Option<String>,
            /// Billing state.
            pub billing_state: Option<String>,
            /// Billing country.
            pub billing_country: Option<String>,
            /// Billing postal code.
            pub billing_postal_code: Option<String>,
            /// Total, `NUMERIC(10,2)`.
            pub total: ::rust_decimal::Decimal,
        }

        /// One line of an invoice: a track bought.
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = $invoice_line, rename_all = $rename)]
        pub struct InvoiceLine {
            /// Key.
            #[orm(primary_key)]
            pub invoice_line_id: i32,
            /// The invoice.
            #[orm(belongs_to = Invoice)]
            pub invoice_id: i32,
            /// The track.
            #[orm(belongs_to = Track)]
            pub track_id: i32,
            /// Price, `NUMERIC(10,2)`.
            pub unit_price: ::rust_decimal::Decimal,
            /// Quantity.
            pub quantity: i32,
        }

        /// A playlist; its tracks are linked through [`PlaylistTrack`].
        #[derive(Model, Debug, Clone, PartialEq)]
        #[orm(table = $playlist, rename_all = $rename)]
        pub struct Playlist {
            /// Key.
            #[orm(primary_key)]
            pub playlist_id: i32,
            /// Name.
            pub name: Option<String>,
        }

        /// A track's membership in a playlist: the join model of playlists and tracks, keyed by
        /// the pair.
        #[derive(Model, Debug, Clone, PartialEq, Default)]
        #[orm(table = $playlist_track, rename_all = $rename, primary_key(playlist_id, track_id))]
        pub struct PlaylistTrack {
            /// The playlist.
            #[orm(belongs_to = Playlist)]
            pub playlist_id: i32,
            /// The track.
            #[orm(belongs_to = Track)]
            pub track_id: i32,
        }
    };
}

/// The Chinook models with PascalCase names: the SQLite file and the MySQL script.
pub mod pascal {
    crate::chinook_models!(
        rename_all = "PascalCase",
        Artist = "Artist",
        Album = "Album",
        Track = "Track",
        Genre = "Genre",
        MediaType = "MediaType",
        Customer = "Customer",
        Employee = "Employee",
        Invoice = "Invoice",
        InvoiceLine = "InvoiceLine",
        Playlist = "Playlist",
        PlaylistTrack = ("PlaylistTrack", "PlaylistId", "TrackId"),
    );
}

/// The Chinook models with snake_case names: the PostgreSQL script.
pub mod snake {
    crate::chinook_models!(
        rename_all = "snake_case",
        Artist = "artist",
        Album = "album",
        Track = "track",
        Genre = "genre",
        MediaType = "media_type",
        Customer = "customer",
        Employee = "employee",
        Invoice = "invoice",
        InvoiceLine = "invoice_line",
        Playlist = "playlist",
        PlaylistTrack = ("playlist_track", "playlist_id", "track_id"),
    );
}

/// Runs `$body` (which may `.await`) with the Chinook models of `$db`'s naming in scope, so one
/// piece of test code runs on every backend: the body is compiled once against [`pascal`] and
/// once against [`snake`], and the database's [`Naming`] picks which runs.
///
/// ```ignore
/// with_chinook_models!(db, {
///     let n = Artist::query().count(&db).await?;
///     assert_eq!(n, 275);
/// })
/// ```
#[macro_export]
macro_rules! with_chinook_models {
    ($db:expr, $body:block) => {
        match $crate::chinook::Naming::of($db.backend()) {
            $crate::chinook::Naming::Pascal => {
                #[allow(unused_imports)]
                use $crate::chinook::pascal::*;
                $body
            }
            $crate::chinook::Naming::Snake => {
                #[allow(unused_imports)]
                use $crate::chinook::snake::*;
                $body
            }
        }
    };
}

/// Runs `$body` (an expression of type `orm_core::Result<()>`, which may `.await`) once per
/// backend on a Chinook database, with the models of its naming in scope (see
/// [`with_chinook_models!`](crate::with_chinook_models)); names the backend on failure.
///
/// `each_chinook!("file_test", |db| ...)` uses [`chinook_databases`] (shared and read-only on
/// the servers); `each_chinook!(fresh "file_test", |db| ...)` uses [`fresh_chinook_databases`].
#[macro_export]
macro_rules! each_chinook {
    (fresh $name:expr, |$db:ident| $body:expr) => {
        $crate::each_chinook!(@in $crate::chinook::fresh_chinook_databases($name).await, $name, |$db| $body)
    };
    ($name:expr, |$db:ident| $body:expr) => {
        $crate::each_chinook!(@in $crate::chinook::chinook_databases($name).await, $name, |$db| $body)
    };
    (@in $dbs:expr, $name:expr, |$db:ident| $body:expr) => {{
        for $db in $dbs {
            let backend = $db.backend();
            eprintln!("[{}] {}", backend.name(), $name);
            let r: ::std::result::Result<(), ::orm_core::Error> =
                $crate::with_chinook_models!($db, { async { $body }.await });
            if let Err(e) = r {
                panic!("[{}] {}", backend.name(), e);
            }
        }
    }};
}
