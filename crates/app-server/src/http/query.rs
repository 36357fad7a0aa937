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
                format!(
                    "Invalid query string: {}",
                    explain_number_errors(&rejection.body_text())
                ),
            )),
        }
    }
}

/// Replaces the standard library's integer parse messages, which name no allowed values, with
/// what every numeric query parameter of this API takes: a whole number of 0 or more.
fn explain_number_errors(text: &str) -> String {
    text.replace(
        "invalid digit found in string",
        "expected a whole number of 0 or more",
    )
    .replace(
        "number too large to fit in target type",
        "the number is too large",
    )
    .replace(
        "cannot parse integer from empty string",
        "expected a whole number of 0 or more, got nothing",
    )
}

#[cfg(test)]
mod tests {
    use super::explain_number_errors;

    #[test]
    fn negative_number_message_names_allowed_values() {
        let text = "Failed to deserialize query string: limit: invalid digit found in string";

        assert_eq!(
            explain_number_errors(text),
            "Failed to deserialize query string: limit: expected a whole number of 0 or more"
        );
    }

    #[test]
    fn other_messages_are_kept() {
        let text = "Failed to deserialize query string: unknown field `x`";

        assert_eq!(explain_number_errors(text), text);
    }
}
