//! Errors as the spec wants them: a status code and `{"errors": {"body": ["..."]}}`.
//!
//! Every handler returns `Result<_, ApiError>`; `?` on an `orm_core::Error` maps it here, in one
//! place: a unique violation is the client's mistake (422, naming the field), anything else is
//! logged and answered with a 500 that does not leak the database's message.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer.
#[derive(Debug)]
pub enum ApiError {
    /// 401: no token, or one that does not verify, on an endpoint that needs a user; or a login
    /// with the wrong credentials.
    Unauthorized(&'static str),
    /// 403: the user may not do this (change someone else's article or comment).
    Forbidden(&'static str),
    /// 404: no such article, profile or comment.
    NotFound(&'static str),
    /// 422: the request is well-formed HTTP but its content is not acceptable.
    Unprocessable(String),
    /// 503: no database connection came free within `DbOptions::acquire_timeout`.
    Unavailable,
    /// 500: a failure of ours; the detail goes to the log, not to the client.
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, String) {
        match self {
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, (*m).to_owned()),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, (*m).to_owned()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, (*m).to_owned()),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.clone()),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "the database is busy; try again".to_owned()),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal server error".to_owned()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let (status, message) = self.parts();
        (status, Json(json!({ "errors": { "body": [message] } }))).into_response()
    }
}

impl From<orm_core::Error> for ApiError {
    fn from(e: orm_core::Error) -> Self {
        match e {
            orm_core::Error::UniqueViolation(info) => {
                // Which UNIQUE column it was, as far as the database says: PostgreSQL and SQLite
                // name the column, MySQL the key (named after the column by the migrations:
                // `users_username_key`, `users_email_key`, `articles_slug_key`).
                let said = [info.column.as_deref(), info.constraint.as_deref(), Some(info.message.as_str())];
                let field = ["username", "email", "slug"]
                    .into_iter()
                    .find(|f| said.iter().flatten().any(|s| s.contains(f)))
                    .unwrap_or("value");
                ApiError::Unprocessable(format!("{field} has already been taken"))
            }
            // orm-core has no variant of its own for an exhausted pool: it is sqlx's error.
            orm_core::Error::Database(sqlx::Error::PoolTimedOut) => ApiError::Unavailable,
            e => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::Unprocessable(e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::Unprocessable(e.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> Self {
        ApiError::Unprocessable(e.body_text())
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
