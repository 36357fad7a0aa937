//! A query-string extractor whose rejections use the API's error body.

use axum::extract::{FromRequestParts, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{AppError, ErrorCode};

/// Like `axum::extract::Query`, but a value of the wrong type (or an unknown parameter, when the
/// target type denies unknown fields) becomes a 400 `VALIDATION_ERROR`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(AppError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::ValidationError,
                format!("Invalid query string: {}", rejection.body_text()),
            )),
        }
    }
}
