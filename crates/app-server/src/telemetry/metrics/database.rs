//! Database metrics: the pool's connections, the wait for one, and Lakebase credential refreshes.

use std::time::Duration;

use super::{
    DB_POOL_ACQUIRE_SECONDS, DB_POOL_CONNECTIONS, DB_POOL_IDLE_CONNECTIONS,
    DB_POOL_MAX_CONNECTIONS, LAKEBASE_CREDENTIAL_REFRESH_TOTAL,
};

/// Sets the pool gauges: open connections, idle ones, and the maximum.
pub fn record_pool(open: u32, idle: u32, max: u32) {
    metrics::gauge!(DB_POOL_CONNECTIONS).set(open);
    metrics::gauge!(DB_POOL_IDLE_CONNECTIONS).set(idle);
    metrics::gauge!(DB_POOL_MAX_CONNECTIONS).set(max);
}

/// Records the wait for one pooled connection, failed waits included.
pub fn record_acquire(elapsed: Duration) {
    metrics::histogram!(DB_POOL_ACQUIRE_SECONDS).record(elapsed);
}

/// Counts one Lakebase credential refresh: `result` is `success` or `failure`.
pub fn record_credential_refresh(succeeded: bool) {
    let result = if succeeded { "success" } else { "failure" };
    metrics::counter!(LAKEBASE_CREDENTIAL_REFRESH_TOTAL, "result" => result).increment(1);
}
