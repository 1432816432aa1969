//! The tables of Conduit, as models. `schema::setup` creates them.

use chrono::{DateTime, Utc};
use orm_core::{Json, Model};

/// A registered user. `username` and `email` are UNIQUE: a duplicate is detected by the database
/// (`Error::UniqueViolation`), never by a lookup before the insert.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "users")]
pub struct User {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique)]
    pub username: String,
    #[orm(unique)]
    pub email: String,
    /// An argon2 PHC string (`$argon2id$v=19$...`), never the password.
    pub password_hash: String,
    pub bio: Option<String>,
    pub image: Option<String>,
}

/// `follower` follows `followee`: two keys to the same model, so the relations are named by
/// their constants (`Follow::FOLLOWER`, `Follow::FOLLOWEE`).
#[derive(Model, Debug, Clone, PartialEq, Default)]
#[orm(table = "follows", primary_key(follower_id, followee_id))]
pub struct Follow {
    #[orm(belongs_to = User, on_delete = "cascade")]
    pub follower_id: i64,
    #[orm(belongs_to = User, on_delete = "cascade")]
    pub followee_id: i64,
}

/// An article; deleting it deletes its comments, favorites and tag links (`ON DELETE CASCADE`).
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "articles")]
pub struct Article {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique)]
    pub slug: String,
    pub title: String,
    pub description: String,
    pub body: String,
    #[orm(belongs_to = User, on_delete = "cascade")]
    pub author_id: i64,
    #[orm(index)]
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The names of its tags, sorted: a copy of what `article_tags` links, written with the article
    /// (the API never changes an article's tags), so that reading an article needs no second
    /// statement. `article_tags` stays the source of the tag filter and of `GET /api/tags`. `None`
    /// for an article written before the column existed: its tags are read from `article_tags`.
    pub tag_list: Option<Json<Vec<String>>>,
}

/// A tag name, shared by the articles that carry it.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "tags")]
pub struct Tag {
    #[orm(primary_key)]
    pub id: i64,
    #[orm(unique)]
    pub name: String,
}

/// The join model of articles and tags.
#[derive(Model, Debug, Clone, PartialEq, Default)]
#[orm(table = "article_tags", primary_key(article_id, tag_id))]
pub struct ArticleTag {
    #[orm(belongs_to = Article, on_delete = "cascade")]
    pub article_id: i64,
    #[orm(belongs_to = Tag, on_delete = "cascade")]
    pub tag_id: i64,
}

/// `user` favorited `article`; the pair is the key, so favoriting twice is a unique violation.
#[derive(Model, Debug, Clone, PartialEq, Default)]
#[orm(table = "favorites", primary_key(user_id, article_id))]
pub struct Favorite {
    #[orm(belongs_to = User, on_delete = "cascade")]
    pub user_id: i64,
    #[orm(belongs_to = Article, on_delete = "cascade")]
    pub article_id: i64,
}

/// A comment on an article.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "comments")]
pub struct Comment {
    #[orm(primary_key)]
    pub id: i64,
    pub body: String,
    #[orm(belongs_to = Article, on_delete = "cascade")]
    pub article_id: i64,
    #[orm(belongs_to = User, on_delete = "cascade")]
    pub author_id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
