//! The per-process handle on one workspace: its base URL and the shared HTTP client.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::client::WorkspaceClient;
use crate::credentials::Credentials;
use crate::host::{ConfigError, normalize_host};
use crate::resilience::{BreakerOptions, BreakerState, Resilience, RetryOptions};

/// The `User-Agent` sent with every request.
pub(crate) const USER_AGENT: &str = concat!("databricks-obo-app-rs/", env!("CARGO_PKG_VERSION"));

/// Settings of the HTTP client and the resilience rules shared by all calls to a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceOptions {
    /// The limit on one logical call, retries and their waits included: from the first attempt
    /// to reading the whole response body of the last.
    pub request_timeout: Duration,
    /// The limit on establishing a connection, TLS handshake included.
    pub connect_timeout: Duration,
    /// When failed attempts are retried.
    pub retry: RetryOptions,
    /// When the circuit breaker stops retries.
    pub breaker: BreakerOptions,
}

impl Default for WorkspaceOptions {
    /// Returns a 30-second request timeout, a 5-second connect timeout, and the defaults of
    /// [`RetryOptions`] and [`BreakerOptions`].
    fn default() -> Self {
        WorkspaceOptions {
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            retry: RetryOptions::default(),
            breaker: BreakerOptions::default(),
        }
    }
}

/// One workspace as seen by this process: the normalised host, one `reqwest::Client` with its
/// connection pool, and one circuit breaker. Cloning is cheap and shares all three.
#[derive(Debug, Clone)]
pub struct Workspace {
    inner: Arc<WorkspaceInner>,
}

#[derive(Debug)]
struct WorkspaceInner {
    host: Url,
    http: reqwest::Client,
    resilience: Resilience,
}

impl Workspace {
    /// Normalises `host` (see [`normalize_host`]) and builds the HTTP client.
    ///
    /// The client uses rustls, sends `User-Agent: databricks-obo-app-rs/<version>` and follows no
    /// redirects, so that an API call is never replayed against another URL. Zero timeouts and a
    /// zero failure threshold are rejected.
    pub fn new(host: &str, options: WorkspaceOptions) -> Result<Workspace, ConfigError> {
        let WorkspaceOptions {
            request_timeout,
            connect_timeout,
            retry,
            breaker,
        } = options;
        let host = normalize_host(host)?;
        if request_timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout {
                name: "request_timeout",
            });
        }
        if connect_timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout {
                name: "connect_timeout",
            });
        }
        if breaker.failure_threshold == 0 {
            return Err(ConfigError::ZeroThreshold {
                name: "breaker.failure_threshold",
            });
        }

        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(request_timeout)
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ConfigError::HttpClient)?;
        Ok(Workspace {
            inner: Arc::new(WorkspaceInner {
                host,
                http,
                resilience: Resilience::new(request_timeout, retry, breaker),
            }),
        })
    }

    /// Returns the normalised base URL of the workspace.
    pub fn host(&self) -> &Url {
        &self.inner.host
    }

    /// Builds a client that authenticates every call with exactly `credentials`.
    ///
    /// A service-principal client owns an OAuth token cache, so build it once and clone it. A
    /// user-token client is cheap to build per request.
    pub fn client(&self, credentials: Credentials) -> WorkspaceClient {
        WorkspaceClient::new(self.clone(), credentials)
    }

    /// Returns the state of this workspace's circuit breaker.
    pub fn breaker_state(&self) -> BreakerState {
        self.inner.resilience.breaker_state()
    }

    pub(crate) fn resilience(&self) -> &Resilience {
        &self.inner.resilience
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Returns the URL of `path` (starting with `/`) on this workspace.
    pub(crate) fn url(&self, path: &str) -> Url {
        crate::host::join_path(&self.inner.host, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let options = WorkspaceOptions::default();
        assert_eq!(options.request_timeout, Duration::from_secs(30));
        assert_eq!(options.connect_timeout, Duration::from_secs(5));
        assert_eq!(options.retry, RetryOptions::default());
        assert_eq!(options.breaker, BreakerOptions::default());
    }

    #[test]
    fn new_starts_with_closed_breaker() {
        let workspace = Workspace::new("https://y", WorkspaceOptions::default()).expect("valid");
        assert_eq!(workspace.breaker_state(), BreakerState::Closed);
    }

    #[test]
    fn new_rejects_zero_failure_threshold() {
        let options = WorkspaceOptions {
            breaker: BreakerOptions {
                failure_threshold: 0,
                ..BreakerOptions::default()
            },
            ..WorkspaceOptions::default()
        };
        let result = Workspace::new("https://y", options);
        assert!(
            matches!(
                result,
                Err(ConfigError::ZeroThreshold {
                    name: "breaker.failure_threshold"
                })
            ),
            "{result:?}"
        );
    }

    #[test]
    fn new_normalises_host() {
        let workspace = Workspace::new("adb-1.azuredatabricks.net/", WorkspaceOptions::default())
            .expect("valid");
        assert_eq!(
            workspace.host().as_str(),
            "https://adb-1.azuredatabricks.net/"
        );
        assert_eq!(
            workspace.url("/api/2.0/preview/scim/v2/Me").as_str(),
            "https://adb-1.azuredatabricks.net/api/2.0/preview/scim/v2/Me"
        );
    }

    #[test]
    fn new_rejects_zero_timeouts() {
        let options = WorkspaceOptions {
            request_timeout: Duration::ZERO,
            ..WorkspaceOptions::default()
        };
        let result = Workspace::new("https://y", options);
        assert!(matches!(
            result,
            Err(ConfigError::ZeroTimeout {
                name: "request_timeout"
            })
        ));
    }
}
