//! A typed client for the Databricks workspace REST API calls an on-behalf-of-user app needs.
//!
//! Build one [`Workspace`] per process, then one [`WorkspaceClient`] per set of
//! [`Credentials`]: the user's forwarded token for calls made on the user's behalf, or the app's
//! service principal (OAuth M2M). A client never reads credentials from the environment.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use databricks_client::{Credentials, SecretString, Workspace, WorkspaceOptions};
//!
//! let workspace = Workspace::new("adb-123.azuredatabricks.net", WorkspaceOptions::default())?;
//! let user = workspace.client(Credentials::UserToken(SecretString::from("dapi-...")));
//! let me = user.current_user().await?;
//! println!("{} in workspace {:?}", me.user_name, me.workspace_id);
//! # Ok(())
//! # }
//! ```
//!
//! # Retries, circuit breaker and deadline
//!
//! Every call goes through the same rules, set in [`WorkspaceOptions`]:
//!
//! - **Retries** ([`RetryOptions`]): at most 3 retries after the first attempt, after waits of
//!   about 100, 200 and 400 ms (each within 10 % jitter). No retry starts whose wait would end
//!   more than 5 s after the call started. A 503 with a longer `Retry-After` waits that long
//!   instead, or is returned when the wait does not fit.
//! - **What is retried**: 503, connection failures (refused, reset, closed before the response)
//!   and timeouts, and for [`WorkspaceClient::current_user`] with a user token also 401 and 403.
//!   Everything else is returned at once, 429 included: its `Retry-After` is in
//!   [`ApiError::retry_after`] for the caller to honour. A call that is not idempotent (no such
//!   call exists yet) is retried only when no connection could be made, because after any other
//!   failure it may already have run upstream.
//! - **Deadline**: `request_timeout` (30 s) bounds a whole call, waits and retries included, and
//!   the call then fails with [`ErrorKind::Timeout`]. Connecting has its own, shorter limit
//!   (`connect_timeout`, 5 s). Dropping a call's future drops its HTTP request too.
//! - **Circuit breaker** ([`BreakerOptions`]), one per [`Workspace`]: after 10 consecutive
//!   failed calls it opens for 30 s, during which calls still run but make a single attempt. The
//!   first call after the cool-down probes (half-open), and its success closes the breaker,
//!   while its failure opens it for another cool-down. A failed call is one whose last error is
//!   a 5xx or would be retried. Other client errors such as 400, 404 and 429 neither count as
//!   failures nor reset the count, and a success resets it. [`Workspace::breaker_state`]
//!   returns the state.
//!
//! Each retry is logged at WARN (`event = "auth.retry_attempt"`, with `attempt`, `reason` and
//! `route`, the method and path template) and counted in the `auth_retry_total` counter
//! (labels `endpoint` and `attempt_number`). Each breaker state change is logged at WARN
//! (`event = "auth.circuit_breaker_state_change"`, with `old_state`, `new_state`,
//! `consecutive_failures` and `cooldown_seconds`) and sets the `circuit_breaker_state` gauge
//! (0 closed, 1 open, 2 half-open). Metrics go to the `metrics` recorder the application
//! installs, and nowhere without one. These logs and metrics never contain tokens, and they
//! name a call by its route template, never by its path.

mod client;
mod credentials;
mod current_user;
mod error;
mod host;
mod lakebase;
mod oauth;
mod request;
mod resilience;
mod scim_users;
mod serving;
mod transport;
mod unity_catalog;
mod workspace;

pub use secrecy::{ExposeSecret, SecretString};

pub use client::WorkspaceClient;
pub use credentials::{AuthType, Credentials};
pub use current_user::CurrentUser;
pub use error::{ApiError, ErrorKind, MAX_RETRY_AFTER};
pub use host::{ConfigError, normalize_host};
pub use lakebase::{DatabaseCredential, DatabaseInstance};
pub use resilience::{BreakerOptions, BreakerState, RetryOptions};
pub use scim_users::UserStatus;
pub use serving::{EndpointState, Invocation, ServingEndpoint};
pub use unity_catalog::{
    CatalogInfo, ColumnInfo, MAX_PAGES, Page, PageRequest, SchemaInfo, TableInfo,
};
pub use workspace::{Workspace, WorkspaceOptions};
