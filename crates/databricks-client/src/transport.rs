//! One HTTP exchange: send a request, read the whole body, turn failures into [`ApiError`].

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};

use crate::error::{ApiError, ErrorKind};

/// The maximum size of a success body read into memory, in bytes. A larger body is a decode
/// error. NOTE: an estimate with room for large Unity Catalog list pages, not a measured size.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The maximum part of an error body kept for parsing, in bytes. Error bodies are small, so a
/// larger one is cut, not rejected.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// A success response with its body read.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Sends `request` and reads the response. `context` (such as `"GET /api/2.0/..."`) prefixes the
/// message of transport errors. A non-success status becomes an [`ErrorKind::Http`] error.
pub(crate) async fn execute(
    request: reqwest::RequestBuilder,
    context: &str,
) -> Result<RawResponse, ApiError> {
    let response = request
        .send()
        .await
        .map_err(|error| ApiError::from_transport(context, error))?;
    let status = response.status();
    let headers = response.headers().clone();

    if !status.is_success() {
        let (body, _truncated) = read_body(response, MAX_ERROR_BODY_BYTES)
            .await
            .map_err(|error| ApiError::from_transport(context, error))?;
        return Err(ApiError::from_response(status, &headers, &body));
    }

    let (body, truncated) = read_body(response, MAX_BODY_BYTES)
        .await
        .map_err(|error| ApiError::from_transport(context, error))?;
    if truncated {
        return Err(ApiError::without_response(
            ErrorKind::Decode,
            format!("{context}: response body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

/// Reads at most `limit` bytes of the body and reports whether more was sent.
async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<(Bytes, bool), reqwest::Error> {
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body.freeze(), true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body.freeze(), false))
}
