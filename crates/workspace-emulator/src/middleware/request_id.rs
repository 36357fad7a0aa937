//! `X-Request-Id` on every response.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use uuid::Uuid;

/// The id of the current request, also available to handlers as a request extension.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestId(pub(crate) Uuid);

/// Gives each request a new UUID and returns it as `X-Request-Id`. Like the platform, it ignores
/// any id the client sent.
pub(crate) async fn request_id(mut request: Request, next: Next) -> Response {
    let id = Uuid::new_v4();
    request.extensions_mut().insert(RequestId(id));
    let mut response = next.run(request).await;
    let value = HeaderValue::from_str(&id.to_string()).expect("a UUID is a valid header value");
    response.headers_mut().insert("x-request-id", value);
    response
}
