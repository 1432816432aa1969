//! `#[orm_core::test]`: each test gets a fresh database (in-memory SQLite by default, a new
//! database on the server named by `ORM_TEST_DATABASE_URL` otherwise).

use orm_core::prelude::*;

#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "web_posts")]
pub struct Post {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique)]
    pub title: String,
}

/// Two tests creating the same table and the same unique row: each sees only its own database.
#[orm_core::test]
async fn web_attr_fresh_database_one(db: Db) -> orm_core::Result<()> {
    Post::create_table(&db).await?;
    assert_eq!(Post::query().count(&db).await?, 0);
    Post { id: 0, title: "same".into() }.insert(&db).await?;
    assert_eq!(Post::query().count(&db).await?, 1);
    Ok(())
}

#[orm_core::test]
async fn web_attr_fresh_database_two(db: Db) -> orm_core::Result<()> {
    Post::create_table(&db).await?;
    assert_eq!(Post::query().count(&db).await?, 0);
    Post { id: 0, title: "same".into() }.insert(&db).await?;
    assert_eq!(Post::query().count(&db).await?, 1);
    Ok(())
}

/// Other attributes stay on the test, and any `Display` error type works.
#[orm_core::test]
#[allow(clippy::unused_async)]
async fn web_attr_other_error_type(db: Db) -> Result<(), String> {
    if db.backend().name().is_empty() {
        return Err("no backend".into());
    }
    Ok(())
}

/// An `Err` fails the test, naming the error.
#[test]
fn web_attr_error_fails_the_test() {
    let r = orm_core::__private::run_test_on(None, "web_test_attr::failing", |db: Db| async move {
        orm_core::raw("SELECT * FROM no_such_table").execute(&db).await.map(drop)
    });
    let e = r.expect_err("the test body failed");
    assert!(e.contains("no_such_table"), "{e}");
}

/// How many databases named `name` the server of `admin` has.
async fn databases_named(admin: &Db, name: &str) -> orm_core::Result<i64> {
    let sql = match admin.backend() {
        orm_core::Backend::Postgres => "SELECT COUNT(*) FROM pg_database WHERE datname = ?",
        _ => "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?",
    };
    Ok(orm_core::raw(sql).bind(name.to_owned()).fetch_scalar::<i64>(admin).await?.unwrap_or(0))
}

/// On a server: the database exists during the test, is empty at the start, and is dropped
/// after a pass; after a failure it is kept (and named in the error).
#[tokio::test]
async fn web_attr_server_database_created_and_dropped() {
    for backend in [orm_core::Backend::Postgres, orm_core::Backend::MySql] {
        // The harness's fresh database proves the server is up (or skips it, loudly).
        let Some(probe) = orm_tests::database(backend, "web_attr_probe").await else { continue };
        probe.close().await;
        let server = match backend {
            orm_core::Backend::Postgres => std::env::var("ORM_TEST_POSTGRES").unwrap_or(orm_tests::POSTGRES_URL.into()),
            _ => std::env::var("ORM_TEST_MYSQL").unwrap_or(orm_tests::MYSQL_URL.into()),
        };
        let admin_url = match backend {
            orm_core::Backend::Postgres => format!("{server}/postgres"),
            _ => server.clone(),
        };
        let path = "web_test_attr::server_database";
        let name = orm_core::__private::database_name(path);
        assert!(name.starts_with("web_test_attr__server_database_"), "{name}");
        let seen = std::sync::Arc::new(std::sync::Mutex::new(None));

        // run_test_on starts a runtime of its own: run it off this one.
        let (s, n, seen2) = (server.clone(), name.clone(), seen.clone());
        let r = tokio::task::spawn_blocking(move || {
            orm_core::__private::run_test_on(Some(&s), path, move |db: Db| async move {
                Post::create_table(&db).await?;
                let n_posts = Post::query().count(&db).await?;
                let admin = Db::connect(&admin_url).await?;
                let exists = databases_named(&admin, &n).await?;
                admin.close().await;
                *seen2.lock().unwrap() = Some((db.backend(), n_posts, exists));
                Ok::<(), orm_core::Error>(())
            })
        })
        .await
        .unwrap();
        r.unwrap_or_else(|e| panic!("[{}] {e}", backend.name()));
        assert_eq!(*seen.lock().unwrap(), Some((backend, 0, 1)), "[{}]", backend.name());

        let admin_url = match backend {
            orm_core::Backend::Postgres => format!("{server}/postgres"),
            _ => server.clone(),
        };
        let admin = Db::connect(&admin_url).await.unwrap();
        assert_eq!(databases_named(&admin, &name).await.unwrap(), 0, "[{}] dropped after a pass", backend.name());

        // A failing test keeps its database.
        let s = server.clone();
        let r = tokio::task::spawn_blocking(move || {
            orm_core::__private::run_test_on(Some(&s), path, |_db: Db| async move { Err::<(), _>("boom") })
        })
        .await
        .unwrap();
        let e = r.expect_err("failed");
        assert!(e.contains("boom") && e.contains(&name), "{e}");
        assert_eq!(databases_named(&admin, &name).await.unwrap(), 1, "[{}] kept after a failure", backend.name());
        let drop = match backend {
            orm_core::Backend::Postgres => format!("DROP DATABASE \"{name}\" WITH (FORCE)"),
            _ => format!("DROP DATABASE `{name}`"),
        };
        orm_core::raw(drop).execute(&admin).await.unwrap();
        admin.close().await;
    }
}
