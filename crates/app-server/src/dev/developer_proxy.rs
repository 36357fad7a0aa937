//! The proxy layer of `dev --workspace`: every request is signed in as the developer, with the
//! developer's current token from the Databricks CLI.

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use secrecy::ExposeSecret;

use super::developer::DeveloperSession;
use super::{ForwardedIdentity, set_forwarded_headers};

/// Wraps `app` with the layer. Unlike the emulator's dev proxy it adds no `/__dev` routes,
/// because the developer is the only user.
pub fn wrap(session: DeveloperSession, app: Router) -> Router {
    app.layer(middleware::from_fn_with_state(session, inject_developer))
}

async fn inject_developer(
    State(session): State<DeveloperSession>,
    mut request: Request,
    next: Next,
) -> Response {
    let signed = session.current();
    let forwarded_user = match &signed.workspace_id {
        Some(workspace_id) => format!("{}@{workspace_id}", signed.scim_id),
        None => signed.scim_id.clone(),
    };
    let identity = ForwardedIdentity {
        token: signed.token.expose_secret().to_owned(),
        user_name: signed.user_name,
        forwarded_user,
    };
    set_forwarded_headers(request.headers_mut(), Some(&identity));
    next.run(request).await
}
