//! Router assembly: the workspace API and the control plane behind shared middleware.

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};

use crate::middleware::{access_log, count_and_inject_faults, request_id};
use crate::state::AppState;
use crate::{api, control};

pub(crate) fn router(state: AppState) -> Router {
    let workspace = api::router().layer(from_fn_with_state(state.clone(), count_and_inject_faults));
    Router::new()
        .nest("/__emulator", control::router())
        .merge(workspace)
        // `Router::layer` wraps every route, so these layers see the matched route. The last
        // one added runs first.
        .layer(from_fn(access_log))
        .layer(from_fn(request_id))
        .with_state(state)
}
