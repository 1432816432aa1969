//! The example's own tests, run by `cargo test --workspace` (or `cargo test -p orm-tests
//! --example conduit`): requests through the router in process, each test on a fresh database
//! from `#[orm_core::test(migrations = ...)]` (the example's own migrations applied first), the
//! models and the migrations checked against each other, and the statement count of a page of articles on every backend.

use crate::models::{Article, ArticleTag, Favorite, Follow, Tag, User};
use crate::{app, schema, state};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use orm_core::prelude::*;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The router on `db`, whose tables exist (made by `#[orm_core::test(migrations = ...)]` or
/// [`schema::setup`]).
async fn app_on(db: &Db) -> orm_core::Result<Router> {
    Ok(app::router(state(db.clone(), b"test secret")))
}

/// One request; the status and the JSON body (`null` for an empty one).
async fn call(app: &Router, method: &str, uri: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Token {t}"));
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = app.clone().oneshot(req.body(body).expect("a request")).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("a body");
    let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("a JSON body") };
    (status, json)
}

/// Registers `name` and returns the token.
async fn register(app: &Router, name: &str) -> String {
    let body = json!({"user": {"username": name, "email": format!("{name}@x.io"), "password": "secret"}});
    let (status, v) = call(app, "POST", "/api/users", None, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["user"]["token"].as_str().expect("a token").to_owned()
}

async fn post_article(app: &Router, token: &str, title: &str, tags: &[&str]) -> String {
    let body = json!({"article": {"title": title, "description": "d", "body": "b", "tagList": tags}});
    let (status, v) = call(app, "POST", "/api/articles", Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["article"]["slug"].as_str().expect("a slug").to_owned()
}

fn errors(v: &Value) -> &Value {
    &v["errors"]["body"]
}

#[orm_core::test(migrations = "examples/conduit/migrations")]
async fn conduit_users_register_login_and_duplicates(db: Db) -> orm_core::Result<()> {
    let app = app_on(&db).await?;
    let token = register(&app, "ann").await;
    let (status, v) = call(&app, "GET", "/api/user", Some(&token), None).await;
    assert_eq!((status, v["user"]["username"].as_str()), (StatusCode::OK, Some("ann")));

    // The UNIQUE constraints answer, with the spec's error body.
    let dup_name = json!({"user": {"username": "ann", "email": "other@x.io", "password": "p"}});
    let (status, v) = call(&app, "POST", "/api/users", None, Some(dup_name)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(errors(&v), &json!(["username has already been taken"]));
    let dup_email = json!({"user": {"username": "bob", "email": "ann@x.io", "password": "p"}});
    let (status, v) = call(&app, "POST", "/api/users", None, Some(dup_email)).await;
    assert_eq!((status, errors(&v)), (StatusCode::UNPROCESSABLE_ENTITY, &json!(["email has already been taken"])));

    // Passwords are stored hashed and checked.
    let stored = User::query().filter(User::USERNAME.eq("ann")).first(&db).await?.expect("ann");
    assert!(stored.password_hash.starts_with("$argon2id$"), "{}", stored.password_hash);
    let wrong = json!({"user": {"email": "ann@x.io", "password": "nope"}});
    assert_eq!(call(&app, "POST", "/api/users/login", None, Some(wrong)).await.0, StatusCode::UNAUTHORIZED);
    let right = json!({"user": {"email": "ann@x.io", "password": "secret"}});
    assert_eq!(call(&app, "POST", "/api/users/login", None, Some(right)).await.0, StatusCode::OK);

    // Update: bio set, then cleared with null.
    let (status, v) = call(&app, "PUT", "/api/user", Some(&token), Some(json!({"user": {"bio": "hi"}}))).await;
    assert_eq!((status, v["user"]["bio"].as_str()), (StatusCode::OK, Some("hi")));
    let (_, v) = call(&app, "PUT", "/api/user", Some(&token), Some(json!({"user": {"bio": null}}))).await;
    assert_eq!(v["user"]["bio"], Value::Null);

    // Bad input and bad tokens.
    assert_eq!(call(&app, "GET", "/api/user", None, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&app, "GET", "/api/user", Some("not.a.jwt"), None).await.0, StatusCode::UNAUTHORIZED);
    let (status, v) = call(&app, "POST", "/api/users", None, Some(json!({"user": {"username": "x"}}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(errors(&v)[0].is_string(), "{v}");
    Ok(())
}

#[orm_core::test(migrations = "examples/conduit/migrations")]
async fn conduit_articles_permissions_filters_and_counts(db: Db) -> orm_core::Result<()> {
    let app = app_on(&db).await?;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let slug = post_article(&app, &ann, "How to train your dragon", &["training", "dragons"]).await;
    for i in 0..4 {
        post_article(&app, &bob, &format!("Bob {i}"), &["bob"]).await;
    }

    // Tags in name order, timestamps with fractional seconds.
    let (status, v) = call(&app, "GET", &format!("/api/articles/{slug}"), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["article"]["tagList"], json!(["dragons", "training"]));
    let created = v["article"]["createdAt"].as_str().expect("createdAt");
    assert_eq!((created.len(), &created[19..20], created.ends_with('Z')), (24, ".", true), "{created}");

    // articlesCount is every match, not the page.
    let (_, v) = call(&app, "GET", "/api/articles?limit=2", None, None).await;
    assert_eq!((v["articles"].as_array().map(Vec::len), v["articlesCount"].as_u64()), (Some(2), Some(5)));
    let (_, v) = call(&app, "GET", "/api/articles?author=bob&limit=1&offset=3", None, None).await;
    assert_eq!((v["articles"][0]["title"].as_str(), v["articlesCount"].as_u64()), (Some("Bob 0"), Some(4)));
    let (_, v) = call(&app, "GET", "/api/articles?tag=dragons", None, None).await;
    assert_eq!((v["articles"][0]["slug"].as_str(), v["articlesCount"].as_u64()), (Some(slug.as_str()), Some(1)));
    assert!(v["articles"][0].get("body").is_none(), "lists carry no body");
    let (status, _) = call(&app, "GET", "/api/articles?limit=abc", None, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Favorites: count and flag, and the favorited filter.
    let (_, v) = call(&app, "POST", &format!("/api/articles/{slug}/favorite"), Some(&bob), None).await;
    assert_eq!((v["article"]["favorited"].as_bool(), v["article"]["favoritesCount"].as_i64()), (Some(true), Some(1)));
    let (_, v) = call(&app, "GET", "/api/articles?favorited=bob", Some(&ann), None).await;
    assert_eq!((v["articlesCount"].as_u64(), v["articles"][0]["favorited"].as_bool()), (Some(1), Some(false)));

    // Feed: the followed authors only; following shows in the author's profile.
    let (_, v) = call(&app, "GET", "/api/articles/feed", Some(&ann), None).await;
    assert_eq!(v["articlesCount"].as_u64(), Some(0));
    let (_, v) = call(&app, "POST", "/api/profiles/bob/follow", Some(&ann), None).await;
    assert_eq!(v["profile"]["following"].as_bool(), Some(true));
    let (_, v) = call(&app, "GET", "/api/articles/feed?limit=3", Some(&ann), None).await;
    assert_eq!((v["articlesCount"].as_u64(), v["articles"].as_array().map(Vec::len)), (Some(4), Some(3)));
    assert_eq!(v["articles"][0]["author"]["following"].as_bool(), Some(true));
    assert_eq!(call(&app, "GET", "/api/articles/feed", None, None).await.0, StatusCode::UNAUTHORIZED);

    // Only the author changes or deletes; unknown slugs are 404.
    let change = json!({"article": {"body": "With two hands"}});
    let uri = format!("/api/articles/{slug}");
    assert_eq!(call(&app, "PUT", &uri, Some(&bob), Some(change.clone())).await.0, StatusCode::FORBIDDEN);
    assert_eq!(call(&app, "PUT", &uri, None, Some(change.clone())).await.0, StatusCode::UNAUTHORIZED);
    let (status, v) = call(&app, "PUT", &uri, Some(&ann), Some(change)).await;
    assert_eq!((status, v["article"]["body"].as_str()), (StatusCode::OK, Some("With two hands")));
    assert_eq!(call(&app, "GET", "/api/articles/nope", None, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(call(&app, "GET", "/api/profiles/nobody", None, None).await.0, StatusCode::NOT_FOUND);

    // Comments: add, list, delete by the author only.
    let uri = format!("/api/articles/{slug}/comments");
    let (status, v) = call(&app, "POST", &uri, Some(&bob), Some(json!({"comment": {"body": "Thanks!"}}))).await;
    assert_eq!(status, StatusCode::OK);
    let id = v["comment"]["id"].as_i64().expect("an id");
    let (_, v) = call(&app, "GET", &uri, None, None).await;
    assert_eq!(v["comments"][0]["author"]["username"].as_str(), Some("bob"));
    let one = format!("{uri}/{id}");
    assert_eq!(call(&app, "DELETE", &one, Some(&ann), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(call(&app, "DELETE", &one, Some(&bob), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(call(&app, "DELETE", &one, Some(&bob), None).await.0, StatusCode::NOT_FOUND);

    // Deleting the article takes its comments, favorites and tag links along.
    call(&app, "POST", &uri, Some(&bob), Some(json!({"comment": {"body": "again"}}))).await;
    let article = Article::query().filter(Article::SLUG.eq(slug.clone())).first(&db).await?.expect("the article");
    assert_eq!(call(&app, "DELETE", &format!("/api/articles/{slug}"), Some(&bob), None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        call(&app, "DELETE", &format!("/api/articles/{slug}"), Some(&ann), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(Favorite::query().filter(Favorite::ARTICLE_ID.eq(article.id)).count(&db).await?, 0);
    assert_eq!(ArticleTag::query().filter(ArticleTag::ARTICLE_ID.eq(article.id)).count(&db).await?, 0);
    let (_, v) = call(&app, "GET", "/api/tags", None, None).await;
    assert_eq!(v["tags"], json!(["bob"]));
    Ok(())
}

/// Seeds `n` users; each writes one article with two tags; user 0 follows everyone and every
/// user favorites every article of a user with a lower id.
async fn seed(db: &Db, n: usize) -> orm_core::Result<()> {
    let mut users: Vec<User> = (0..n)
        .map(|i| User {
            id: 0,
            username: format!("user{i}"),
            email: format!("user{i}@x.io"),
            password_hash: String::new(),
            bio: None,
            image: None,
        })
        .collect();
    User::insert_many_with_keys(db, &mut users).await?;
    let mut tags = vec![Tag { id: 0, name: "even".into() }, Tag { id: 0, name: "odd".into() }];
    Tag::insert_many_with_keys(db, &mut tags).await?;
    let now = crate::views::now();
    let mut articles: Vec<Article> = users
        .iter()
        .enumerate()
        .map(|(i, u)| Article {
            id: 0,
            slug: format!("a{i}"),
            title: format!("A {i}"),
            description: "d".into(),
            body: "b".into(),
            author_id: u.id,
            created_at: now,
            updated_at: now,
            tag_list: Some(orm_core::Json(vec![tags[i % 2].name.clone()])),
        })
        .collect();
    Article::insert_many_with_keys(db, &mut articles).await?;
    let links: Vec<ArticleTag> = articles
        .iter()
        .enumerate()
        .flat_map(|(i, a)| [ArticleTag { article_id: a.id, tag_id: tags[i % 2].id }])
        .collect();
    ArticleTag::insert_many(db, &links).await?;
    let follows: Vec<Follow> =
        users[1..].iter().map(|u| Follow { follower_id: users[0].id, followee_id: u.id }).collect();
    Follow::insert_many(db, &follows).await?;
    let mut favorites = Vec::new();
    for (i, u) in users.iter().enumerate() {
        for a in &articles[..i] {
            favorites.push(Favorite { user_id: u.id, article_id: a.id });
        }
    }
    Favorite::insert_many(db, &favorites).await?;
    Ok(())
}

/// No N+1: a page of articles (authors, following flags, favorited flags, favorite counts, tags)
/// costs the same number of statements whatever its size, on every backend.
#[tokio::test]
async fn conduit_article_page_takes_a_fixed_number_of_statements() {
    orm_tests::each_backend!("conduit_page_statements", |db| {
        schema::setup(&db).await?;
        let app = app_on(&db).await?;
        seed(&db, 30).await?;
        let token = crate::auth::token_for(
            &crate::auth::Keys::new(b"test secret"),
            User::query().filter(User::USERNAME.eq("user0")).first(&db).await?.expect("user0").id,
        )
        .expect("a token");
        for (viewer, expected) in [(None, 1), (Some(token.as_str()), 1)] {
            for uri in [
                "/api/articles?limit=1",
                "/api/articles?limit=5",
                "/api/articles?limit=20",
                "/api/articles/feed?limit=20",
            ] {
                if viewer.is_none() && uri.contains("feed") {
                    continue;
                }
                let before = db.statement_count();
                let (status, v) = call(&app, "GET", uri, viewer, None).await;
                let statements = db.statement_count() - before;
                assert_eq!(status, StatusCode::OK, "{v}");
                let page = v["articles"].as_array().map_or(0, Vec::len);
                assert!(page >= 1, "{uri}: {v}");
                // the page: authors, counts, flags and tags in the row, the total beside it
                assert_eq!(statements, expected, "{uri} as {viewer:?}: {page} articles");
                // The total: 30 articles, 29 in user0's feed.
                let total = if uri.contains("feed") { 29 } else { 30 };
                assert_eq!(v["articlesCount"].as_i64(), Some(total), "{uri}");
                let last = &v["articles"][page - 1];
                assert!(last["favoritesCount"].is_i64() && last["tagList"].as_array().is_some_and(|t| t.len() == 1));
            }
        }
        // An empty page past the end: the page and the count.
        let before = db.statement_count();
        let (_, v) = call(&app, "GET", "/api/articles?limit=5&offset=100", None, None).await;
        assert_eq!(db.statement_count() - before, 2);
        assert_eq!((v["articles"].as_array().map(Vec::len), v["articlesCount"].as_i64()), (Some(0), Some(30)));
        // An article written before `tag_list` existed (NULL): its tags come from `article_tags`, in
        // one statement more.
        Article::query().filter(Article::SLUG.eq("a3")).update(&db, [Article::TAG_LIST.set(None)]).await?;
        let before = db.statement_count();
        let (_, v) = call(&app, "GET", "/api/articles/a3", None, None).await;
        assert_eq!(db.statement_count() - before, 2);
        assert_eq!(v["article"]["tagList"], json!(["odd"]));
        let before = db.statement_count();
        let (_, v) = call(&app, "GET", "/api/articles/a4", None, None).await;
        assert_eq!(db.statement_count() - before, 1);
        assert_eq!(v["article"]["tagList"], json!(["even"]));
        // The counts and flags are right, not only cheap: user0's article is favorited by users
        // 1..29, user29's by nobody; user0 favorites nothing and follows every author but itself.
        let (_, v) = call(&app, "GET", "/api/articles?limit=30", Some(&token), None).await;
        let articles = v["articles"].as_array().expect("articles");
        let by_slug = |s: &str| articles.iter().find(|a| a["slug"] == s).expect("the article").clone();
        let (first, last) = (by_slug("a0"), by_slug("a29"));
        assert_eq!(first["favoritesCount"].as_i64(), Some(29));
        assert_eq!(last["favoritesCount"].as_i64(), Some(0));
        assert_eq!(first["favorited"].as_bool(), Some(false));
        assert_eq!(
            (first["author"]["following"].as_bool(), last["author"]["following"].as_bool()),
            (Some(false), Some(true))
        );
        Ok(())
    });
}

/// The migrations hold every change of the models (`migrate::check`, offline): a model changed
/// without a migration fails here. `BLESS=<name>` writes the missing migration `000N_<name>`
/// (read it, commit it).
#[test]
fn conduit_models_and_migrations_agree() {
    use orm_core::migrate::{self, MakeOptions, Migrator};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(schema::MIGRATIONS_DIR);
    if let Some(name) = std::env::var("BLESS").ok().filter(|n| !n.is_empty()) {
        migrate::make(&schema::models(), &dir, &name, MakeOptions::default()).expect("make");
    }
    migrate::check(&schema::models(), &dir).expect("the models have changes no migration has");
    // The binary embeds that folder.
    let embedded = schema::migrator().expect("the embedded migrations");
    let on_disk = Migrator::from_dir(&dir).expect("the migrations folder");
    let sums = |m: &Migrator| m.migrations().iter().map(|m| m.checksum.clone()).collect::<Vec<_>>();
    assert_eq!(sums(&embedded), sums(&on_disk));
}

/// After the migrations, the live schema (introspected) is the models' on this backend, and the
/// unique keys carry the names the error mapping looks for (`error.rs`: MySQL names the key).
#[orm_core::test(migrations = "examples/conduit/migrations")]
async fn conduit_migrations_build_the_models_schema(db: Db) -> orm_core::Result<()> {
    let b = db.backend();
    let live = orm_core::migrate::introspect(&db).await?;
    assert_eq!(live.normalized(b), schema::models().normalized(b), "[{}]", b.name());
    for (table, column) in [("users", "username"), ("users", "email"), ("articles", "slug")] {
        let t = live.get(table).expect("the table");
        assert!(
            t.indexes.iter().any(|i| i.unique && i.columns == [column] && i.name.contains(column)),
            "[{}] {table}.{column}: {:?}",
            b.name(),
            t.indexes
        );
    }
    // Running them again applies nothing.
    assert!(schema::migrator()?.run(&db).await?.is_empty());
    Ok(())
}
