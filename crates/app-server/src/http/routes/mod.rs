//! Route handlers, one file per area.

pub mod admin;
pub mod assets;
pub mod health;
pub mod model_serving;
pub mod preferences;
pub mod unity_catalog;
pub mod user;

use std::any::Any;

use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// Turns a handler panic into an opaque 500 and logs it once.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the signature CatchPanicLayer::custom requires"
)]
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic payload");
    let error = std::io::Error::other(format!("handler panicked: {message}"));
    AppError::internal(&error).into_response()
}
