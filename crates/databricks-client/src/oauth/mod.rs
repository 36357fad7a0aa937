//! OAuth machine-to-machine token source for a service principal.
//!
//! The token is cached. From the moment it turns stale (see [`RefreshPolicy`]) callers still get
//! it while one background task fetches the next. Once it counts as expired, callers wait for a
//! refresh. Only one refresh runs at a time, and callers that waited for it share its token.

mod discovery;
#[cfg(test)]
mod tests;
mod token;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::header::ACCEPT;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;
use url::Url;

use crate::error::{ApiError, ErrorKind};
use crate::transport;
use crate::workspace::Workspace;

use discovery::discover_token_endpoint;
pub(crate) use token::RefreshPolicy;
use token::{AccessToken, Freshness, parse_token_response};

/// Fetches and caches access tokens for one service principal.
pub(crate) struct TokenSource {
    workspace: Workspace,
    client_id: String,
    client_secret: SecretString,
    policy: RefreshPolicy,
    cache: Mutex<TokenCache>,
    /// The refresh lock, held for the whole of a refresh. It guards the discovered token endpoint.
    refresh: tokio::sync::Mutex<Option<Url>>,
}

#[derive(Default)]
struct TokenCache {
    token: Option<AccessToken>,
    /// Incremented on every stored token, so that a waiting caller can tell a refresh happened.
    generation: u64,
    background: BackgroundRefresh,
}

#[derive(Debug, Default, Clone, Copy)]
enum BackgroundRefresh {
    #[default]
    Idle,
    Running,
    FailedAt(Instant),
}

impl TokenSource {
    pub(crate) fn new(
        workspace: Workspace,
        client_id: String,
        client_secret: SecretString,
    ) -> Self {
        Self::with_policy(
            workspace,
            client_id,
            client_secret,
            RefreshPolicy::default(),
        )
    }

    pub(crate) fn with_policy(
        workspace: Workspace,
        client_id: String,
        client_secret: SecretString,
        policy: RefreshPolicy,
    ) -> Self {
        TokenSource {
            workspace,
            client_id,
            client_secret,
            policy,
            cache: Mutex::new(TokenCache::default()),
            refresh: tokio::sync::Mutex::new(None),
        }
    }

    /// Returns a usable access token, refreshing it when needed.
    pub(crate) async fn token(self: &Arc<Self>) -> Result<SecretString, ApiError> {
        let seen_generation = {
            let mut cache = self.lock_cache();
            let now = Instant::now();
            if let Some(token) = &cache.token {
                match token.freshness(now) {
                    Freshness::Fresh => return Ok(token.value()),
                    Freshness::Stale => {
                        let value = token.value();
                        self.start_background_refresh(&mut cache, now);
                        return Ok(value);
                    }
                    Freshness::Expired => {}
                }
            }
            cache.generation
        };
        self.refresh_now(seen_generation).await
    }

    /// Refreshes unless another caller stored a token since `seen_generation`, and returns the
    /// current token.
    async fn refresh_now(&self, seen_generation: u64) -> Result<SecretString, ApiError> {
        let mut token_endpoint = self.refresh.lock().await;
        {
            let cache = self.lock_cache();
            if cache.generation != seen_generation
                && let Some(token) = cache
                    .token
                    .as_ref()
                    .filter(|token| token.is_unexpired(Instant::now()))
            {
                return Ok(token.value());
            }
        }

        let token = self.fetch(&mut token_endpoint).await?;
        let value = token.value();
        self.store(token);
        Ok(value)
    }

    fn start_background_refresh(self: &Arc<Self>, cache: &mut TokenCache, now: Instant) {
        let due = match cache.background {
            BackgroundRefresh::Idle => true,
            BackgroundRefresh::Running => false,
            BackgroundRefresh::FailedAt(failed_at) => {
                now >= failed_at + self.policy.background_retry_delay
            }
        };
        // Outside a Tokio runtime there is nothing to run the task on, but the blocking refresh
        // at expiry still happens.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if due {
            cache.background = BackgroundRefresh::Running;
            runtime.spawn(Arc::clone(self).refresh_in_background());
        }
    }

    async fn refresh_in_background(self: Arc<Self>) {
        let mut token_endpoint = self.refresh.lock().await;
        let still_needed = self
            .lock_cache()
            .token
            .as_ref()
            .is_none_or(|token| token.freshness(Instant::now()) != Freshness::Fresh);
        let outcome = if still_needed {
            self.fetch(&mut token_endpoint)
                .await
                .map(|token| self.store(token))
        } else {
            Ok(())
        };

        let mut cache = self.lock_cache();
        match outcome {
            Ok(()) => cache.background = BackgroundRefresh::Idle,
            Err(error) => {
                tracing::warn!(
                    client_id = %self.client_id,
                    error = %error,
                    retry_in_seconds = self.policy.background_retry_delay.as_secs(),
                    "background OAuth token refresh failed; the current token stays in use"
                );
                cache.background = BackgroundRefresh::FailedAt(Instant::now());
            }
        }
    }

    fn store(&self, token: AccessToken) {
        let mut cache = self.lock_cache();
        cache.token = Some(token);
        cache.generation += 1;
        if matches!(cache.background, BackgroundRefresh::FailedAt(_)) {
            cache.background = BackgroundRefresh::Idle;
        }
    }

    /// Requests a new token with the client-credentials grant, discovering the endpoint first
    /// when it is not cached in `token_endpoint`.
    async fn fetch(&self, token_endpoint: &mut Option<Url>) -> Result<AccessToken, ApiError> {
        let endpoint = self.token_endpoint(token_endpoint).await;
        let context = format!("POST {}", endpoint.path());
        let issued_at = Instant::now();
        let request = self
            .workspace
            .http()
            .post(endpoint)
            .basic_auth(&self.client_id, Some(self.client_secret.expose_secret()))
            .header(ACCEPT, "application/json")
            .form(&[("grant_type", "client_credentials"), ("scope", "all-apis")]);
        let response = transport::execute(request, &context)
            .await
            .map_err(|error| {
                if error.kind == ErrorKind::Http {
                    error
                        .with_kind(ErrorKind::TokenEndpoint)
                        .with_context("OAuth token request failed")
                } else {
                    error
                }
            })?;

        let (value, lifetime) = parse_token_response(&response.body).map_err(|reason| {
            ApiError::without_response(
                ErrorKind::TokenEndpoint,
                format!("{context}: invalid OAuth token response: {reason}"),
            )
        })?;
        tracing::debug!(
            client_id = %self.client_id,
            expires_in_seconds = lifetime.as_secs(),
            "fetched an OAuth token for the service principal"
        );
        Ok(AccessToken::new(value, issued_at, lifetime, &self.policy))
    }

    /// Returns the cached token endpoint, discovering it when `cached` is empty.
    async fn token_endpoint(&self, cached: &mut Option<Url>) -> Url {
        if let Some(endpoint) = cached {
            return endpoint.clone();
        }
        let discovered = discover_token_endpoint(&self.workspace).await;
        if discovered.cacheable {
            *cached = Some(discovered.token_endpoint.clone());
        }
        discovered.token_endpoint
    }

    fn lock_cache(&self) -> MutexGuard<'_, TokenCache> {
        // The cache contains plain values that stay consistent even if a holder panicked.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TokenSource")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}
