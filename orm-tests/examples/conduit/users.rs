//! Users (register, login, current user, update) and profiles (get, follow, unfollow).

use crate::app::{AppState, Json, Path};
use crate::auth::{self, AuthUser, MaybeUser};
use crate::error::{ApiError, ApiResult};
use crate::models::{Follow, User};
use crate::views::{ProfileView, UserView, followed_among};
use axum::extract::State;
use axum::http::StatusCode;
use orm_core::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Deserialize)]
pub struct UserBody<T> {
    user: T,
}

#[derive(Serialize)]
pub struct UserResponse {
    user: UserView,
}

#[derive(Serialize)]
pub struct ProfileResponse {
    profile: ProfileView,
}

#[derive(Deserialize)]
pub struct NewUser {
    username: String,
    email: String,
    password: String,
}

#[derive(Deserialize)]
pub struct LoginUser {
    email: String,
    password: String,
}

/// A field that may be absent (leave it), `null` (clear it) or a value (set it).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Deserialize)]
pub struct UpdateUser {
    email: Option<String>,
    username: Option<String>,
    password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    bio: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    image: Option<Option<String>>,
}

fn required(field: &str, value: &str) -> ApiResult<()> {
    if value.trim().is_empty() {
        return Err(ApiError::Unprocessable(format!("{field} can't be blank")));
    }
    Ok(())
}

/// `POST /api/users`: 201 with the new user. A taken username or email is the database's
/// UNIQUE constraint speaking (422), so two registrations racing for one name cannot both win.
pub async fn register(
    State(s): State<AppState>,
    Json(body): Json<UserBody<NewUser>>,
) -> ApiResult<(StatusCode, Json<UserResponse>)> {
    let NewUser { username, email, password } = body.user;
    required("username", &username)?;
    required("email", &email)?;
    required("password", &password)?;
    let password_hash = auth::hash_password(password).await?;
    let mut user = User { id: 0, username, email, password_hash, bio: None, image: None };
    user.insert(&s.db).await?;
    let token = auth::token_for(&s.keys, user.id)?;
    Ok((StatusCode::CREATED, Json(UserResponse { user: UserView::new(user, token) })))
}

/// `POST /api/users/login`: 401 for an unknown email or a wrong password (the same answer, so
/// it does not tell which emails are registered).
pub async fn login(State(s): State<AppState>, Json(body): Json<UserBody<LoginUser>>) -> ApiResult<Json<UserResponse>> {
    let LoginUser { email, password } = body.user;
    required("email", &email)?;
    required("password", &password)?;
    let user = User::query().filter(User::EMAIL.eq(email)).first(&s.db).await?;
    let Some(user) = user else {
        return Err(ApiError::Unauthorized("email or password is invalid"));
    };
    if !auth::verify_password(password, user.password_hash.clone()).await? {
        return Err(ApiError::Unauthorized("email or password is invalid"));
    }
    let token = auth::token_for(&s.keys, user.id)?;
    Ok(Json(UserResponse { user: UserView::new(user, token) }))
}

async fn signed_in(db: &Db, me: &AuthUser) -> ApiResult<User> {
    // A valid token of a user who no longer exists.
    User::find(db, me.id).await?.ok_or(ApiError::Unauthorized("the token's user does not exist"))
}

/// `GET /api/user`.
pub async fn current(State(s): State<AppState>, me: AuthUser) -> ApiResult<Json<UserResponse>> {
    let user = signed_in(&s.db, &me).await?;
    Ok(Json(UserResponse { user: UserView::new(user, me.token) }))
}

/// `PUT /api/user`: changes the fields given; a new password is hashed again.
pub async fn update(
    State(s): State<AppState>,
    me: AuthUser,
    Json(body): Json<UserBody<UpdateUser>>,
) -> ApiResult<Json<UserResponse>> {
    let change = body.user;
    let mut user = signed_in(&s.db, &me).await?;
    if let Some(email) = change.email {
        required("email", &email)?;
        user.email = email;
    }
    if let Some(username) = change.username {
        required("username", &username)?;
        user.username = username;
    }
    if let Some(password) = change.password {
        required("password", &password)?;
        user.password_hash = auth::hash_password(password).await?;
    }
    if let Some(bio) = change.bio {
        user.bio = bio;
    }
    if let Some(image) = change.image {
        user.image = image;
    }
    user.update(&s.db).await?;
    Ok(Json(UserResponse { user: UserView::new(user, me.token) }))
}

async fn user_named(db: &Db, username: String) -> ApiResult<User> {
    User::query().filter(User::USERNAME.eq(username)).first(db).await?.ok_or(ApiError::NotFound("profile not found"))
}

/// `GET /api/profiles/{username}` (auth optional).
pub async fn profile(
    State(s): State<AppState>,
    viewer: MaybeUser,
    Path(username): Path<String>,
) -> ApiResult<Json<ProfileResponse>> {
    let user = user_named(&s.db, username).await?;
    let following = followed_among(&s.db, viewer.id(), &[user.id]).await?.contains(&user.id);
    Ok(Json(ProfileResponse { profile: ProfileView::new(&user, following) }))
}

/// `POST /api/profiles/{username}/follow`: following twice is not an error.
pub async fn follow(
    State(s): State<AppState>,
    me: AuthUser,
    Path(username): Path<String>,
) -> ApiResult<Json<ProfileResponse>> {
    let user = user_named(&s.db, username).await?;
    if user.id == me.id {
        return Err(ApiError::Unprocessable("you cannot follow yourself".into()));
    }
    match (Follow { follower_id: me.id, followee_id: user.id }).insert(&s.db).await {
        Ok(()) | Err(orm_core::Error::UniqueViolation(_)) => {}
        // The follower's row is gone (a token outliving its user).
        Err(orm_core::Error::ForeignKeyViolation(_)) => {
            return Err(ApiError::Unauthorized("the token's user does not exist"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Json(ProfileResponse { profile: ProfileView::new(&user, true) }))
}

/// `DELETE /api/profiles/{username}/follow`: unfollowing someone not followed is not an error.
pub async fn unfollow(
    State(s): State<AppState>,
    me: AuthUser,
    Path(username): Path<String>,
) -> ApiResult<Json<ProfileResponse>> {
    let user = user_named(&s.db, username).await?;
    Follow::query().filter(Follow::FOLLOWER_ID.eq(me.id) & Follow::FOLLOWEE_ID.eq(user.id)).delete(&s.db).await?;
    Ok(Json(ProfileResponse { profile: ProfileView::new(&user, false) }))
}
