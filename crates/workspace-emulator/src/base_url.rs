//! The base URL a request came in on, so discovery documents point back at whatever host and
//! port the client used.

use axum::extract::FromRequestParts;
use axum::http::header::HOST;
use axum::http::request::Parts;
use std::convert::Infallible;

/// `http://<host>[:port]` taken from the `Host` header (HTTP/1.1) or the URI authority (HTTP/2).
/// The emulator serves plain HTTP only.
#[derive(Debug, Clone)]
pub(crate) struct BaseUrl(pub(crate) String);

impl BaseUrl {
    pub(crate) fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        let from_header = parts
            .headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<axum::http::uri::Authority>().ok());
        let authority = from_header.or_else(|| parts.uri.authority().cloned());
        // NOTE: a request without any host (only possible with HTTP/1.0) gets a loopback base URL
        // without a port, which is the best guess available.
        let host = authority.map_or_else(|| "127.0.0.1".to_owned(), |a| a.as_str().to_owned());
        Ok(BaseUrl(format!("http://{host}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    async fn base_url_of(request: Request<()>) -> String {
        let (mut parts, ()) = request.into_parts();
        let BaseUrl(url) = BaseUrl::from_request_parts(&mut parts, &())
            .await
            .expect("infallible");
        url
    }

    #[tokio::test]
    async fn host_header_sets_base_url() {
        let request = Request::get("/x")
            .header(HOST, "127.0.0.1:4567")
            .body(())
            .expect("request");
        assert_eq!(base_url_of(request).await, "http://127.0.0.1:4567");
    }

    #[tokio::test]
    async fn invalid_host_header_falls_back_to_uri() {
        let request = Request::get("http://localhost:99/x")
            .header(HOST, "bad host\"")
            .body(())
            .expect("request");
        assert_eq!(base_url_of(request).await, "http://localhost:99");
    }
}
