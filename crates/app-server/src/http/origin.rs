//! Web origins: parsing the `Origin` header and configured origins, and comparing an origin with
//! the host a request was sent to.

use std::sync::Arc;

use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderName, Uri, header};
use url::Url;

/// The header in which a reverse proxy (the Databricks Apps proxy among them) names the host the
/// browser requested.
pub const FORWARDED_HOST_HEADER: HeaderName = HeaderName::from_static("x-forwarded-host");

/// A web origin: scheme, host and port. The port is always explicit (443 for `https`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// Parses an origin such as `https://app.example.com` or `http://127.0.0.1:5173`.
    ///
    /// Only `http` and `https` are accepted, and nothing may follow the port: no path, query,
    /// fragment or user name. The opaque origin `null` is rejected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url =
            Url::parse(text.trim()).map_err(|error| format!("{text:?} is not a URL: {error}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{text:?} must start with http:// or https://"));
        }
        let has_extras = url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
            || text.trim().ends_with('/');
        if has_extras {
            return Err(format!(
                "{text:?} must be scheme://host[:port] with nothing after the port"
            ));
        }
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return Err(format!("{text:?} has no host"));
        };
        Ok(Self {
            scheme: url.scheme().to_owned(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Returns true when `authority` (a `Host` header value such as `app.example.com` or
    /// `127.0.0.1:8000`) names this origin's host and port. An authority without a port uses the
    /// default port of this origin's scheme.
    pub fn matches_authority(&self, authority: &str) -> bool {
        let Ok(authority) = authority.trim().parse::<Authority>() else {
            return false;
        };
        let default_port = if self.scheme == "https" { 443 } else { 80 };
        authority.host().eq_ignore_ascii_case(&self.host)
            && authority.port_u16().unwrap_or(default_port) == self.port
    }

    /// Returns the origin as a browser serialises it, without the port when it is the default.
    pub fn serialize(&self) -> String {
        let default_port = if self.scheme == "https" { 443 } else { 80 };
        if self.port == default_port {
            format!("{}://{}", self.scheme, self.host)
        } else {
            format!("{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

/// Origins other than the app's own that may call the API from a browser
/// (`CORS_ALLOWED_ORIGINS`). Empty unless configured.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(Arc<[Origin]>);

impl AllowedOrigins {
    pub fn new(origins: Vec<Origin>) -> Self {
        Self(origins.into())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Returns true when the `Origin` header value is one of the allowed origins.
    pub fn contains_header_value(&self, value: &str) -> bool {
        Origin::parse(value).is_ok_and(|origin| self.0.contains(&origin))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Origin> {
        self.0.iter()
    }
}

/// Returns the host the browser sent the request to: the first `X-Forwarded-Host` value when a
/// proxy set one, else `Host`, else the URI's authority (HTTP/2 sends no `Host` header).
pub fn requested_authority<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> Option<&'a str> {
    let forwarded = headers
        .get(FORWARDED_HOST_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(str::trim)
        .filter(|value| !value.is_empty());
    forwarded
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|value| value.to_str().ok())
        })
        .or_else(|| uri.authority().map(Authority::as_str))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn parses_and_normalises_origins() {
        let origin = Origin::parse("HTTPS://App.Example.com:443").expect("valid origin");
        assert_eq!(origin.serialize(), "https://app.example.com");
        let origin = Origin::parse("http://127.0.0.1:5173").expect("valid origin");
        assert_eq!(origin.serialize(), "http://127.0.0.1:5173");
        let origin = Origin::parse("http://[::1]:8000").expect("valid origin");
        assert_eq!(origin.serialize(), "http://[::1]:8000");
    }

    #[test]
    fn rejects_non_origins() {
        for text in [
            "null",
            "",
            "app.example.com",
            "ftp://app.example.com",
            "https://app.example.com/",
            "https://app.example.com/path",
            "https://app.example.com?q=1",
            "https://user@app.example.com",
            "file:///etc/passwd",
        ] {
            assert!(Origin::parse(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn authority_matches_with_default_ports() {
        let https = Origin::parse("https://app.example.com").expect("valid origin");
        assert!(https.matches_authority("app.example.com"));
        assert!(https.matches_authority("APP.example.com:443"));
        assert!(!https.matches_authority("app.example.com:8443"));
        assert!(!https.matches_authority("app.example.com.evil.test"));
        assert!(!https.matches_authority("other.example.com"));
        assert!(!https.matches_authority("app.example.com/x"));

        let local = Origin::parse("http://127.0.0.1:8000").expect("valid origin");
        assert!(local.matches_authority("127.0.0.1:8000"));
        assert!(!local.matches_authority("127.0.0.1"));
        assert!(!local.matches_authority("localhost:8000"));
    }

    #[test]
    fn forwarded_host_wins_over_host() {
        let uri: Uri = "/api/preferences".parse().expect("valid URI");
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("10.0.0.5:8000"));
        assert_eq!(requested_authority(&headers, &uri), Some("10.0.0.5:8000"));

        headers.insert(
            FORWARDED_HOST_HEADER,
            HeaderValue::from_static("app.example.com, proxy.internal"),
        );
        assert_eq!(requested_authority(&headers, &uri), Some("app.example.com"));
    }

    #[test]
    fn uri_authority_is_the_last_resort() {
        let uri: Uri = "http://127.0.0.1:9000/api/preferences"
            .parse()
            .expect("valid URI");
        assert_eq!(
            requested_authority(&HeaderMap::new(), &uri),
            Some("127.0.0.1:9000")
        );
    }

    #[test]
    fn allowed_origins_compare_normalised() {
        let allowed = AllowedOrigins::new(vec![
            Origin::parse("https://portal.example.com").expect("valid origin"),
        ]);
        assert!(allowed.contains_header_value("https://portal.example.com"));
        assert!(allowed.contains_header_value("https://PORTAL.example.com:443"));
        assert!(!allowed.contains_header_value("http://portal.example.com"));
        assert!(!allowed.contains_header_value("null"));
    }
}
