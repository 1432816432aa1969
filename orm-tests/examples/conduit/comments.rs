//! Comments of an article: add, list, delete.

use crate::app::{AppState, Json, Path};
use crate::auth::{AuthUser, MaybeUser};
use crate::error::{ApiError, ApiResult};
use crate::models::{Article, Comment, User};
use crate::views::{ProfileView, followed_among, now, timestamp};
use axum::extract::State;
use axum::http::StatusCode;
use orm_core::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct CommentBody<T> {
    comment: T,
}

#[derive(Deserialize)]
pub struct NewComment {
    body: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommentView {
    id: i64,
    created_at: String,
    updated_at: String,
    body: String,
    author: ProfileView,
}

#[derive(Serialize)]
pub struct CommentResponse {
    comment: CommentView,
}

#[derive(Serialize)]
pub struct CommentsResponse {
    comments: Vec<CommentView>,
}

async fn article_id(db: &Db, slug: String) -> ApiResult<i64> {
    let id = Article::query().filter(Article::SLUG.eq(slug)).select(Article::ID).first(db).await?;
    id.ok_or(ApiError::NotFound("article not found"))
}

/// The views of `comments`: their authors in one statement, whom the viewer follows in one more.
async fn views(db: &Db, viewer: Option<i64>, comments: Vec<Comment>) -> Result<Vec<CommentView>> {
    let with_authors: Vec<(Comment, User)> = comments.with_parent::<User>(db).await?;
    let author_ids: Vec<i64> = with_authors.iter().map(|(_, u)| u.id).collect();
    let following = followed_among(db, viewer, &author_ids).await?;
    Ok(with_authors
        .into_iter()
        .map(|(c, author)| CommentView {
            id: c.id,
            created_at: timestamp(&c.created_at),
            updated_at: timestamp(&c.updated_at),
            body: c.body,
            author: ProfileView::new(&author, following.contains(&author.id)),
        })
        .collect())
}

/// `GET /api/articles/{slug}/comments` (auth optional), newest first.
pub async fn list(
    State(s): State<AppState>,
    viewer: MaybeUser,
    Path(slug): Path<String>,
) -> ApiResult<Json<CommentsResponse>> {
    let id = article_id(&s.db, slug).await?;
    let comments = Comment::query().filter(Comment::ARTICLE_ID.eq(id)).order_by(Comment::ID.desc()).all(&s.db).await?;
    Ok(Json(CommentsResponse { comments: views(&s.db, viewer.id(), comments).await? }))
}

/// `POST /api/articles/{slug}/comments`.
pub async fn add(
    State(s): State<AppState>,
    me: AuthUser,
    Path(slug): Path<String>,
    Json(body): Json<CommentBody<NewComment>>,
) -> ApiResult<Json<CommentResponse>> {
    let text = body.comment.body;
    if text.trim().is_empty() {
        return Err(ApiError::Unprocessable("body can't be blank".into()));
    }
    let article_id = article_id(&s.db, slug).await?;
    let at = now();
    let mut comment = Comment { id: 0, body: text, article_id, author_id: me.id, created_at: at, updated_at: at };
    match comment.insert(&s.db).await {
        Err(orm_core::Error::ForeignKeyViolation(_)) => return Err(ApiError::NotFound("article not found")),
        r => r?,
    }
    let comment = views(&s.db, Some(me.id), vec![comment]).await?.pop();
    let comment = comment.ok_or_else(|| ApiError::Internal("a comment without its view".into()))?;
    Ok(Json(CommentResponse { comment }))
}

/// `DELETE /api/articles/{slug}/comments/{id}`: the comment's author only.
pub async fn delete(
    State(s): State<AppState>,
    me: AuthUser,
    Path((slug, id)): Path<(String, i64)>,
) -> ApiResult<StatusCode> {
    let article_id = article_id(&s.db, slug).await?;
    let comment = Comment::find(&s.db, id).await?.filter(|c| c.article_id == article_id);
    let comment = comment.ok_or(ApiError::NotFound("comment not found"))?;
    if comment.author_id != me.id {
        return Err(ApiError::Forbidden("only the author may delete a comment"));
    }
    comment.delete(&s.db).await?;
    Ok(StatusCode::NO_CONTENT)
}
