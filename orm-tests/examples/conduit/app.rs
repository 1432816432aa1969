//! The application: shared state, the router, the JSON/query/path extractors that answer the
//! spec's error bodies, and the request middleware (a deadline and a log line per request).

use crate::auth::Keys;
use crate::error::ApiError;
use crate::{articles, comments, users};
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use orm_core::Db;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What every handler shares: the database (a pool handle, cheap to clone) and the token keys.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The JWT keys.
    pub keys: Arc<Keys>,
}

/// How long one request may take. When it passes, the handler's future is dropped wherever it
/// is waiting: an open `Tx` is then dropped without commit, so the ORM rolls it back, and the
/// client gets a 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// `axum::Json`, with a 422 in the spec's error body when the body is not the expected JSON.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query`, with a 422 for a malformed query string (`limit=abc`).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path`, with a 422 for a malformed path parameter.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// The whole API under `/api`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/users", post(users::register))
        .route("/users/login", post(users::login))
        .route("/user", get(users::current).put(users::update))
        .route("/profiles/{username}", get(users::profile))
        .route("/profiles/{username}/follow", post(users::follow).delete(users::unfollow))
        .route("/articles", get(articles::list).post(articles::create))
        .route("/articles/feed", get(articles::feed))
        .route("/articles/{slug}", get(articles::get).put(articles::update).delete(articles::delete))
        .route("/articles/{slug}/favorite", post(articles::favorite).delete(articles::unfavorite))
        .route("/articles/{slug}/comments", get(comments::list).post(comments::add))
        .route("/articles/{slug}/comments/{id}", axum::routing::delete(comments::delete))
        .route("/tags", get(articles::tags));
    Router::new()
        .nest("/api", api)
        .fallback(|| async { ApiError::NotFound("no such endpoint") })
        .layer(middleware::from_fn(deadline_and_log))
        .with_state(state)
}

/// Runs the request under [`REQUEST_TIMEOUT`] and logs it (`RUST_LOG=conduit=debug`).
async fn deadline_and_log(req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let start = Instant::now();
    let response = match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!(%method, %path, "request timed out; its transaction, if any, was rolled back");
            (StatusCode::SERVICE_UNAVAILABLE, ApiError::Unprocessable("request timed out".into())).into_response()
        }
    };
    tracing::debug!(%method, %path, status = response.status().as_u16(), elapsed_us = start.elapsed().as_micros() as u64);
    response
}
