//! A JSON body extractor whose rejections use the API's error body.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{AppError, ErrorCode};

/// Like `axum::Json`, but a bad body becomes `VALIDATION_ERROR` or `PAYLOAD_TOO_LARGE`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection_error(&rejection)),
        }
    }
}

fn json_rejection_error(rejection: &JsonRejection) -> AppError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::ValidationError,
            "Content-Type must be application/json",
        ),
        JsonRejection::JsonSyntaxError(error) => AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationError,
            format!("The body is not valid JSON: {}", error.body_text()),
        ),
        JsonRejection::JsonDataError(error) => AppError::validation(format!(
            "The body does not match the expected fields: {}",
            error.body_text()
        )),
        JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                "The request body is larger than this route accepts",
            )
        }
        _ => AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationError,
            format!(
                "The request body could not be read: {}",
                rejection.body_text()
            ),
        ),
    }
}
