//! The hook through which a rotating password reaches new PostgreSQL connections.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreError;

/// A password that changes while the pool runs, such as a Lakebase credential.
///
/// The implementation keeps the pool's connect options up to date. The store calls
/// [`login_rejected`](Self::login_rejected) when opening a connection failed with SQLSTATE `28P01`
/// (invalid password), then tries to open the connection once more.
#[async_trait::async_trait]
pub trait PasswordRotation: Send + Sync + std::fmt::Debug + 'static {
    /// Returns a number that changes each time a new password is put into the connect options.
    fn generation(&self) -> u64;

    /// Replaces the password that was current at `generation`, unless another call already did,
    /// and puts the new one into the pool's connect options.
    async fn login_rejected(&self, generation: u64) -> Result<(), StoreError>;

    /// Reports whether the password is fresh or close to expiry.
    fn health(&self) -> CredentialHealth;
}

/// The state of the database password, as readiness checks report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CredentialHealth {
    /// The password does not rotate: SQLite, or a static password in `DATABASE_URL`.
    Static,
    /// The rotating password is valid and its refresh is on schedule.
    Ok {
        /// `None` when the credential API sent no valid expiry time.
        expires_at: Option<DateTime<Utc>>,
    },
    /// The password expires soon, or has an unknown expiry, and the last refresh failed. New
    /// connections fail once it has expired.
    Degraded {
        expires_at: Option<DateTime<Utc>>,
        /// The last refresh error, without any secret.
        reason: String,
    },
}
