//! Building the schema: the one place that knows how the tables come to be.
//!
//! The tables are made by this project's migrations: `migrations/` next to this file holds the
//! history that `orm_core::migrate::make` wrote from the models ([`models`]), embedded in the
//! binary at compile time by `orm_core::migrations!` and applied at startup (the pending ones
//! only, under the migrator's lock, so two instances starting together apply each once). A
//! change of the models is a new migration: `BLESS=add_something cargo test -p orm-tests
//! --example conduit conduit_models_and_migrations_agree` writes it (read it, then commit it);
//! without it that test fails.

#[cfg(test)]
use crate::models::{Article, ArticleTag, Comment, Favorite, Follow, Tag, User};
use orm_core::migrate::Migrator;
use orm_core::{Db, Result};

/// The folder of the migrations, relative to orm-tests' `Cargo.toml`.
#[cfg(test)]
pub const MIGRATIONS_DIR: &str = "examples/conduit/migrations";

/// The schema of Conduit's models: what the migrations must lead to (checked by the tests).
#[cfg(test)]
pub fn models() -> orm_core::migrate::Schema {
    orm_core::migrate::Schema::new()
        .model::<User>()
        .model::<Follow>()
        .model::<Article>()
        .model::<Tag>()
        .model::<ArticleTag>()
        .model::<Favorite>()
        .model::<Comment>()
}

/// The migrations, embedded at compile time (a broken history fails the build).
pub fn migrator() -> Result<Migrator> {
    orm_core::migrations!("examples/conduit/migrations")
}

/// Applies the migrations that `db` does not have yet.
pub async fn setup(db: &Db) -> Result<()> {
    migrator()?.run(db).await?;
    Ok(())
}
