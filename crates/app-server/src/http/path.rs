//! A path-parameter extractor whose rejections use the API's error body.

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AppError, ErrorCode};

/// Like `axum::extract::Path`, but a bad segment (such as invalid UTF-8 after percent-decoding)
/// becomes a 400 `VALIDATION_ERROR`.
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(path_rejection_error(&rejection)),
        }
    }
}

fn path_rejection_error(rejection: &PathRejection) -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::ValidationError,
        format!("Invalid path parameter: {}", rejection.body_text()),
    )
}
