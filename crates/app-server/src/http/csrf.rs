//! Cross-site request forgery defence for state-changing requests.
//!
//! Behind the Databricks Apps proxy the browser's session cookie makes the proxy attach the user's
//! token, so a page on another site that gets the browser to send a request to the app would act
//! as the user. A POST, PUT, PATCH or DELETE is therefore rejected with 403 `CSRF_REJECTED` when:
//!
//! - `Sec-Fetch-Site` is present and is neither `same-origin` nor `none` (`none` is a navigation
//!   the user started). `same-site` is rejected too: other apps share the app's parent domain.
//! - `Origin` is present and names another host or port than the request's `X-Forwarded-Host`
//!   (set by the proxy), else its `Host`. `Origin: null` is rejected.
//! - A body is sent with a `Content-Type` other than `application/json`, or with none. A
//!   cross-site form can only send `application/x-www-form-urlencoded`, `multipart/form-data` or
//!   `text/plain`; `application/json` needs a CORS preflight, which the app never grants to other
//!   origins.
//!
//! A request without a body and without a content type (a `DELETE` from `fetch`, or `curl -X
//! DELETE`) passes when the origin checks pass. This is safe because a form always sends a
//! content type, and browsers send `Origin` with every cross-origin `fetch` that is not a GET or
//! HEAD.
//!
//! An origin in `CORS_ALLOWED_ORIGINS` passes the origin checks; it still needs the JSON content
//! type for a body.

use axum::body::HttpBody;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, ErrorCode};
use crate::http::origin::{AllowedOrigins, Origin, requested_authority};

/// The Fetch Metadata header that states how the request's initiator relates to its target.
pub const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Reason for rejecting a state-changing request. Its text goes into the error's `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    CrossSiteFetch,
    ForeignOrigin,
    NotJson,
}

impl Rejection {
    pub fn detail(self) -> &'static str {
        match self {
            Self::CrossSiteFetch => {
                "Cross-site request rejected: Sec-Fetch-Site must be same-origin for requests that \
                 change data"
            }
            Self::ForeignOrigin => {
                "Cross-site request rejected: the Origin header does not match the app's host"
            }
            Self::NotJson => {
                "Request rejected: a request that changes data must send its body as \
                 Content-Type: application/json"
            }
        }
    }
}

/// Returns true for the methods this defence covers.
pub fn is_state_changing(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Checks the headers of a state-changing request. `has_body` is true when a body follows.
pub fn check(
    headers: &HeaderMap,
    uri: &Uri,
    has_body: bool,
    allowed: &AllowedOrigins,
) -> Result<(), Rejection> {
    let origin = headers
        .get(header::ORIGIN)
        .map(|value| value.to_str().unwrap_or(""));
    let allowed_origin = origin.is_some_and(|value| allowed.contains_header_value(value));

    if !allowed_origin {
        if is_fetched_by_another_site(headers) {
            return Err(Rejection::CrossSiteFetch);
        }
        if let Some(origin) = origin
            && !is_same_origin(origin, headers, uri)
        {
            return Err(Rejection::ForeignOrigin);
        }
    }

    match headers.get(header::CONTENT_TYPE) {
        Some(value) if is_json(value.to_str().unwrap_or("")) => Ok(()),
        Some(_) => Err(Rejection::NotJson),
        None if has_body => Err(Rejection::NotJson),
        None => Ok(()),
    }
}

/// Middleware: rejects state-changing requests that fail [`check`].
pub async fn layer(
    State(allowed): State<AllowedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    if is_state_changing(request.method()) {
        let has_body = request.body().size_hint().exact() != Some(0);
        if let Err(rejection) = check(request.headers(), request.uri(), has_body, &allowed) {
            tracing::warn!(
                reason = ?rejection,
                origin = request
                    .headers()
                    .get(header::ORIGIN)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or(""),
                "state-changing request rejected as cross-site"
            );
            return AppError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::CsrfRejected,
                rejection.detail(),
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// Tells whether the browser says another site started the request: a `Sec-Fetch-Site` other than
/// `same-origin` or `none` (typed in the address bar). Without the header, nothing is known.
pub fn is_fetched_by_another_site(headers: &HeaderMap) -> bool {
    headers.get(SEC_FETCH_SITE).is_some_and(|value| {
        let site = value.to_str().unwrap_or("").trim();
        !(site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none"))
    })
}

fn is_same_origin(origin: &str, headers: &HeaderMap, uri: &Uri) -> bool {
    let Ok(origin) = Origin::parse(origin) else {
        return false;
    };
    requested_authority(headers, uri).is_some_and(|authority| origin.matches_authority(authority))
}

/// Returns true for `application/json`, with or without parameters such as `charset`.
fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    const HOST: &str = "app.example.com";

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static(HOST));
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    fn run(pairs: &[(&'static str, &'static str)], has_body: bool) -> Result<(), Rejection> {
        let uri: Uri = "/api/preferences".parse().expect("valid URI");
        check(&headers(pairs), &uri, has_body, &AllowedOrigins::default())
    }

    #[test]
    fn same_origin_json_passes() {
        let result = run(
            &[
                ("origin", "https://app.example.com"),
                ("sec-fetch-site", "same-origin"),
                ("content-type", "application/json; charset=utf-8"),
            ],
            true,
        );
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn cross_site_form_is_rejected() {
        let result = run(
            &[
                ("origin", "https://evil.example.net"),
                ("sec-fetch-site", "cross-site"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            true,
        );
        assert_eq!(result, Err(Rejection::CrossSiteFetch));
    }

    #[test]
    fn sibling_app_is_rejected() {
        let result = run(
            &[
                ("sec-fetch-site", "same-site"),
                ("content-type", "application/json"),
            ],
            true,
        );
        assert_eq!(result, Err(Rejection::CrossSiteFetch));
    }

    #[test]
    fn foreign_or_null_origin_is_rejected() {
        for origin in [
            "https://evil.example.net",
            "https://app.example.com:8443",
            "https://app.example.com.evil.example.net",
            "null",
            "garbage",
        ] {
            let uri: Uri = "/api/preferences".parse().expect("valid URI");
            let mut headers = headers(&[("content-type", "application/json")]);
            headers.insert(
                header::ORIGIN,
                HeaderValue::from_str(origin).expect("valid header"),
            );
            let result = check(&headers, &uri, true, &AllowedOrigins::default());
            assert_eq!(result, Err(Rejection::ForeignOrigin), "{origin}");
        }
    }

    #[test]
    fn forwarded_host_decides_same_origin() {
        let result = run(
            &[
                ("origin", "https://my-app-123.aws.databricksapps.com"),
                ("x-forwarded-host", "my-app-123.aws.databricksapps.com"),
                ("content-type", "application/json"),
            ],
            true,
        );
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn body_needs_json_content_type() {
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "",
        ] {
            let uri: Uri = "/api/preferences".parse().expect("valid URI");
            let mut headers = headers(&[]);
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type).expect("valid header"),
            );
            let result = check(&headers, &uri, true, &AllowedOrigins::default());
            assert_eq!(result, Err(Rejection::NotJson), "{content_type:?}");
        }
        assert_eq!(run(&[], true), Err(Rejection::NotJson));
    }

    #[test]
    fn empty_body_without_content_type_passes() {
        assert_eq!(run(&[], false), Ok(()));
        assert_eq!(run(&[("sec-fetch-site", "same-origin")], false), Ok(()));
        assert_eq!(
            run(&[("sec-fetch-site", "cross-site")], false),
            Err(Rejection::CrossSiteFetch)
        );
        assert_eq!(
            run(&[("content-type", "text/plain")], false),
            Err(Rejection::NotJson)
        );
    }

    #[test]
    fn allowed_origin_passes_origin_checks_only() {
        let allowed = AllowedOrigins::new(vec![
            Origin::parse("https://portal.example.com").expect("valid origin"),
        ]);
        let uri: Uri = "/api/preferences".parse().expect("valid URI");
        let json = headers(&[
            ("origin", "https://portal.example.com"),
            ("sec-fetch-site", "cross-site"),
            ("content-type", "application/json"),
        ]);
        assert_eq!(check(&json, &uri, true, &allowed), Ok(()));

        let form = headers(&[
            ("origin", "https://portal.example.com"),
            ("sec-fetch-site", "cross-site"),
            ("content-type", "text/plain"),
        ]);
        assert_eq!(check(&form, &uri, true, &allowed), Err(Rejection::NotJson));
    }

    #[test]
    fn covers_only_state_changing_methods() {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert!(is_state_changing(&method), "{method}");
        }
        for method in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE] {
            assert!(!is_state_changing(&method), "{method}");
        }
    }
}
