//! Conduit, the RealWorld API (<https://realworld-docs.netlify.app>), on axum and this ORM.
//!
//! `cargo run -p orm-tests --example conduit` serves it on `127.0.0.1:3000` (`PORT` changes the
//! port) from the SQLite file `conduit.db`; `DATABASE_URL=postgres://...` or `mysql://...` runs
//! the same code on PostgreSQL or MariaDB. `JWT_SECRET` signs the tokens (a fixed development
//! secret when unset); `RUST_LOG=conduit=debug` logs every request, `RUST_LOG=conduit=debug,orm_core=debug`
//! also every statement and transaction (orm-core's `tracing` feature: its spans, with the SQL
//! text, never the values). A statement slower than 200 ms is a warning by default.
//!
//! Layout: `models` (the tables), `schema` (building them), `app` (state, router, middleware),
//! `auth` (argon2, JWT, the extractors), `error` (the spec's error bodies), `views` (the JSON,
//! and loading a page of articles in a fixed number of statements), and one module per resource.

mod app;
mod articles;
mod auth;
mod comments;
mod error;
mod models;
mod schema;
mod users;
mod views;

#[cfg(test)]
mod tests;

use app::AppState;
use orm_core::{Db, DbOptions};
use std::sync::Arc;

const DEV_SECRET: &str = "conduit-development-secret-do-not-use-in-production";

/// Connects to `url` and applies the migrations (`schema::setup`).
pub async fn open(url: &str) -> orm_core::Result<Db> {
    let options = DbOptions {
        max_connections: 16,
        slow_statement_threshold: Some(std::time::Duration::from_millis(200)),
        ..DbOptions::default()
    };
    let db = Db::connect_with(url, options).await?;
    schema::setup(&db).await?;
    Ok(db)
}

/// The application state for `db`, signing tokens with `secret`.
pub fn state(db: Db, secret: &[u8]) -> AppState {
    AppState { db, keys: Arc::new(auth::Keys::new(secret)) }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "conduit=info,orm_core=warn".into()),
        )
        .init();
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://conduit.db".to_owned());
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(|e| format!("PORT={p}: {e}"))?,
        Err(_) => 3000,
    };
    let secret = std::env::var("JWT_SECRET").unwrap_or_else(|_| {
        tracing::warn!("JWT_SECRET is not set: signing tokens with a development secret");
        DEV_SECRET.to_owned()
    });
    let db = open(&url).await?;
    tracing::info!(backend = db.backend().name(), "database ready");
    let app = app::router(state(db.clone(), secret.as_bytes()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    db.close().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, for a graceful shutdown (requests in flight finish).
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
