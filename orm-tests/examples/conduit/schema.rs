//! Building the schema: the one place that knows how the tables come to be.
//!
//! Today this is the ORM's `create_table` (idempotent: `CREATE TABLE IF NOT EXISTS`), parents
//! before children. When the migrations module lands, this function becomes "apply the
//! migrations in `migrations/`" and nothing else changes.

use crate::models::{Article, ArticleTag, Comment, Favorite, Follow, Tag, User};
use orm_core::{Db, Model, Result};

/// Creates every table Conduit needs (a no-op for tables that exist).
pub async fn setup(db: &Db) -> Result<()> {
    User::create_table(db).await?;
    Follow::create_table(db).await?;
    Article::create_table(db).await?;
    Tag::create_table(db).await?;
    ArticleTag::create_table(db).await?;
    Favorite::create_table(db).await?;
    Comment::create_table(db).await?;
    Ok(())
}
