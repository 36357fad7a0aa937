//! The connection pool's side of credential rotation: every new connection logs in with the
//! current credential, a background task refreshes it on schedule, and a login rejected with
//! SQLSTATE `28P01` replaces it once.

use std::sync::{Arc, Weak};

use secrecy::ExposeSecret as _;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::provider::{Credential, CredentialProvider};
use crate::store::{CredentialHealth, PasswordRotation, StoreError};

/// Keeps a pool's connect options in step with the credential provider.
#[derive(Debug)]
pub struct RotatingPassword {
    provider: Arc<CredentialProvider>,
    pool: PgPool,
    /// Everything but the password.
    base_options: PgConnectOptions,
    /// Stops the refresh task when this value is dropped.
    _stop_refresh: DropGuard,
}

impl RotatingPassword {
    /// Builds the rotation for `pool`, puts the current credential into its connect options and
    /// starts the background refresh task, which ends when the returned value is dropped.
    pub fn start(
        provider: Arc<CredentialProvider>,
        pool: PgPool,
        base_options: PgConnectOptions,
    ) -> Arc<Self> {
        let stop = CancellationToken::new();
        let rotation = Arc::new(Self {
            provider,
            pool,
            base_options,
            _stop_refresh: stop.clone().drop_guard(),
        });
        rotation.apply(&rotation.provider.current());
        tokio::spawn(refresh_loop(Arc::downgrade(&rotation), stop));
        rotation
    }

    /// Returns the connect options with `credential` as the password.
    pub fn options_with(base: &PgConnectOptions, credential: &Credential) -> PgConnectOptions {
        base.clone().password(credential.token.expose_secret())
    }

    /// Returns the provider, for counting rotations and reading the expiry.
    pub fn provider(&self) -> &Arc<CredentialProvider> {
        &self.provider
    }

    fn apply(&self, credential: &Credential) {
        self.pool
            .set_connect_options(Self::options_with(&self.base_options, credential));
    }

    /// Refreshes on schedule. A failure was logged by the provider and is retried after its
    /// backoff.
    async fn refresh_scheduled(&self) {
        if let Ok(credential) = self.provider.refresh("scheduled").await {
            self.apply(&credential);
        }
    }
}

#[async_trait::async_trait]
impl PasswordRotation for RotatingPassword {
    fn generation(&self) -> u64 {
        self.provider.current().generation
    }

    async fn login_rejected(&self, generation: u64) -> Result<(), StoreError> {
        let credential = self
            .provider
            .replace(generation, "login rejected with SQLSTATE 28P01")
            .await
            .map_err(|error| {
                StoreError::Unavailable(format!(
                    "the database rejected the credential and a new one could not be minted: \
                     {error}"
                ))
            })?;
        self.apply(&credential);
        Ok(())
    }

    fn health(&self) -> CredentialHealth {
        self.provider.health()
    }
}

/// Sleeps until the next refresh is due, refreshes, and repeats until `stop` is cancelled or the
/// rotation is dropped. It holds only a weak reference while it sleeps.
async fn refresh_loop(rotation: Weak<RotatingPassword>, stop: CancellationToken) {
    loop {
        let Some(delay) = rotation
            .upgrade()
            .map(|rotation| rotation.provider.next_refresh_delay())
        else {
            return;
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
        let Some(rotation) = rotation.upgrade() else {
            return;
        };
        rotation.refresh_scheduled().await;
    }
}
