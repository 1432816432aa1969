//! Articles (list, feed, get, create, update, delete), favorites and tags.

use crate::app::{AppState, Json, Path, Query};
use crate::auth::{AuthUser, MaybeUser};
use crate::error::{ApiError, ApiResult};
use crate::models::{Article, ArticleTag, Favorite, Follow, Tag, User};
use crate::views::{ArticleRow, ArticleView, article_rows, article_views, now};
use axum::extract::State;
use axum::http::StatusCode;
use orm_core::prelude::*;
use serde::{Deserialize, Serialize};

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

/// One page of the articles matching `filter` (and, on their author, `author`), newest first, with
/// the total count of the matches: one statement ([`article_rows`], tags included) whose
/// `fetch_page` adds the total as a `COUNT(*)` subquery the database computes once; a page past
/// the end counts in a second statement.
///
/// Not as a window count beside the page (`count().over_all()`): PostgreSQL must then read and
/// join every match with its author before the first row of the page (EXPLAIN ANALYZE: 0.9 ms
/// for the 500 articles of the load test), where the page alone stops after 20 rows of the index
/// on `created_at`; the subquery is a plain `COUNT(*)` of the matches joined with their authors,
/// without the page's per-row subqueries, and PostgreSQL runs it once (an InitPlan).
async fn list_page(
    db: &Db,
    viewer: Option<i64>,
    filter: Cond<Article>,
    author: Cond<User>,
    follows_all: bool,
    (limit, offset): (u64, u64),
) -> ApiResult<ArticlesResponse> {
    let page = article_rows(viewer, filter, author, follows_all)
        .order_by(Article::CREATED_AT.desc())
        .order_by(Article::ID.desc())
        .limit(limit)
        .offset(offset)
        .fetch_page(db)
        .await?;
    let articles = article_views(db, page.rows, false).await?;
    Ok(ArticlesResponse { articles, articles_count: page.total })
}

/// `GET /api/articles?tag=&author=&favorited=&limit=&offset=` (auth optional).
pub async fn list(
    State(s): State<AppState>,
    viewer: MaybeUser,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<ArticlesResponse>> {
    let page = page(p.limit, p.offset)?;
    let mut filter = Cond::always();
    let mut author = Cond::always();
    if let Some(tag) = p.tag {
        filter = filter & ArticleTag::ARTICLE.any_where(ArticleTag::TAG.has(Tag::NAME.eq(tag)));
    }
    if let Some(name) = p.author {
        // On the joined author row: no subquery.
        author = User::USERNAME.eq(name);
    }
    if let Some(fan) = p.favorited {
        filter = filter & Favorite::ARTICLE.any_where(Favorite::USER.has(User::USERNAME.eq(fan)));
    }
    Ok(Json(list_page(&s.db, viewer.id(), filter, author, false, page).await?))
}

/// `GET /api/articles/feed`: the articles of the authors the user follows.
pub async fn feed(
    State(s): State<AppState>,
    me: AuthUser,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<ArticlesResponse>> {
    let page = page(p.limit, p.offset)?;
    // One EXISTS on the joined author row (`users.id` followed by the reader), where a filter on
    // the articles alone would nest two (`Article::AUTHOR.has(Follow::FOLLOWEE.any_where(..))`).
    // The reader follows every author of the page: `following` is a constant.
    let followed = Follow::FOLLOWEE.any_where(Follow::FOLLOWER_ID.eq(me.id));
    Ok(Json(list_page(&s.db, Some(me.id), Cond::always(), followed, true, page).await?))
}

async fn by_slug<'e>(exec: impl Into<Executor<'e>>, slug: String) -> ApiResult<Article> {
    Article::query().filter(Article::SLUG.eq(slug)).first(exec).await?.ok_or(ApiError::NotFound("article not found"))
}

/// The article matching `filter` (its slug or its id) as `viewer` sees it: one statement.
async fn row_of(db: &Db, viewer: Option<i64>, filter: Cond<Article>) -> ApiResult<ArticleRow> {
    article_rows(viewer, filter, Cond::always(), false).first(db).await?.ok_or(ApiError::NotFound("article not found"))
}

/// The response for `row` (no statement, unless the article predates its `tag_list`).
async fn one(db: &Db, row: ArticleRow) -> ApiResult<Json<ArticleResponse>> {
    let mut views = article_views(db, vec![row], true).await?;
    let article = views.pop().ok_or_else(|| ApiError::Internal("an article without its view".into()))?;
    Ok(Json(ArticleResponse { article }))
}

/// `GET /api/articles/{slug}` (auth optional): one statement, the article with its tags, author,
/// count and flags.
pub async fn get(
    State(s): State<AppState>,
    viewer: MaybeUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<ArticleResponse>> {
    let row = row_of(&s.db, viewer.id(), Article::SLUG.eq(slug)).await?;
    one(&s.db, row).await
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
        tag_list: Some(orm_core::Json(names.clone())),
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
    let row = row_of(&s.db, Some(me.id), Article::ID.eq(article.id)).await?;
    let response = one(&s.db, row).await?;
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
    let row = row_of(&s.db, Some(me.id), Article::ID.eq(article.id)).await?;
    one(&s.db, row).await
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

/// `POST /api/articles/{slug}/favorite`: favoriting twice is not an error. Two statements: the
/// article as the user saw it before, the insert.
pub async fn favorite(
    State(s): State<AppState>,
    me: AuthUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<ArticleResponse>> {
    let mut row = row_of(&s.db, Some(me.id), Article::SLUG.eq(slug)).await?;
    match (Favorite { user_id: me.id, article_id: row.id }).insert(&s.db).await {
        Ok(()) | Err(orm_core::Error::UniqueViolation(_)) => {}
        Err(orm_core::Error::ForeignKeyViolation(_)) => {
            // The article was deleted meanwhile, or the token's user is gone.
            return Err(ApiError::NotFound("article not found"));
        }
        Err(e) => return Err(e.into()),
    }
    // Favorited now, whoever wrote the row. Not favorited when read, the count read lacks this
    // favorite (ours, or a concurrent request's of the same user, which the insert met): add it.
    if !row.favorited {
        row.favorited = true;
        row.favorites_count += 1;
    }
    one(&s.db, row).await
}

/// `DELETE /api/articles/{slug}/favorite`: two statements, as for `favorite`.
pub async fn unfavorite(
    State(s): State<AppState>,
    me: AuthUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<ArticleResponse>> {
    let mut row = row_of(&s.db, Some(me.id), Article::SLUG.eq(slug)).await?;
    Favorite::query().filter(Favorite::USER_ID.eq(me.id) & Favorite::ARTICLE_ID.eq(row.id)).delete(&s.db).await?;
    // The row the count included is gone (this request's delete, or a concurrent one's that
    // found it first when none was deleted here).
    if row.favorited {
        row.favorited = false;
        row.favorites_count = (row.favorites_count - 1).max(0);
    }
    one(&s.db, row).await
}

/// `GET /api/tags`: the tags some article carries, by name.
pub async fn tags(State(s): State<AppState>) -> ApiResult<Json<TagsResponse>> {
    let tags =
        Tag::query().filter(ArticleTag::TAG.any()).order_by(Tag::NAME.asc()).select(Tag::NAME).all(&s.db).await?;
    Ok(Json(TagsResponse { tags }))
}
