//! Connecting: URL errors, unreachable servers and wrong databases are `Error`s (no panic, no
//! hang); `Db`, `Tx`, `Error` and the operations' futures can cross threads.

use orm_core::prelude::*;
use orm_core::{Backend, DbOptions};
use std::time::Duration;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "items")]
pub struct Item {
    #[orm(primary_key)]
    pub id: i64,
    pub name: String,
}

// Compile-time checks: a `Db` is shared among tasks, a `Tx` moves between them, an `Error` can be
// boxed as `dyn Error + Send + Sync`.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    const fn send<T: Send>() {}
    const fn static_error<T: std::error::Error + Send + Sync + 'static>() {}
    send_sync::<Db>();
    send_sync::<Error>();
    send::<Tx>();
    send_sync::<Tx>();
    static_error::<Error>();
    send_sync::<orm_core::Query<Item>>();
};

/// `Send + 'static` futures are what `tokio::spawn` requires: spawning proves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_futures_are_send() {
    let db = Db::connect("sqlite::memory:").await.expect("connect");
    let d = db.clone();
    tokio::spawn(async move { Item::create_table(&d).await }).await.expect("join").expect("create");
    let d = db.clone();
    let mut item = Item { id: 0, name: "x".into() };
    let item = tokio::spawn(async move { item.save(&d).await.map(|()| item) }).await.expect("join").expect("save");
    let (d, id) = (db.clone(), item.id);
    let found = tokio::spawn(async move { Item::find(&d, id).await }).await.expect("join").expect("find");
    assert_eq!(found, Some(item.clone()));
    let d = db.clone();
    let all = tokio::spawn(async move { Item::query().filter(Item::NAME.eq("x")).all(&d).await });
    assert_eq!(all.await.expect("join").expect("all"), vec![item.clone()]);
    let d = db.clone();
    let counts = tokio::spawn(async move {
        let q = Item::query();
        Ok::<_, Error>((q.count(&d).await?, q.exists(&d).await?, q.first(&d).await?.is_some()))
    });
    assert_eq!(counts.await.expect("join").expect("count"), (1, true, true));
    // A transaction started in one task and finished in another.
    let tx = db.begin().await.expect("begin");
    let mut moved = Item { id: 0, name: "in tx".into() };
    let d = tokio::spawn(async move {
        let mut tx = tx;
        moved.save(&mut tx).await?;
        let n = Item::query().count(&mut tx).await?;
        tx.commit().await?;
        Ok::<_, Error>(n)
    });
    assert_eq!(d.await.expect("join").expect("tx"), 2);
    let d = db.clone();
    let deleted = tokio::spawn(async move { Item::query().delete(&d).await });
    assert_eq!(deleted.await.expect("join").expect("delete"), 2);
}

#[tokio::test]
async fn connect_bad_urls_are_invalid_url_errors() {
    for url in [
        "",
        "   ",
        "sqlite",
        "not a url",
        "://nohost/db",
        "oracle://scott:tiger@localhost/db",
        "http://127.0.0.1:5432/test",
        "postgres://postgres@127.0.0.1:99999/test",
        "mysql://root@127.0.0.1:notaport/test",
        "postgres://[::1/test",
        "mysql://root@[bad/test",
    ] {
        match Db::connect(url).await {
            Err(Error::InvalidUrl { url: shown, reason }) => {
                assert!(!reason.is_empty(), "{url:?}");
                assert_eq!(shown, url.replace(":tiger@", ":***@"), "the URL is shown, without its password");
            }
            Err(e) => panic!("{url:?}: expected InvalidUrl, got {e:?}"),
            Ok(db) => panic!("{url:?}: connected to {:?}", db.backend()),
        }
    }
    // A password never appears in the error.
    match Db::connect("oracle://scott:tiger@localhost/db").await {
        Err(e) => assert!(!e.to_string().contains("tiger"), "{e}"),
        Ok(_) => panic!("connected"),
    }
}

/// The address of a local TCP port nobody listens on.
fn unused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[tokio::test]
async fn connect_unreachable_server_is_a_connect_error() {
    let options = DbOptions { acquire_timeout: Duration::from_secs(2), ..DbOptions::default() };
    for scheme in ["postgres://postgres", "mysql://root"] {
        let url = format!("{scheme}@127.0.0.1:{}/test", unused_port());
        // Generous guard: the call must return (within about the 2 s timeout), never hang.
        let r = tokio::time::timeout(Duration::from_secs(60), Db::connect_with(&url, options.clone()))
            .await
            .unwrap_or_else(|_| panic!("{url}: connect hung"));
        match r {
            Err(Error::Connect { backend, .. }) => {
                assert!(url.starts_with(&backend.to_lowercase()[..5]), "{backend}")
            }
            Err(e) => panic!("{url}: expected Connect, got {e:?}"),
            Ok(_) => panic!("{url}: connected to nothing"),
        }
    }
}

fn server(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned()).trim_end_matches('/').to_owned()
}

#[tokio::test]
async fn connect_wrong_database_name_is_an_error() {
    let options = DbOptions { acquire_timeout: Duration::from_secs(5), ..DbOptions::default() };
    let servers =
        [server("ORM_TEST_POSTGRES", orm_tests::POSTGRES_URL), server("ORM_TEST_MYSQL", orm_tests::MYSQL_URL)];
    for base in servers {
        let url = format!("{base}/orm_no_such_database_here");
        let r = tokio::time::timeout(Duration::from_secs(60), Db::connect_with(&url, options.clone()))
            .await
            .unwrap_or_else(|_| panic!("{url}: connect hung"));
        match r {
            Err(e) => assert!(!e.to_string().is_empty()),
            Ok(_) => panic!("{url}: connected to a database that does not exist"),
        }
    }
}

#[tokio::test]
async fn connect_scheme_aliases() {
    let pg = server("ORM_TEST_POSTGRES", orm_tests::POSTGRES_URL).replacen("postgres://", "postgresql://", 1);
    let my = server("ORM_TEST_MYSQL", orm_tests::MYSQL_URL).replacen("mysql://", "mariadb://", 1);
    for (url, backend) in [(format!("{pg}/test"), Backend::Postgres), (format!("{my}/test"), Backend::MySql)] {
        if orm_tests::database(backend, "connect_alias_probe").await.is_none() {
            continue;
        }
        let db = Db::connect(&url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(db.backend(), backend);
        assert_eq!(orm_core::raw("SELECT 1").fetch_scalar::<i32>(&db).await.expect("select"), Some(1));
        db.close().await;
    }
    let db = Db::connect("SQLite::memory:").await.expect("the scheme is case-insensitive");
    assert_eq!(db.backend(), Backend::Sqlite);
    Item::create_table(&db).await.expect("create");
    assert!(!std::path::Path::new("SQLite::memory:").exists(), "in memory, not a file");
    assert!(!std::path::Path::new("SQLite:").exists(), "in memory, not a directory");
}

#[tokio::test]
async fn connect_sqlite_memory_is_one_database_per_db() {
    let db = Db::connect("sqlite::memory:").await.expect("connect");
    Item::create_table(&db).await.expect("create");
    // Every clone, every task, every transaction sees the same in-memory database.
    let clone = db.clone();
    tokio::spawn(async move { Item { id: 0, name: "from a task".into() }.save(&clone).await })
        .await
        .expect("join")
        .expect("save");
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(Item::query().count(&mut tx).await.expect("count"), 1);
    tx.commit().await.expect("commit");
    // A second `Db` is a different, empty database.
    let other = Db::connect("sqlite::memory:").await.expect("connect");
    assert!(Item::query().count(&other).await.is_err(), "no table there");
    // Idle time does not lose the database.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(Item::query().count(&db).await.expect("count"), 1);
}

#[tokio::test]
async fn connect_sqlite_file_errors_and_creation() {
    let dir = std::env::temp_dir().join(format!("orm_tests_connect_{}_{}", std::process::id(), line!()));
    let _ = std::fs::remove_dir_all(&dir);
    // A file in a directory that does not exist: an error, not a panic.
    let missing_dir = dir.join("no").join("such").join("x.db");
    let r = Db::connect(&format!("sqlite://{}", missing_dir.display())).await;
    assert!(r.is_err(), "{r:?}");
    // A missing file in an existing directory is created.
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("x.db");
    let db = Db::connect(&format!("sqlite://{}", path.display())).await.expect("created");
    assert!(path.exists());
    Item::create_table(&db).await.expect("create");
    db.close().await;
    // After close, operations fail cleanly.
    assert!(Item::query().count(&db).await.is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn connect_closed_db_errors_on_every_backend() {
    orm_tests::each_backend!("connect_closed", |db| {
        Item::create_table(&db).await?;
        db.close().await;
        let err = Item::find(&db, 1).await.unwrap_err();
        assert!(matches!(err, Error::Database(_)), "{err:?}");
        assert!(db.begin().await.is_err());
        Ok(())
    });
}

/// Every server connection has Nagle's algorithm off (TCP_NODELAY), which sqlx 0.9.0 does not
/// set: without it, an uncached MySQL statement (COM_STMT_EXECUTE, then COM_STMT_CLOSE, which
/// the server does not answer) stalls the next one for the server's delayed ACK, 40 ms.
/// The server names the client port of the connection that ran the query; that socket is
/// checked in this process's descriptors.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn connect_server_connections_have_tcp_nodelay() {
    for cache in [256, 0] {
        let opts = DbOptions { statement_cache_capacity: cache, max_connections: 1, ..DbOptions::default() };
        for backend in [Backend::Postgres, Backend::MySql] {
            let Some(db) = orm_tests::database_with(backend, "tcp_nodelay", opts.clone()).await else { continue };
            let sql = match db.backend() {
                Backend::Sqlite => unreachable!(),
                Backend::Postgres => "SELECT CAST(inet_client_port() AS BIGINT)",
                Backend::MySql => {
                    "SELECT CAST(SUBSTRING_INDEX(host, ':', -1) AS SIGNED) \
                     FROM information_schema.processlist WHERE id = CONNECTION_ID()"
                }
            };
            for _ in 0..3 {
                let port: Option<i64> = orm_core::raw(sql).fetch_scalar(&db).await.expect("client port");
                let port = u16::try_from(port.expect("a client port")).expect("a port number");
                assert_eq!(nodelay_of_local_port(port), Some(true), "{} (cache {cache})", db.backend().name());
            }
            db.close().await;
        }
    }
}

/// TCP_NODELAY of this process's socket bound to local `port`, if there is one.
#[cfg(target_os = "linux")]
fn nodelay_of_local_port(port: u16) -> Option<bool> {
    for entry in std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd").flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|s| s.parse::<libc::c_int>().ok()) else { continue };
        // SAFETY: plain-data out-parameters sized by their lengths; a descriptor closed since it
        // was listed makes the calls fail.
        unsafe {
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            if libc::getsockname(fd, (&mut addr as *mut libc::sockaddr_in).cast(), &mut len) != 0
                || libc::c_int::from(addr.sin_family) != libc::AF_INET
                || u16::from_be(addr.sin_port) != port
            {
                continue;
            }
            let mut on: libc::c_int = 0;
            let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            if libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&mut on as *mut libc::c_int).cast(),
                &mut len,
            ) == 0
            {
                return Some(on != 0);
            }
        }
    }
    None
}
