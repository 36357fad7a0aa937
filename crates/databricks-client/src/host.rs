//! Normalisation of a workspace host into the base URL of every API call.

use std::net::IpAddr;

use url::{Host, Url};

/// A workspace configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The host was empty or only whitespace.
    #[error(
        "workspace host is empty: set it to the workspace URL, e.g. https://adb-123.azuredatabricks.net"
    )]
    EmptyHost,
    /// The host could not be parsed as a URL.
    #[error("workspace host {host:?} is not a valid URL: {reason}")]
    InvalidHost {
        /// The host as given.
        host: String,
        /// The parser's reason for the rejection.
        reason: String,
    },
    /// The host carries a user name or password, which this client never sends.
    #[error("workspace host must not contain a user name or password: remove the part before '@'")]
    CredentialsInHost,
    /// The scheme is neither `https` nor `http`.
    #[error("workspace host {host:?} has unsupported scheme {scheme:?}: use https://")]
    UnsupportedScheme {
        /// The host as given.
        host: String,
        /// The rejected scheme.
        scheme: String,
    },
    /// Plain `http` was used for a host that is not a loopback address.
    #[error(
        "workspace host {host:?} uses http:// on a non-loopback host, which would send tokens unencrypted: use https://"
    )]
    InsecureScheme {
        /// The host as given.
        host: String,
    },
    /// A timeout in [`crate::WorkspaceOptions`] was zero.
    #[error("{name} must be greater than zero")]
    ZeroTimeout {
        /// The option's name.
        name: &'static str,
    },
    /// A threshold in [`crate::WorkspaceOptions`] was zero.
    #[error("{name} must be at least 1")]
    ZeroThreshold {
        /// The option's name.
        name: &'static str,
    },
    /// The HTTP client could not be built (for example, TLS initialisation failed).
    #[error("failed to build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// Replaces a `user:password@` part of a host as given with `***@`, so that error messages built
/// from an unparseable host never show a password.
fn without_user_info(host: &str) -> String {
    let authority_start = host.find("://").map_or(0, |index| index + 3);
    match host[authority_start..].rfind('@') {
        Some(at) => format!(
            "{}***{}",
            &host[..authority_start],
            &host[authority_start + at..]
        ),
        None => host.to_owned(),
    }
}

/// Normalises a workspace host the way the Databricks SDKs do.
///
/// - `https://` is added when the host has no scheme (`adb-1.azuredatabricks.net`).
/// - Trailing `/` and an explicit `:443` on `https` are dropped.
/// - `http://` is kept for loopback hosts (`localhost`, `127.0.0.0/8`, `::1`), which local
///   development and tests use, and rejected for any other host.
/// - A path prefix is kept without its trailing `/`. Query and fragment are dropped because
///   browser URLs of a workspace often carry `?o=<workspace id>`.
///
/// The returned URL's path is `/` or the prefix. Empty, unparseable hosts, other schemes and hosts
/// with a user name or password are rejected.
pub fn normalize_host(host: &str) -> Result<Url, ConfigError> {
    let trimmed = host.trim();
    if trimmed.is_empty() {
        return Err(ConfigError::EmptyHost);
    }

    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|error| ConfigError::InvalidHost {
        host: without_user_info(trimmed),
        reason: error.to_string(),
    })?;

    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::CredentialsInHost);
    }
    check_scheme(&url, trimmed)?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError::InvalidHost {
            host: without_user_info(trimmed),
            reason: "no host name".to_owned(),
        });
    }

    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// Checks that `url` uses `https`, or `http` on a loopback host.
pub(crate) fn check_scheme(url: &Url, original: &str) -> Result<(), ConfigError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(ConfigError::InsecureScheme {
            host: without_user_info(original),
        }),
        other => Err(ConfigError::UnsupportedScheme {
            host: without_user_info(original),
            scheme: other.to_owned(),
        }),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        None => false,
    }
}

/// Builds the URL of `path` (which starts with `/`) under the workspace base URL.
pub(crate) fn join_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path}"));
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_host_error_hides_password() {
        let error = normalize_host("https://user:hostsecret@exa mple.com").expect_err("invalid");

        let message = error.to_string();
        assert!(!message.contains("hostsecret"), "{message}");
        assert!(message.contains("***@exa mple.com"), "{message}");
    }

    #[test]
    fn normalize_host_table() {
        let cases = [
            ("y", "https://y/"),
            (
                "adb-1.azuredatabricks.net",
                "https://adb-1.azuredatabricks.net/",
            ),
            (
                "  adb-1.azuredatabricks.net/  ",
                "https://adb-1.azuredatabricks.net/",
            ),
            ("https://y/", "https://y/"),
            ("https://y//", "https://y/"),
            ("https://y:443", "https://y/"),
            ("https://y:443/", "https://y/"),
            ("y:443", "https://y/"),
            ("https://y:8443/", "https://y:8443/"),
            ("HTTPS://Y.Example.COM", "https://y.example.com/"),
            ("https://y/?o=1234567890#", "https://y/"),
            ("https://y/prefix/", "https://y/prefix"),
            ("127.0.0.1:8080", "https://127.0.0.1:8080/"),
            ("localhost:8080", "https://localhost:8080/"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
            ("http://localhost:3000", "http://localhost:3000/"),
            ("http://[::1]:9000/", "http://[::1]:9000/"),
        ];
        for (input, expected) in cases {
            let normalized = normalize_host(input)
                .unwrap_or_else(|error| panic!("{input:?} was rejected: {error}"));
            assert_eq!(normalized.as_str(), expected, "input {input:?}");
        }
    }

    #[test]
    fn normalize_host_rejects_empty() {
        for input in ["", "   ", "\t\n"] {
            assert!(
                matches!(normalize_host(input), Err(ConfigError::EmptyHost)),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn normalize_host_rejects_unparseable() {
        for input in ["https://", "https://exa mple.com", "https://[::1", "://x"] {
            let result = normalize_host(input);
            assert!(
                matches!(result, Err(ConfigError::InvalidHost { .. })),
                "input {input:?} gave {result:?}"
            );
        }
    }

    #[test]
    fn normalize_host_rejects_other_schemes() {
        let result = normalize_host("ftp://y");
        assert!(
            matches!(result, Err(ConfigError::UnsupportedScheme { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn normalize_host_rejects_http_on_remote_host() {
        let result = normalize_host("http://adb-1.azuredatabricks.net");
        assert!(
            matches!(result, Err(ConfigError::InsecureScheme { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn normalize_host_rejects_credentials() {
        let result = normalize_host("https://user:hunter2@y");
        assert!(
            matches!(result, Err(ConfigError::CredentialsInHost)),
            "{result:?}"
        );
        let message = result.expect_err("rejected").to_string();
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn error_messages_name_the_host() {
        let message = normalize_host("ftp://y").expect_err("rejected").to_string();
        assert!(message.contains("ftp://y"), "{message}");
        assert!(message.contains("https://"), "{message}");
    }

    #[test]
    fn join_path_keeps_prefix() {
        let root = normalize_host("https://y").expect("valid");
        assert_eq!(
            join_path(&root, "/api/2.0/x").as_str(),
            "https://y/api/2.0/x"
        );
        let prefixed = normalize_host("https://y/proxy/").expect("valid");
        assert_eq!(
            join_path(&prefixed, "/api/2.0/x").as_str(),
            "https://y/proxy/api/2.0/x"
        );
    }
}
