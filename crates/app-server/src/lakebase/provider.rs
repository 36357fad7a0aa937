//! The credential provider: caches the current database credential, decides when to refresh it,
//! and backs off when the credential API fails.
//!
//! The old credential stays in use until a new one arrives. A credential with a missing,
//! unparseable or past expiry is used, and refreshed after a backoff delay that grows with each
//! such credential in a row, so a bad expiry never causes a burst of calls.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;

use super::credential::{CredentialSource, MintError, parse_expiry};
use crate::store::CredentialHealth;
use crate::telemetry;

/// When to refresh and how to back off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Share of a credential's lifetime, in percent, after which it is refreshed. At 75, a
    /// one-hour credential is refreshed 15 minutes before it expires.
    pub refresh_at_percent: u32,
    /// Share of the lifetime, in percent, after which a credential that could not be refreshed
    /// makes readiness report `degraded`.
    pub degraded_at_percent: u32,
    /// Wait before the first retry after a failure; it doubles with each failure in a row.
    pub min_backoff: Duration,
    /// Maximum wait between retries.
    pub max_backoff: Duration,
}

impl Default for RefreshPolicy {
    /// Returns refresh at 75 %, degraded at 90 %, backoff from 1 s up to 60 s.
    fn default() -> Self {
        Self {
            refresh_at_percent: 75,
            degraded_at_percent: 90,
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_mins(1),
        }
    }
}

/// The credential in use.
#[derive(Debug, Clone)]
pub struct Credential {
    pub token: SecretString,
    /// `None` when the API sent no parseable expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// When this process received it.
    pub received_at: DateTime<Utc>,
    /// 1 for the first credential, then one more for each replacement.
    pub generation: u64,
}

impl Credential {
    /// Returns the lifetime from receipt to expiry, or `None` when the expiry is unknown or was
    /// already past on receipt.
    fn lifetime(&self) -> Option<TimeDelta> {
        let lifetime = self.expires_at? - self.received_at;
        (lifetime > TimeDelta::zero()).then_some(lifetime)
    }

    /// Returns the point at `percent` of the lifetime.
    fn point_at(&self, percent: u32) -> Option<DateTime<Utc>> {
        let lifetime = self.lifetime()?;
        Some(self.received_at + lifetime * i32::try_from(percent.min(100)).unwrap_or(100) / 100)
    }
}

#[derive(Debug)]
struct State {
    current: Credential,
    /// Refresh failures since the last success.
    failures: u32,
    /// Credentials in a row whose expiry was missing, unparseable or past.
    bad_expiries: u32,
    last_error: Option<String>,
}

/// Caches the database credential. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct CredentialProvider {
    source: Arc<dyn CredentialSource>,
    policy: RefreshPolicy,
    state: Mutex<State>,
    /// Held while a refresh runs, so at most one credential request is in flight.
    refreshing: tokio::sync::Mutex<()>,
    mints: AtomicU64,
}

impl CredentialProvider {
    /// Mints the first credential, retrying twice with backoff, and returns the provider.
    pub async fn start(
        source: Arc<dyn CredentialSource>,
        policy: RefreshPolicy,
    ) -> Result<Self, MintError> {
        let mut delay = policy.min_backoff;
        let mut attempt = 1;
        let minted = loop {
            match source.mint().await {
                Ok(minted) => break minted,
                Err(error) if attempt < 3 => {
                    tracing::warn!(
                        error = %error,
                        attempt,
                        retry_in_ms = millis(delay),
                        "database credential request failed: retrying"
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(policy.max_backoff);
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        };
        let now = Utc::now();
        let current = Credential {
            expires_at: parse_expiry(minted.expiration_time.as_deref()),
            token: minted.token,
            received_at: now,
            generation: 1,
        };
        let bad_expiries = u32::from(!expiry_is_usable(&current, now));
        log_received(&current, minted.expiration_time.as_deref());
        Ok(Self {
            source,
            policy,
            state: Mutex::new(State {
                current,
                failures: 0,
                bad_expiries,
                last_error: None,
            }),
            refreshing: tokio::sync::Mutex::new(()),
            mints: AtomicU64::new(1),
        })
    }

    /// Returns the credential in use.
    pub fn current(&self) -> Credential {
        self.lock().current.clone()
    }

    /// Returns how many credentials were minted, the first one included.
    pub fn mints(&self) -> u64 {
        self.mints.load(Ordering::Relaxed)
    }

    /// Mints a new credential now. On failure the old one stays in use and the error is logged
    /// and returned.
    pub async fn refresh(&self, reason: &str) -> Result<Credential, MintError> {
        let _single_flight = self.refreshing.lock().await;
        self.refresh_locked(reason).await
    }

    /// Mints a new credential unless the one of `generation` was already replaced, and returns
    /// the credential in use afterwards. For a login rejected with the credential of
    /// `generation`.
    pub async fn replace(&self, generation: u64, reason: &str) -> Result<Credential, MintError> {
        let _single_flight = self.refreshing.lock().await;
        let current = self.current();
        if current.generation != generation {
            return Ok(current);
        }
        self.refresh_locked(reason).await
    }

    async fn refresh_locked(&self, reason: &str) -> Result<Credential, MintError> {
        let result = self.source.mint().await;
        let now = Utc::now();
        let mut state = self.lock();
        match result {
            Ok(minted) => {
                self.mints.fetch_add(1, Ordering::Relaxed);
                let credential = Credential {
                    expires_at: parse_expiry(minted.expiration_time.as_deref()),
                    token: minted.token,
                    received_at: now,
                    generation: state.current.generation + 1,
                };
                state.bad_expiries = if expiry_is_usable(&credential, now) {
                    0
                } else {
                    state.bad_expiries.saturating_add(1)
                };
                state.failures = 0;
                state.last_error = None;
                state.current = credential.clone();
                drop(state);
                telemetry::metrics::database::record_credential_refresh(true);
                tracing::info!(
                    reason,
                    credential.generation = credential.generation,
                    "database credential refreshed"
                );
                log_received(&credential, minted.expiration_time.as_deref());
                Ok(credential)
            }
            Err(error) => {
                state.failures = state.failures.saturating_add(1);
                state.last_error = Some(error.to_string());
                let failures = state.failures;
                let expires_at = state.current.expires_at;
                drop(state);
                telemetry::metrics::database::record_credential_refresh(false);
                tracing::warn!(
                    error = %error,
                    reason,
                    failures,
                    credential.expires_at = expires_at.map(|time| time.to_rfc3339()),
                    retry_in_ms = millis(self.next_refresh_delay()),
                    "database credential refresh failed: the current credential stays in use"
                );
                Err(error)
            }
        }
    }

    /// Returns how long to wait before the next scheduled refresh.
    pub fn next_refresh_delay(&self) -> Duration {
        let state = self.lock();
        if state.failures > 0 {
            return self.backoff(state.failures);
        }
        if state.bad_expiries > 0 {
            return self.backoff(state.bad_expiries);
        }
        let Some(refresh_at) = state.current.point_at(self.policy.refresh_at_percent) else {
            return self.backoff(1);
        };
        (refresh_at - Utc::now()).to_std().unwrap_or(Duration::ZERO)
    }

    /// Reports `degraded` when the last refresh failed and the credential is past the degraded
    /// point of its lifetime, or its expiry is unknown.
    pub fn health(&self) -> CredentialHealth {
        let state = self.lock();
        let expires_at = state.current.expires_at;
        let Some(reason) = state.last_error.clone() else {
            return CredentialHealth::Ok { expires_at };
        };
        let near_expiry = state
            .current
            .point_at(self.policy.degraded_at_percent)
            .is_none_or(|degraded_at| Utc::now() >= degraded_at);
        if near_expiry {
            CredentialHealth::Degraded { expires_at, reason }
        } else {
            CredentialHealth::Ok { expires_at }
        }
    }

    /// `min_backoff * 2^(streak - 1)`, at most `max_backoff`.
    fn backoff(&self, streak: u32) -> Duration {
        let factor = 1_u32 << streak.saturating_sub(1).min(16);
        self.policy
            .min_backoff
            .saturating_mul(factor)
            .min(self.policy.max_backoff)
            .max(self.policy.min_backoff)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Tells whether the credential's expiry is known and was in the future on receipt.
fn expiry_is_usable(credential: &Credential, now: DateTime<Utc>) -> bool {
    credential
        .expires_at
        .is_some_and(|expires_at| expires_at > now)
}

fn log_received(credential: &Credential, raw_expiry: Option<&str>) {
    match credential.expires_at {
        Some(expires_at) if expires_at > credential.received_at => tracing::info!(
            credential.generation = credential.generation,
            credential.expires_at = %expires_at.to_rfc3339(),
            "database credential received"
        ),
        Some(expires_at) => tracing::warn!(
            credential.generation = credential.generation,
            credential.expires_at = %expires_at.to_rfc3339(),
            "database credential expired before it arrived: using it and refreshing after a backoff"
        ),
        None => tracing::warn!(
            credential.generation = credential.generation,
            credential.expiration_time = raw_expiry,
            "database credential has no valid expiry: using it and refreshing after a backoff"
        ),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
