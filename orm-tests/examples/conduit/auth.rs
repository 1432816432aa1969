//! Passwords (argon2) and tokens (JWT, HS256), and the extractors that read the
//! `Authorization: Token <jwt>` header.

use crate::app::AppState;
use crate::error::ApiError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// How long a token is valid.
const TOKEN_LIFETIME_SECS: u64 = 14 * 24 * 3600;

/// The signing keys, made once from the secret.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    /// Keys for the HMAC secret `secret`.
    pub fn new(secret: &[u8]) -> Keys {
        Keys { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user's id.
    sub: i64,
    /// Expiry, seconds since the epoch.
    exp: u64,
}

/// A signed token for the user `user_id`.
pub fn token_for(keys: &Keys, user_id: i64) -> Result<String, ApiError> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let claims = Claims { sub: user_id, exp: now + TOKEN_LIFETIME_SECS };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding)
        .map_err(|e| ApiError::Internal(format!("signing a token: {e}")))
}

fn verify(keys: &Keys, token: &str) -> Result<i64, ApiError> {
    let validation = Validation::new(Algorithm::HS256);
    jsonwebtoken::decode::<Claims>(token, &keys.decoding, &validation)
        .map(|t| t.claims.sub)
        .map_err(|_| ApiError::Unauthorized("invalid or expired token"))
}

/// Hashes a password with argon2id and a random salt, on a blocking thread (tens of
/// milliseconds of CPU that must not stall the runtime's workers).
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        // 16 bytes from the OS's generator (a v4 UUID is 122 random bits).
        let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())?;
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| ApiError::Internal(format!("hashing task: {e}")))?
    .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches the stored PHC string `hash`.
pub async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| ApiError::Internal(format!("stored hash: {e}")))?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|e| ApiError::Internal(format!("hashing task: {e}")))?
}

/// The token of the request, if it has an `Authorization` header: `Token <jwt>` as the spec
/// says (`Bearer <jwt>` is accepted too). A header of another form is a 401.
fn token_of(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ApiError::Unauthorized("malformed Authorization header"))?;
    let token = value
        .strip_prefix("Token ")
        .or_else(|| value.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized("the Authorization header must be `Token <jwt>`"))?;
    Ok(Some(token.trim()))
}

/// The signed-in user, required: a request without a valid token is a 401.
pub struct AuthUser {
    /// The user's id (from the token).
    pub id: i64,
    /// The token itself, echoed in user responses.
    pub token: String,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = token_of(parts)?.ok_or(ApiError::Unauthorized("missing Authorization header"))?;
        let id = verify(&state.keys, token)?;
        Ok(AuthUser { id, token: token.to_owned() })
    }
}

/// The signed-in user where auth is optional: `None` without a header; a header with a bad
/// token is still a 401 (a client that sends one wants to know).
pub struct MaybeUser(pub Option<AuthUser>);

impl MaybeUser {
    /// The user's id, if signed in.
    pub fn id(&self) -> Option<i64> {
        self.0.as_ref().map(|u| u.id)
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match token_of(parts)? {
            None => Ok(MaybeUser(None)),
            Some(token) => {
                let id = verify(&state.keys, token)?;
                Ok(MaybeUser(Some(AuthUser { id, token: token.to_owned() })))
            }
        }
    }
}
