//! The per-process handle on one workspace: its base URL and the shared HTTP client.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::client::WorkspaceClient;
use crate::credentials::Credentials;
use crate::host::{ConfigError, normalize_host};

/// The `User-Agent` sent with every request.
pub(crate) const USER_AGENT: &str = concat!("databricks-obo-app-rs/", env!("CARGO_PKG_VERSION"));

/// Settings of the HTTP client shared by all calls to a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceOptions {
    /// The limit on one request, from sending it to reading the whole response body.
    pub request_timeout: Duration,
    /// The limit on establishing a connection, TLS handshake included.
    pub connect_timeout: Duration,
}

impl Default for WorkspaceOptions {
    /// Returns a 30-second request timeout and a 5-second connect timeout.
    fn default() -> Self {
        WorkspaceOptions {
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// One workspace as seen by this process: the normalised host and one `reqwest::Client` with its
/// connection pool. Cloning is cheap and shares both.
#[derive(Debug, Clone)]
pub struct Workspace {
    inner: Arc<WorkspaceInner>,
}

#[derive(Debug)]
struct WorkspaceInner {
    host: Url,
    http: reqwest::Client,
}

impl Workspace {
    /// Normalises `host` (see [`normalize_host`]) and builds the HTTP client.
    ///
    /// The client uses rustls, sends `User-Agent: databricks-obo-app-rs/<version>` and follows no
    /// redirects, so that an API call is never replayed against another URL.
    #[expect(
        clippy::needless_pass_by_value,
        reason = "callers build the options in place, so taking them by value reads best"
    )]
    pub fn new(host: &str, options: WorkspaceOptions) -> Result<Workspace, ConfigError> {
        let WorkspaceOptions {
            request_timeout,
            connect_timeout,
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

        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(request_timeout)
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ConfigError::HttpClient)?;
        Ok(Workspace {
            inner: Arc::new(WorkspaceInner { host, http }),
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
