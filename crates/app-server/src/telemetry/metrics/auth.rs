//! Authentication metrics: time spent authenticating, service-principal fallbacks, identity cache
//! hits and misses, and active users.

use std::fmt::Write as _;
use std::future::Future;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use moka::future::Cache;
use sha2::{Digest, Sha256};

use super::{
    ACTIVE_USERS, AUTH_FALLBACK_TOTAL, AUTH_OVERHEAD_SECONDS, IDENTITY_CACHE_HITS_TOTAL,
    IDENTITY_CACHE_MISSES_TOTAL,
};
use crate::auth::{AuthMode, UserIdentity};
use crate::domain::UserId;
use crate::error::AppError;

/// How long a verified user counts as active.
pub const ACTIVE_USER_WINDOW: Duration = Duration::from_mins(5);

/// The most users counted as active at once. Beyond it the gauge stays near this number, so the
/// memory of the count stays bounded (about 100 bytes per user).
pub const MAX_ACTIVE_USERS: u64 = 100_000;

/// Hex digits of the user id's SHA-256 kept in logs: 48 bits, enough to tell users apart in one
/// app's logs.
const USER_ID_HASH_HEX_DIGITS: usize = 12;

/// The `reason` label of a fallback made because the request carried no user token.
pub const NO_USER_TOKEN: &str = "no_user_token";

/// SHA-256 digests of the ids of users verified in the last [`ACTIVE_USER_WINDOW`]: a user's
/// entry lives that long after their latest request. The ids themselves are not kept.
static ACTIVE_USERS_SEEN: LazyLock<Cache<[u8; 32], ()>> = LazyLock::new(|| {
    Cache::builder()
        .max_capacity(MAX_ACTIVE_USERS)
        .time_to_idle(ACTIVE_USER_WINDOW)
        .build()
});

/// Runs an identity resolution and records its time as `obo` authentication overhead. A verified
/// user counts as active, and the short hash of their id goes on the current span as
/// `user.id_hash`, so the request's log lines carry it.
pub async fn observe_identity<F>(resolution: F) -> Result<UserIdentity, AppError>
where
    F: Future<Output = Result<UserIdentity, AppError>>,
{
    let started = Instant::now();
    let result = resolution.await;
    record_auth_overhead(AuthMode::Obo, started.elapsed());

    if let Ok(identity) = &result {
        tracing::Span::current().record("user.id_hash", user_id_hash(&identity.user_id));
        record_active_user(&identity.user_id).await;
    }
    result
}

/// Runs the choice of credentials for a workspace call, records its time as authentication
/// overhead of the chosen mode, and counts a fallback to the service principal.
///
/// NOTE: the service principal's OAuth token is fetched (about once an hour) inside the first
/// workspace call that needs it, so that time counts in `upstream_api_duration_seconds`, not here.
pub fn observe_credential_choice<T>(
    choose: impl FnOnce() -> Result<(T, AuthMode), AppError>,
) -> Result<(T, AuthMode), AppError> {
    let started = Instant::now();
    let result = choose();
    if let Ok((_, mode)) = &result {
        record_auth_overhead(*mode, started.elapsed());
        if *mode == AuthMode::ServicePrincipal {
            metrics::counter!(AUTH_FALLBACK_TOTAL, "reason" => NO_USER_TOKEN).increment(1);
        }
    }
    result
}

/// Records time spent authenticating one request.
pub fn record_auth_overhead(mode: AuthMode, elapsed: Duration) {
    metrics::histogram!(AUTH_OVERHEAD_SECONDS, "mode" => mode.as_str()).record(elapsed);
}

/// Counts one identity cache lookup: a hit, or a miss that called the workspace.
pub fn record_identity_cache(hit: bool) {
    let name = if hit {
        IDENTITY_CACHE_HITS_TOTAL
    } else {
        IDENTITY_CACHE_MISSES_TOTAL
    };
    metrics::counter!(name).increment(1);
}

/// Counts the user as active for the next [`ACTIVE_USER_WINDOW`].
pub async fn record_active_user(user_id: &UserId) {
    let digest: [u8; 32] = Sha256::digest(user_id.as_str().as_bytes()).into();
    // A read refreshes the idle timer, and costs less than the insert, which a new user needs.
    if ACTIVE_USERS_SEEN.get(&digest).await.is_none() {
        ACTIVE_USERS_SEEN.insert(digest, ()).await;
    }
}

/// Sets the `active_users` gauge to the number of users verified in the last
/// [`ACTIVE_USER_WINDOW`], after dropping expired entries.
pub async fn update_active_users_gauge() {
    ACTIVE_USERS_SEEN.run_pending_tasks().await;
    #[expect(
        clippy::cast_precision_loss,
        reason = "the count is at most MAX_ACTIVE_USERS, exact in an f64"
    )]
    let count = ACTIVE_USERS_SEEN.entry_count() as f64;
    metrics::gauge!(ACTIVE_USERS).set(count);
}

/// Returns the first 12 hex digits of the SHA-256 of the user id, the most of a user's identity
/// that logs carry.
pub fn user_id_hash(user_id: &UserId) -> String {
    let digest = Sha256::digest(user_id.as_str().as_bytes());
    let mut hex = String::with_capacity(USER_ID_HASH_HEX_DIGITS);
    for byte in digest.iter().take(USER_ID_HASH_HEX_DIGITS / 2) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_hash_is_twelve_hex_digits_of_sha256() {
        let user_id = UserId::verified("alice@example.com");
        let full = format!("{:x}", Sha256::digest(b"alice@example.com"));

        let hash = user_id_hash(&user_id);

        assert_eq!(hash.len(), 12);
        assert_eq!(hash, full[..12]);
        assert!(!hash.contains("alice"));
    }

    #[test]
    fn user_id_hashes_differ_between_users() {
        let alice = user_id_hash(&UserId::verified("alice@example.com"));
        let bob = user_id_hash(&UserId::verified("bob@example.com"));
        assert_ne!(alice, bob);
    }
}
