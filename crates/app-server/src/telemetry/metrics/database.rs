//! Database metrics: the pool's connections, the wait for one, and Lakebase credential refreshes.

use std::future::Future;
use std::time::{Duration, Instant};

use super::{
    DB_POOL_ACQUIRE_SECONDS, DB_POOL_CONNECTIONS, DB_POOL_IDLE_CONNECTIONS,
    DB_POOL_MAX_CONNECTIONS, LAKEBASE_CREDENTIAL_REFRESHES_TOTAL,
};

/// The connections of a database pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Open connections, idle or in use.
    pub open: u32,
    pub idle: u32,
    /// The maximum number of connections the pool opens.
    pub max: u32,
}

impl PoolStatus {
    /// Reads the status of `pool`.
    pub fn of<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) -> Self {
        Self {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
}

/// Sets the pool gauges: open connections, idle ones, and the maximum.
pub fn record_pool(status: PoolStatus) {
    metrics::gauge!(DB_POOL_CONNECTIONS).set(status.open);
    metrics::gauge!(DB_POOL_IDLE_CONNECTIONS).set(status.idle);
    metrics::gauge!(DB_POOL_MAX_CONNECTIONS).set(status.max);
}

/// Waits for a pooled connection and records the wait, failed waits included.
pub async fn observe_acquire<T>(acquire: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let connection = acquire.await;
    record_acquire(started.elapsed());
    connection
}

/// Records the wait for one pooled connection, failed waits included.
pub fn record_acquire(elapsed: Duration) {
    metrics::histogram!(DB_POOL_ACQUIRE_SECONDS).record(elapsed);
}

/// Counts one Lakebase credential refresh: `result` is `success` or `failure`.
pub fn record_credential_refresh(succeeded: bool) {
    let result = if succeeded { "success" } else { "failure" };
    metrics::counter!(LAKEBASE_CREDENTIAL_REFRESHES_TOTAL, "result" => result).increment(1);
}
