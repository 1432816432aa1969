//! What the API returns, and how a page of articles is loaded in one statement (its total
//! included), whatever its length.

use crate::models::{Article, ArticleTag, Favorite, Follow, Tag, User};
use chrono::{DateTime, Utc};
use orm_core::JoinSelect;
use orm_core::prelude::*;
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

/// One article as the API shows it, read in one statement by [`article_rows`]: the article, its
/// author's profile, and the three values the reference implementation computes in SQL (the
/// favorite count, whether the viewer favorited it, whether they follow its author).
#[derive(FromRow)]
pub struct ArticleRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
    pub favorites_count: i64,
    pub favorited: bool,
    pub following: bool,
    pub tag_list: Option<orm_core::Json<Vec<String>>>,
}

/// The articles of `Article::query()` filtered by `filter` and whose author matches `author`, as
/// `viewer` sees them: one statement, the articles joined with their authors, the favorite count a
/// correlated `COUNT` subquery and the two flags `EXISTS` subqueries (constant `false` for an
/// anonymous viewer; `following` constant `true` when the caller knows the viewer follows every
/// author, as the feed does).
pub fn article_rows(
    viewer: Option<i64>,
    filter: Cond<Article>,
    author: Cond<User>,
    follows_all: bool,
) -> JoinSelect<Article, (User, (Article, ())), ArticleRow> {
    let (favorited, following) = match viewer {
        Some(me) => {
            let following =
                if follows_all { Cond::always() } else { Follow::FOLLOWEE.any_where(Follow::FOLLOWER_ID.eq(me)) };
            (Favorite::ARTICLE.any_where(Favorite::USER_ID.eq(me)), following)
        }
        None => (Cond::never(), Cond::never()),
    };
    Article::query()
        .filter(filter)
        .join(Article::AUTHOR)
        .filter(author)
        .select_as::<ArticleRow>()
        // Both tables have an `id`: the article's.
        .annotate("id", Article::ID.to_expr())
        .annotate("favorites_count", Favorite::ARTICLE.count())
        .annotate("favorited", favorited.to_expr())
        .annotate("following", following.to_expr())
}

/// The views of `rows`, in their order, with their tags: from the articles' own `tag_list`, and
/// for the articles without one (written before the column existed) from `article_tags`, in one
/// statement for all of them; none when every article has its list.
pub async fn article_views(db: &Db, rows: Vec<ArticleRow>, with_body: bool) -> Result<Vec<ArticleView>> {
    let legacy: Vec<i64> = rows.iter().filter(|a| a.tag_list.is_none()).map(|a| a.id).collect();
    let tags: Vec<(i64, String)> = if legacy.is_empty() {
        Vec::new()
    } else {
        ArticleTag::query()
            .filter(ArticleTag::ARTICLE_ID.is_in(legacy))
            .join(ArticleTag::TAG)
            .select((ArticleTag::ARTICLE_ID, Tag::NAME))
            .all(db)
            .await?
    };
    let mut tags_of: HashMap<i64, Vec<String>> = HashMap::new();
    for (article, name) in tags {
        tags_of.entry(article).or_default().push(name);
    }
    let views = rows
        .into_iter()
        .map(|a| {
            let mut tag_list = match a.tag_list {
                Some(list) => list.0,
                None => tags_of.remove(&a.id).unwrap_or_default(),
            };
            tag_list.sort();
            ArticleView {
                favorited: a.favorited,
                favorites_count: a.favorites_count,
                author: ProfileView { username: a.username, bio: a.bio, image: a.image, following: a.following },
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
