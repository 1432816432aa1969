//! Passwords (argon2) and tokens (JWT, HS256), and the extractors that read the
//! `Authorization: Token <jwt>` header.

use crate::app::AppState;
use crate::error::ApiError;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Argon2, Block, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::sync::{LazyLock, Mutex};
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

/// Password hashing with argon2id (the crate's default cost: 19 MiB of memory, 2 passes, the
/// OWASP recommendation), on blocking threads (tens of milliseconds of CPU that must not stall
/// the runtime's workers).
///
/// argon2's 19 MiB of working memory per hash is ours, not the argon2 crate's: left to
/// `Argon2::hash_password`, every hash allocates its own, and glibc's malloc, which moves its
/// mmap threshold up to the size of the first such block freed, serves the next ones from its heap,
/// where they fragment and are never returned: 50 registrations left the process at 820 MB
/// (docs/performance.md, "The Conduit web application under load"). Here at most one hash per
/// core runs at a time (more only queue for the same cores, each holding its 19 MiB), and each
/// runs in a buffer taken from a small stack and put back: at most that many buffers exist,
/// allocated once.
struct Hasher {
    /// One permit per hash that may run at once ([`hashes_at_once`]).
    permits: tokio::sync::Semaphore,
    /// Working memory, one buffer per running hash, kept for the next.
    buffers: Mutex<Vec<Vec<Block>>>,
    /// The size of the buffers kept (those of [`params`]): a larger one, for a stored hash of a
    /// higher cost, is freed after its hash.
    keep: usize,
}

/// One hash per core, at most 8.
fn hashes_at_once() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).min(8)
}

static HASHER: LazyLock<Hasher> = LazyLock::new(|| Hasher {
    permits: tokio::sync::Semaphore::new(hashes_at_once()),
    buffers: Mutex::new(Vec::new()),
    keep: params().block_count(),
});

/// The cost of new hashes.
fn params() -> Params {
    Params::default()
}

impl Hasher {
    /// Runs `f` on a blocking thread with a working buffer of at least `blocks` blocks.
    async fn run<T: Send + 'static>(
        &'static self,
        blocks: usize,
        f: impl FnOnce(&mut [Block]) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = self.permits.acquire().await.map_err(|e| ApiError::Internal(format!("hashing: {e}")))?;
        tokio::task::spawn_blocking(move || {
            // Held by the hash itself, which runs to its end even when the request is dropped.
            let _permit = permit;
            let mut buffer = self.buffers.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_default();
            if buffer.len() < blocks {
                buffer = vec![Block::default(); blocks];
            }
            let result = f(&mut buffer[..blocks]);
            if buffer.len() <= self.keep {
                self.buffers.lock().unwrap_or_else(|e| e.into_inner()).push(buffer);
            }
            result
        })
        .await
        .map_err(|e| ApiError::Internal(format!("hashing task: {e}")))?
    }
}

fn hash_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("hashing a password: {e}"))
}

/// Hashes a password with argon2id and a random salt: a PHC string (`$argon2id$v=19$...`).
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    let params = params();
    HASHER
        .run(params.block_count(), move |memory| {
            // 16 bytes from the OS's generator (a v4 UUID is 122 random bits).
            let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).map_err(hash_error)?;
            let mut salt_bytes = [0u8; 64];
            let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(hash_error)?;
            let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
            let (algorithm, version) = (argon2::Algorithm::Argon2id, Version::V0x13);
            Argon2::new(algorithm, version, params.clone())
                .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory)
                .map_err(hash_error)?;
            let phc = PasswordHash {
                algorithm: algorithm.ident(),
                version: Some(version.into()),
                params: ParamsString::try_from(&params).map_err(hash_error)?,
                salt: Some(salt.as_salt()),
                hash: Some(Output::new(&out).map_err(hash_error)?),
            };
            Ok(phc.to_string())
        })
        .await
}

/// Whether `password` matches the stored PHC string `hash` (whatever its argon2 variant and cost).
pub async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    fn stored(e: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(format!("stored hash: {e}"))
    }
    let params = Params::try_from(&PasswordHash::new(&hash).map_err(stored)?).map_err(stored)?;
    HASHER
        .run(params.block_count(), move |memory| {
            let parsed = PasswordHash::new(&hash).map_err(stored)?;
            let algorithm = argon2::Algorithm::try_from(parsed.algorithm).map_err(stored)?;
            let version = parsed.version.map(Version::try_from).transpose().map_err(stored)?.unwrap_or_default();
            let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
                return Err(ApiError::Internal("stored hash: no salt or no hash".into()));
            };
            let mut salt_bytes = [0u8; 64];
            let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(stored)?;
            let mut out = vec![0u8; expected.len()];
            Argon2::new(algorithm, version, params)
                .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory)
                .map_err(hash_error)?;
            // Output's equality is constant-time.
            Ok(Output::new(&out).map_err(hash_error)? == expected)
        })
        .await
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

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[tokio::test]
    async fn hashes_are_standard_phc_strings() {
        let ours = hash_password("correct horse".into()).await.unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{ours}");
        // The argon2 crate's own verifier accepts ours, ours accepts the crate's (of another cost
        // too), and a wrong password is refused by both.
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"wrong", &parsed).is_err());
        assert!(verify_password("correct horse".into(), ours.clone()).await.unwrap());
        assert!(!verify_password("wrong".into(), ours).await.unwrap());
        let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
        let cheap = Argon2::new(argon2::Algorithm::Argon2i, Version::V0x10, Params::new(1024, 1, 1, None).unwrap());
        let theirs = cheap.hash_password(b"pw", &salt).unwrap().to_string();
        assert!(verify_password("pw".into(), theirs.clone()).await.unwrap());
        assert!(!verify_password("pW".into(), theirs).await.unwrap());
        assert!(verify_password("pw".into(), "not a phc string".into()).await.is_err());
    }

    #[tokio::test]
    async fn concurrent_hashes_share_a_bounded_set_of_buffers() {
        let hashes: Vec<_> = (0..6).map(|i| tokio::spawn(hash_password(format!("pw{i}")))).collect();
        for h in hashes {
            h.await.unwrap().unwrap();
        }
        let kept = HASHER.buffers.lock().unwrap().len();
        assert!((1..=hashes_at_once()).contains(&kept), "{kept} buffers kept, {} permits", hashes_at_once());
    }
}
