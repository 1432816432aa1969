//! Articles (list, feed, get, create, update, delete), favorites and tags.

use crate::app::{AppState, Json, Path, Query};
use crate::auth::{AuthUser, MaybeUser};
use crate::error::{ApiError, ApiResult};
use crate::models::{Article, ArticleTag, Favorite, Follow, Tag, User};
use crate::views::{ArticleView, Known, article_views, now};
use axum::extract::State;
use axum::http::StatusCode;
use orm_core::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The most articles one page may hold.
const MAX_LIMIT: u64 = 100;

#[derive(Deserialize)]
pub struct ListParams {
    tag: Option<String>,
    author: Option<String>,
    favorited: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
}

#[derive(Deserialize)]
pub struct PageParams {
    limit: Option<u64>,
    offset: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticlesResponse {
    articles: Vec<ArticleView>,
    /// All the articles that match, not only this page's.
    articles_count: u64,
}

#[derive(Serialize)]
pub struct ArticleResponse {
    article: ArticleView,
}

#[derive(Serialize)]
pub struct TagsResponse {
    tags: Vec<String>,
}

#[derive(Deserialize)]
pub struct ArticleBody<T> {
    article: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewArticle {
    title: String,
    description: String,
    body: String,
    #[serde(default)]
    tag_list: Vec<String>,
}

#[derive(Deserialize)]
pub struct UpdateArticle {
    title: Option<String>,
    description: Option<String>,
    body: Option<String>,
}

fn page(limit: Option<u64>, offset: Option<u64>) -> ApiResult<(u64, u64)> {
    let limit = limit.unwrap_or(20);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::Unprocessable(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    Ok((limit, offset.unwrap_or(0)))
}

/// One page of `q`, newest first, with the total count of `q`'s matches.
async fn list_page(
    db: &Db,
    viewer: Option<i64>,
    q: orm_core::Query<Article>,
    limit: u64,
    offset: u64,
    known: Known,
) -> ApiResult<ArticlesResponse> {
    let page = q.clone().order_by(Article::CREATED_AT.desc()).order_by(Article::ID.desc()).limit(limit).offset(offset);
    let rows = page.all(db).await?;
    // The page's length is the count when the page is the first and not full.
    let articles_count =
        if offset == 0 && (rows.len() as u64) < limit { rows.len() as u64 } else { q.count(db).await? };
    let articles = article_views(db, viewer, rows, false, known).await?;
    Ok(ArticlesResponse { articles, articles_count })
}

/// `GET /api/articles?tag=&author=&favorited=&limit=&offset=` (auth optional).
pub async fn list(
    State(s): State<AppState>,
    viewer: MaybeUser,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<ArticlesResponse>> {
    let (limit, offset) = page(p.limit, p.offset)?;
    let mut q = Article::query();
    if let Some(tag) = p.tag {
        q = q.filter(ArticleTag::ARTICLE.any_where(ArticleTag::TAG.has(Tag::NAME.eq(tag))));
    }
    if let Some(author) = p.author {
        q = q.filter(Article::AUTHOR.has(User::USERNAME.eq(author)));
    }
    if let Some(fan) = p.favorited {
        q = q.filter(Favorite::ARTICLE.any_where(Favorite::USER.has(User::USERNAME.eq(fan))));
    }
    Ok(Json(list_page(&s.db, viewer.id(), q, limit, offset, Known::default()).await?))
}

/// `GET /api/articles/feed`: the articles of the authors the user follows.
pub async fn feed(
    State(s): State<AppState>,
    me: AuthUser,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<ArticlesResponse>> {
    let (limit, offset) = page(p.limit, p.offset)?;
    // The followed authors first, then their articles by `author_id IN (...)`: one statement more
    // than a filter through the relations (`Article::AUTHOR.has(Follow::FOLLOWEE.any_where(..))`),
    // but that one nests two EXISTS, which PostgreSQL plans anew at each execution (1.2 ms of
    // planning for 0.5 ms of execution, twice: the page and its count), where `author_id = ANY($1)`
    // plans in microseconds. And the reader follows every author of the page: not asked again.
    let followed: Vec<i64> =
        Follow::query().filter(Follow::FOLLOWER_ID.eq(me.id)).select(Follow::FOLLOWEE_ID).all(&s.db).await?;
    if followed.is_empty() {
        return Ok(Json(ArticlesResponse { articles: Vec::new(), articles_count: 0 }));
    }
    let q = Article::query().filter(Article::AUTHOR_ID.is_in(followed.iter().copied()));
    let known = Known { following: Some(followed.into_iter().collect()), favorited: None };
    Ok(Json(list_page(&s.db, Some(me.id), q, limit, offset, known).await?))
}

async fn by_slug<'e>(exec: impl Into<Executor<'e>>, slug: String) -> ApiResult<Article> {
    Article::query().filter(Article::SLUG.eq(slug)).first(exec).await?.ok_or(ApiError::NotFound("article not found"))
}

async fn one(db: &Db, viewer: Option<i64>, article: Article, known: Known) -> ApiResult<Json<ArticleResponse>> {
    let mut views = article_views(db, viewer, vec![article], true, known).await?;
    let article = views.pop().ok_or_else(|| ApiError::Internal("an article without its view".into()))?;
    Ok(Json(ArticleResponse { article }))
}

/// `GET /api/articles/{slug}` (auth optional).
pub async fn get(
    State(s): State<AppState>,
    viewer: MaybeUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<ArticleResponse>> {
    let article = by_slug(&s.db, slug).await?;
    one(&s.db, viewer.id(), article, Known::default()).await
}

/// A URL-safe slug of `title`, made unique by a random suffix (the UNIQUE constraint on `slug`
/// has the last word).
fn slug_of(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let base = slug.trim_end_matches('-');
    let base = if base.is_empty() { "article" } else { base };
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{base}-{}", &suffix[..8])
}

fn required(field: &str, value: &str) -> ApiResult<()> {
    if value.trim().is_empty() {
        return Err(ApiError::Unprocessable(format!("{field} can't be blank")));
    }
    Ok(())
}

/// `POST /api/articles`: 201. The article and its tag links are written in one transaction: all
/// of them or none (its new tags before, on their own).
pub async fn create(
    State(s): State<AppState>,
    me: AuthUser,
    Json(body): Json<ArticleBody<NewArticle>>,
) -> ApiResult<(StatusCode, Json<ArticleResponse>)> {
    let NewArticle { title, description, body, tag_list } = body.article;
    required("title", &title)?;
    required("description", &description)?;
    required("body", &body)?;
    let mut names: Vec<String> = tag_list.into_iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    names.sort();
    names.dedup();

    let at = now();
    let mut article = Article {
        id: 0,
        slug: slug_of(&title),
        title,
        description,
        body,
        author_id: me.id,
        created_at: at,
        updated_at: at,
    };
    // The tags first, each on its own outside the transaction, which stays short: when two
    // requests create the same new tag, `get_or_create` reads back the other's row after its
    // insert fails (found by the MariaDB load: inside a transaction that re-read is a locking
    // read since, as a plain one would not see the row under REPEATABLE READ). A tag that no
    // article ends up carrying is harmless (`GET /api/tags` lists the tags some article carries).
    let mut tags = Vec::new();
    if !names.is_empty() {
        tags = Tag::query().filter(Tag::NAME.is_in(names.iter().cloned())).all(&s.db).await?;
        for name in &names {
            if !tags.iter().any(|t| &t.name == name) {
                let new = || Tag { id: 0, name: name.clone() };
                let (tag, _) = Tag::query().filter(Tag::NAME.eq(name.clone())).get_or_create(&s.db, new).await?;
                tags.push(tag);
            }
        }
    }
    let mut tx = s.db.begin().await?;
    match article.insert(&mut tx).await {
        Err(orm_core::Error::ForeignKeyViolation(_)) => {
            return Err(ApiError::Unauthorized("the token's user does not exist"));
        }
        r => r?,
    }
    if !tags.is_empty() {
        let links: Vec<ArticleTag> = tags.iter().map(|t| ArticleTag { article_id: article.id, tag_id: t.id }).collect();
        ArticleTag::insert_many(&mut tx, &links).await?;
    }
    tx.commit().await?;
    let response = one(&s.db, Some(me.id), article, Known::default()).await?;
    Ok((StatusCode::CREATED, response))
}

/// `PUT /api/articles/{slug}`: the author only (403 otherwise). The slug stays, so links to the
/// article keep working.
pub async fn update(
    State(s): State<AppState>,
    me: AuthUser,
    Path(slug): Path<String>,
    Json(body): Json<ArticleBody<UpdateArticle>>,
) -> ApiResult<Json<ArticleResponse>> {
    let change = body.article;
    let mut article = by_slug(&s.db, slug).await?;
    if article.author_id != me.id {
        return Err(ApiError::Forbidden("only the author may change an article"));
    }
    if let Some(title) = change.title {
        required("title", &title)?;
        article.title = title;
    }
    if let Some(description) = change.description {
        required("description", &description)?;
        article.description = description;
    }
    if let Some(body) = change.body {
        required("body", &body)?;
        article.body = body;
    }
    article.updated_at = now();
    article.update(&s.db).await?;
    one(&s.db, Some(me.id), article, Known::default()).await
}

/// `DELETE /api/articles/{slug}`: the author only; comments, favorites and tag links go with it
/// (`ON DELETE CASCADE`).
pub async fn delete(State(s): State<AppState>, me: AuthUser, Path(slug): Path<String>) -> ApiResult<StatusCode> {
    let article = by_slug(&s.db, slug).await?;
    if article.author_id != me.id {
        return Err(ApiError::Forbidden("only the author may delete an article"));
    }
    article.delete(&s.db).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/articles/{slug}/favorite`: favoriting twice is not an error.
pub async fn favorite(
    State(s): State<AppState>,
    me: AuthUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<ArticleResponse>> {
    let article = by_slug(&s.db, slug).await?;
    match (Favorite { user_id: me.id, article_id: article.id }).insert(&s.db).await {
        Ok(()) | Err(orm_core::Error::UniqueViolation(_)) => {}
        Err(orm_core::Error::ForeignKeyViolation(_)) => {
            // The article was deleted meanwhile, or the token's user is gone.
            return Err(ApiError::NotFound("article not found"));
        }
        Err(e) => return Err(e.into()),
    }
    // Favorited now, whoever wrote the row: not asked again.
    let known = Known { favorited: Some(HashSet::from([article.id])), following: None };
    one(&s.db, Some(me.id), article, known).await
}

/// `DELETE /api/articles/{slug}/favorite`.
pub async fn unfavorite(
    State(s): State<AppState>,
    me: AuthUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<ArticleResponse>> {
    let article = by_slug(&s.db, slug).await?;
    Favorite::query().filter(Favorite::USER_ID.eq(me.id) & Favorite::ARTICLE_ID.eq(article.id)).delete(&s.db).await?;
    let known = Known { favorited: Some(HashSet::new()), following: None };
    one(&s.db, Some(me.id), article, known).await
}

/// `GET /api/tags`: the tags some article carries, by name.
pub async fn tags(State(s): State<AppState>) -> ApiResult<Json<TagsResponse>> {
    let tags =
        Tag::query().filter(ArticleTag::TAG.any()).order_by(Tag::NAME.asc()).select(Tag::NAME).all(&s.db).await?;
    Ok(Json(TagsResponse { tags }))
}
