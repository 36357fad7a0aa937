//! Prometheus metrics: one recorder per process, the metric names, and the functions that record
//! them.
//!
//! No label contains a user id, an email, a token or a raw path. Labels take route templates,
//! fixed words and, for model invocations, endpoint names bounded by [`labels::EndpointLabels`].

pub mod auth;
pub mod database;
pub mod labels;
mod recorder;
pub mod upstream;

pub use recorder::install;

/// Requests to authenticated API routes, by `endpoint` (route template), `mode` and `status`
/// (outcome class, see [`labels::outcome_class`]).
pub const AUTH_REQUESTS_TOTAL: &str = "auth_requests_total";
/// Retries of workspace calls, by `endpoint` and `attempt_number`. The workspace client emits it.
pub const AUTH_RETRY_TOTAL: &str = "auth_retry_total";
/// Requests served as the service principal, by `reason`.
pub const AUTH_FALLBACK_TOTAL: &str = "auth_fallback_total";
/// Request latency histogram, by `endpoint`, `method` and `status` (the HTTP status code).
pub const REQUEST_DURATION_SECONDS: &str = "request_duration_seconds";
/// Time spent authenticating a request, by `mode`.
pub const AUTH_OVERHEAD_SECONDS: &str = "auth_overhead_seconds";
/// Workspace call latency histogram, by `service`, `operation` and `status`.
pub const UPSTREAM_API_DURATION_SECONDS: &str = "upstream_api_duration_seconds";
/// Distinct users verified in the last five minutes.
pub const ACTIVE_USERS: &str = "active_users";
/// State of the workspace circuit breaker: 0 closed, 1 open, 2 half-open.
pub const CIRCUIT_BREAKER_STATE: &str = "circuit_breaker_state";
/// Identity lookups served from the cache.
pub const IDENTITY_CACHE_HITS_TOTAL: &str = "identity_cache_hits_total";
/// Identity lookups that called the workspace.
pub const IDENTITY_CACHE_MISSES_TOTAL: &str = "identity_cache_misses_total";
/// Open connections of the database pool.
pub const DB_POOL_CONNECTIONS: &str = "db_pool_connections";
/// Idle connections of the database pool.
pub const DB_POOL_IDLE_CONNECTIONS: &str = "db_pool_idle_connections";
/// Maximum connections of the database pool.
pub const DB_POOL_MAX_CONNECTIONS: &str = "db_pool_max_connections";
/// Wait for a connection from the database pool.
pub const DB_POOL_ACQUIRE_SECONDS: &str = "db_pool_acquire_seconds";
/// Lakebase credential refreshes, by `result`.
pub const LAKEBASE_CREDENTIAL_REFRESHES_TOTAL: &str = "lakebase_credential_refreshes_total";
/// Model Serving invocations, by `endpoint` and `status`.
pub const MODEL_INVOCATIONS_TOTAL: &str = "model_invocations_total";
/// Unix time at which the metrics recorder was installed, which is about when the process started.
pub const APP_START_TIME_SECONDS: &str = "app_start_time_seconds";
