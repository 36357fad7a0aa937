//! The control plane under `/__emulator/`: unauthenticated JSON calls for tests and demos to mint
//! tokens, change users, inject faults and read call counts. It is never counted or faulted.

mod calls;
mod faults;
mod tokens;
mod users;

use axum::Router;
use axum::extract::FromRequest;
use axum::routing::{get, post};

use crate::errors::ControlError;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/tokens", post(tokens::mint))
        .route("/users/{user_name}", axum::routing::delete(users::delete))
        .route("/users/{user_name}/activate", post(users::activate))
        .route("/users/{user_name}/deactivate", post(users::deactivate))
        .route(
            "/faults",
            get(faults::list).post(faults::add).delete(faults::clear),
        )
        .route("/calls", get(calls::counts).delete(calls::clear))
        .route("/reset", post(calls::reset))
}

/// A JSON body whose rejection is a control-plane error body.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ControlError))]
pub(crate) struct ControlJson<T>(pub(crate) T);
