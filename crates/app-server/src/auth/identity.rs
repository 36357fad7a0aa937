//! The verified identity behind a user token: SCIM `Me` called with the user's own token.

use std::time::{Duration, Instant, SystemTime};

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use databricks_client::{ApiError, Credentials, CurrentUser, Workspace};
use moka::Expiry;
use moka::future::Cache;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::context::AuthContext;
use super::jwt;
use crate::domain::UserId;
use crate::error::{AppError, ErrorCode};
use crate::services::upstream::{retry_after_or_default, upstream_error};
use crate::state::AppState;
use crate::telemetry;
use crate::telemetry::metrics::upstream::SCIM;

/// A user whose token the workspace accepted, with the token for calls on their behalf.
#[derive(Debug, Clone)]
pub struct UserIdentity {
    pub user_id: UserId,
    pub display_name: Option<String>,
    pub active: bool,
    pub workspace_id: Option<String>,
    pub token: SecretString,
}

/// Turns user tokens into verified identities, remembering recent answers.
///
/// The cache is keyed by the SHA-256 of the token, so the token itself is never stored. An entry
/// lives for the configured TTL, never past a JWT's own `exp`. Concurrent first requests with the
/// same token share one SCIM call, and failures are not cached.
#[derive(Debug, Clone)]
pub struct IdentityResolver {
    workspace: Workspace,
    cache: Option<Cache<TokenDigest, CachedIdentity>>,
    ttl: Duration,
}

/// SHA-256 of a token.
type TokenDigest = [u8; 32];

/// What the cache keeps of a verified identity: everything but the token.
#[derive(Debug, Clone)]
struct CachedIdentity {
    user_id: UserId,
    display_name: Option<String>,
    active: bool,
    workspace_id: Option<String>,
    /// How long this entry may be served: the TTL, cut short by the token's expiry.
    lifetime: Duration,
}

/// Identity cache settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityCacheOptions {
    /// How long a verified identity is reused; zero turns the cache off.
    pub ttl: Duration,
    /// The most identities kept at once.
    pub max_entries: u64,
}

impl IdentityResolver {
    pub fn new(workspace: Workspace, options: IdentityCacheOptions) -> Self {
        let cache = (!options.ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(options.max_entries)
                .expire_after(EntryLifetime)
                .build()
        });
        Self {
            workspace,
            cache,
            ttl: options.ttl,
        }
    }

    /// Verifies `token` with the workspace, or reuses a recent verification, and returns whose it
    /// is.
    ///
    /// A JWT whose `exp` has passed is rejected here without a workspace call.
    pub async fn resolve(&self, token: &SecretString) -> Result<UserIdentity, AppError> {
        telemetry::metrics::auth::observe_identity(self.verify(token)).await
    }

    async fn verify(&self, token: &SecretString) -> Result<UserIdentity, AppError> {
        let now = SystemTime::now();
        let expires_at = jwt::expiry(token.expose_secret());
        if expires_at.is_some_and(|exp| exp <= now) {
            return Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::AuthExpired,
                "User access token has expired; refresh the page to continue",
            ));
        }

        let Some(cache) = &self.cache else {
            let identity = self.look_up(token, Duration::ZERO).await?;
            return Ok(identity.with_token(token.clone()));
        };

        let lifetime = cache_lifetime(self.ttl, expires_at, now);
        let digest: TokenDigest = Sha256::digest(token.expose_secret().as_bytes()).into();
        let entry = cache
            .entry(digest)
            .or_try_insert_with(self.look_up(token, lifetime))
            .await;
        telemetry::metrics::auth::record_identity_cache(
            entry.as_ref().is_ok_and(|e| !e.is_fresh()),
        );
        let identity = entry.map_err(|error| (*error).clone())?.into_value();
        Ok(identity.with_token(token.clone()))
    }

    async fn look_up(
        &self,
        token: &SecretString,
        lifetime: Duration,
    ) -> Result<CachedIdentity, AppError> {
        let client = self.workspace.client(Credentials::UserToken(token.clone()));
        let user =
            telemetry::metrics::upstream::observe(SCIM, "current_user", client.current_user())
                .await
                .map_err(|error| identity_lookup_error(&error))?;
        verified_identity(user, lifetime)
    }
}

/// How long an identity may be cached: the TTL, but never past the token's own expiry.
fn cache_lifetime(ttl: Duration, token_expiry: Option<SystemTime>, now: SystemTime) -> Duration {
    let until_expiry = token_expiry.map(|exp| exp.duration_since(now).unwrap_or(Duration::ZERO));
    until_expiry.map_or(ttl, |remaining| ttl.min(remaining))
}

impl CachedIdentity {
    fn with_token(self, token: SecretString) -> UserIdentity {
        UserIdentity {
            user_id: self.user_id,
            display_name: self.display_name,
            active: self.active,
            workspace_id: self.workspace_id,
            token,
        }
    }
}

/// Expires each cache entry after its own lifetime.
struct EntryLifetime;

impl Expiry<TokenDigest, CachedIdentity> for EntryLifetime {
    fn expire_after_create(
        &self,
        _key: &TokenDigest,
        value: &CachedIdentity,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(value.lifetime)
    }
}

/// Checks that the workspace's answer names a usable, active principal.
fn verified_identity(user: CurrentUser, lifetime: Duration) -> Result<CachedIdentity, AppError> {
    let unusable = |reason: &str| {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AuthUserIdentityFailed,
            format!("Your identity could not be verified: {reason}"),
        )
    };

    let user_name = user.user_name.trim();
    if user_name.is_empty() {
        return Err(unusable("the workspace returned no userName"));
    }
    if !user.active {
        return Err(unusable("the user is deactivated in the workspace"));
    }
    if !is_email(user_name) && uuid::Uuid::parse_str(user_name).is_err() {
        return Err(unusable(
            "the userName is neither an email nor a service principal's application id",
        ));
    }

    Ok(CachedIdentity {
        user_id: UserId::verified(user_name),
        display_name: user.display_name,
        active: user.active,
        workspace_id: user.workspace_id,
        lifetime,
    })
}

/// A plain shape check: one `@` with text on both sides and a dot in the domain.
fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
}

/// Maps a failed SCIM `Me` call made with a user token to the API's authentication errors.
pub fn identity_lookup_error(error: &ApiError) -> AppError {
    tracing::warn!(
        upstream.status = error.status.map(|status| status.as_u16()),
        upstream.error_code = error.error_code.as_deref(),
        error = %error,
        "user identity lookup failed"
    );

    match error.status.map(|status| status.as_u16()) {
        Some(401 | 403) if error.message.to_ascii_lowercase().contains("expir") => AppError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AuthExpired,
            "User access token has expired; refresh the page to continue",
        ),
        Some(401 | 403) => AppError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::AuthInvalid,
            "The workspace rejected the access token",
        ),
        Some(429) => AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::AuthRateLimited,
            "The workspace is rate limiting identity lookups; wait and try again",
        )
        .with_retry_after(retry_after_or_default(error)),
        _ => upstream_error(error),
    }
}

impl FromRequestParts<AppState> for UserIdentity {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let AuthContext::UserToken(token) = AuthContext::from_request_parts(parts, state).await?
        else {
            return Err(AppError::auth_missing());
        };

        let identity = state.identities.resolve(&token).await?;
        state.record_user_seen(&identity).await;
        Ok(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_lifetime_stops_at_token_expiry() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let ttl = Duration::from_mins(1);

        assert_eq!(cache_lifetime(ttl, None, now), ttl);
        assert_eq!(
            cache_lifetime(ttl, Some(now + Duration::from_secs(5)), now),
            Duration::from_secs(5)
        );
        assert_eq!(
            cache_lifetime(ttl, Some(now + Duration::from_mins(10)), now),
            ttl
        );
        assert_eq!(
            cache_lifetime(ttl, Some(now - Duration::from_secs(1)), now),
            Duration::ZERO
        );
    }

    #[test]
    fn email_shapes() {
        for good in ["alice@example.com", "a.b+c@sub.example.org"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@localhost",
            "a@b@c.d",
            "a b@c.d",
            "alice@.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
