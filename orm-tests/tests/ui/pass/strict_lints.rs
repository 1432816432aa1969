//! A crate with `#![deny(missing_docs)]` and other strict lints can derive on a public struct:
//! the generated column constants are documented, and the generated code triggers no lint.
#![deny(
    missing_docs,
    warnings,
    unsafe_code,
    unused_qualifications,
    unused_results,
    unreachable_pub,
    rust_2018_idioms,
    trivial_casts,
    trivial_numeric_casts,
    single_use_lifetimes,
    non_ascii_idents
)]

use orm_core::prelude::*;

/// A user.
#[derive(Model, Debug)]
#[orm(table = "users", rename_all = "PascalCase")]
pub struct User {
    /// The key.
    #[orm(primary_key)]
    pub id: i64,
    /// The name.
    #[orm(unique, max_length = 80)]
    pub name: String,
    /// The team.
    #[orm(belongs_to = Team, on_delete = "set null")]
    pub team_id: Option<i32>,
    /// Not stored.
    #[orm(skip)]
    pub scratch: Vec<String>,
    pub(crate) secret: String,
}

/// A team.
#[derive(Model, Debug)]
pub struct Team {
    /// The key.
    #[orm(primary_key)]
    pub id: Option<i32>,
}

/// A membership, with a composite key of two foreign keys.
#[derive(Model, Debug)]
#[orm(primary_key(user_id, team_id))]
pub struct Membership {
    /// The user.
    #[orm(belongs_to = User, on_delete = "cascade")]
    pub user_id: i64,
    /// The team.
    #[orm(belongs_to = Team)]
    pub team_id: i32,
}

fn main() {
    let q = User::query()
        .filter(User::NAME.like("A%").or(User::TEAM_ID.is_null()))
        .filter(User::SECRET.ne("s"))
        .order_by(User::ID.desc());
    let _q = q.limit(1);
    let _t = Team::query().filter(Team::ID.eq(3));
    let _r = User::query().filter(User::TEAM.has(Team::ID.eq(3)));
    let _m = Membership::query().filter(Membership::USER.has(User::NAME.eq("a")));
    let _n = Team::query().filter(Membership::TEAM.any_where(Membership::USER_ID.eq(1)));
}
