//! What the API returns, and how a page of articles is loaded without N+1 queries.

use crate::models::{Article, ArticleTag, Favorite, Follow, User};
use chrono::{DateTime, Utc};
use orm_core::prelude::*;
use orm_core::{ManyToMany, count};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// A timestamp as the spec wants it: ISO 8601, UTC, with milliseconds (`2026-12-01T21:00:00.123Z`).
///
/// Written field by field: `format("%Y-%m-%dT...")` parses its pattern again at every call, and
/// a page of articles has 40 timestamps.
pub fn timestamp(t: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let mut s = String::with_capacity(24);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        // A leap second (nanoseconds past 10^9) is second 60, as chrono's `%S%.3f` says.
        t.second() + t.nanosecond() / 1_000_000_000,
        t.nanosecond() % 1_000_000_000 / 1_000_000
    );
    s
}

/// Now, truncated to the microseconds every backend stores, so what a write returns is what a
/// later read returns.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// `{"user": ...}`: the signed-in user.
#[derive(Serialize)]
pub struct UserView {
    pub email: String,
    pub token: String,
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
}

impl UserView {
    /// The view of `user` holding `token`.
    pub fn new(user: User, token: String) -> UserView {
        UserView { email: user.email, token, username: user.username, bio: user.bio, image: user.image }
    }
}

/// A profile: another user as the viewer sees them.
#[derive(Serialize, Clone)]
pub struct ProfileView {
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
    pub following: bool,
}

impl ProfileView {
    /// The profile of `user`; `following` says whether the viewer follows them.
    pub fn new(user: &User, following: bool) -> ProfileView {
        ProfileView { username: user.username.clone(), bio: user.bio.clone(), image: user.image.clone(), following }
    }
}

/// An article. `body` is left out of listings (the spec's list items have none).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticleView {
    pub slug: String,
    pub title: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub tag_list: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub favorited: bool,
    pub favorites_count: i64,
    pub author: ProfileView,
}

/// Which of `users` the viewer follows: one statement (none without a viewer or users).
pub async fn followed_among(db: &Db, viewer: Option<i64>, users: &[i64]) -> Result<HashSet<i64>> {
    let Some(me) = viewer else { return Ok(HashSet::new()) };
    if users.is_empty() {
        return Ok(HashSet::new());
    }
    let ids = Follow::query()
        .filter(Follow::FOLLOWER_ID.eq(me) & Follow::FOLLOWEE_ID.is_in(users.iter().copied()))
        .select(Follow::FOLLOWEE_ID)
        .all(db)
        .await?;
    Ok(ids.into_iter().collect())
}

/// What the caller of [`article_views`] already knows about the viewer, so that it is not asked
/// again: the feed knows that its reader follows every author in it, a favorite toggle whether
/// its reader now favorites the article.
#[derive(Default)]
pub struct Known {
    /// The authors the viewer follows (among those of the articles, at least).
    pub following: Option<HashSet<i64>>,
    /// The articles the viewer favorites (among those viewed, at least).
    pub favorited: Option<HashSet<i64>>,
}

/// The views of `articles`, in their order, as `viewer` (a user id, or `None` for an anonymous
/// request) sees them.
///
/// A fixed number of statements whatever the number of articles: their authors, their tags,
/// their favorite counts (one query each), and for a signed-in viewer which of the articles they
/// favorited and which of the authors they follow (one each, unless `known` says): 3 to 5, none
/// for an empty page.
pub async fn article_views(
    db: &Db,
    viewer: Option<i64>,
    articles: Vec<Article>,
    with_body: bool,
    known: Known,
) -> Result<Vec<ArticleView>> {
    if articles.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = articles.iter().map(|a| a.id).collect();
    let tags_of = ManyToMany::new(ArticleTag::ARTICLE, ArticleTag::TAG);
    let favorites_count = Favorite::query()
        .filter(Favorite::ARTICLE_ID.is_in(ids.iter().copied()))
        .select((Favorite::ARTICLE_ID, count()))
        .group_by(Favorite::ARTICLE_ID);
    // One after the other, on the connection the previous statement has just left (the ORM's pool
    // hands the most recently used one to the next statement). Sent concurrently, on connections
    // of their own, they answer a lone request sooner, but under load each request then holds
    // up to five connections at once and every statement pays a wakeup and a pool round:
    // measured, more CPU per request and fewer requests/s (docs/performance.md, "The Conduit web
    // application under load").
    let authors = Article::AUTHOR.load(db, &articles).await?;
    let tags = tags_of.load(db, &articles).await?;
    let counts = favorites_count.all(db).await?;
    let favorited: HashSet<i64> = match (viewer, known.favorited) {
        (None, _) => HashSet::new(),
        (Some(_), Some(known)) => known,
        (Some(me), None) => Favorite::query()
            .filter(Favorite::USER_ID.eq(me) & Favorite::ARTICLE_ID.is_in(ids.iter().copied()))
            .select(Favorite::ARTICLE_ID)
            .all(db)
            .await?
            .into_iter()
            .collect(),
    };
    let following = match (viewer, known.following) {
        (None, _) => HashSet::new(),
        (Some(_), Some(known)) => known,
        (Some(_), None) => {
            let mut author_ids: Vec<i64> = articles.iter().map(|a| a.author_id).collect();
            author_ids.sort_unstable();
            author_ids.dedup();
            followed_among(db, viewer, &author_ids).await?
        }
    };
    let counts: HashMap<i64, i64> = counts.into_iter().collect();

    let views = articles
        .into_iter()
        .zip(authors)
        .zip(tags)
        .map(|((a, author), tags)| {
            let mut tag_list: Vec<String> = tags.into_iter().map(|t| t.name).collect();
            tag_list.sort();
            ArticleView {
                favorited: favorited.contains(&a.id),
                favorites_count: counts.get(&a.id).copied().unwrap_or(0),
                author: ProfileView::new(&author, following.contains(&author.id)),
                created_at: timestamp(&a.created_at),
                updated_at: timestamp(&a.updated_at),
                body: with_body.then_some(a.body),
                slug: a.slug,
                title: a.title,
                description: a.description,
                tag_list,
            }
        })
        .collect();
    Ok(views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601_with_milliseconds() {
        let at = |micros: i64| DateTime::from_timestamp_micros(micros).unwrap();
        for t in [at(0), at(1_764_622_800_123_456), at(-86_400_000_001), at(253_402_300_799_999_999)] {
            assert_eq!(timestamp(&t), t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        }
        assert_eq!(timestamp(&at(1_764_622_800_123_456)), "2025-12-01T21:00:00.123Z");
    }
}
