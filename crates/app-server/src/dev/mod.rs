//! Development mode: a layer that plays the Databricks Apps proxy in front of the app.
//!
//! Like the platform's proxy, it removes every `X-Forwarded-*` header the client sent and injects
//! the signed-in user's token and identity headers. The "signed-in" user is chosen with the
//! `dev_user` cookie (set by `GET /__dev/user/{user_name}`; `none` sends no token, to show the
//! service-principal fallback). This layer exists only in `app-server dev`, never in `serve`.
//!
//! With `dev --workspace`, [`developer_proxy`] plays the proxy instead: it injects the
//! developer's own token from the Databricks CLI, and there is no user to switch to.

pub mod cli_token;
pub mod developer;
pub mod developer_proxy;
mod user_switch;
pub mod workspace_choice;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use serde::Serialize;

/// Cookie naming the user the dev proxy signs in.
pub const USER_COOKIE: &str = "dev_user";

/// Cookie value that makes the dev proxy send no user token.
pub const NO_USER: &str = "none";

/// A user the dev proxy can sign in.
#[derive(Debug, Clone, Serialize)]
pub struct DevUser {
    pub user_name: String,
    pub display_name: String,
    /// The SCIM id, used for `X-Forwarded-User` (`<id>@<workspace id>` on the platform).
    pub scim_id: String,
    #[serde(skip)]
    pub token: String,
    pub active: bool,
}

/// The users of the emulated workspace and which one is signed in by default.
#[derive(Debug, Clone)]
pub struct DevProxy {
    users: Arc<Vec<DevUser>>,
    workspace_id: String,
}

impl DevProxy {
    /// The first user is the default one.
    pub fn new(users: Vec<DevUser>, workspace_id: String) -> Self {
        Self {
            users: Arc::new(users),
            workspace_id,
        }
    }

    /// Wraps `app` with the proxy layer and adds the `/__dev` routes.
    pub fn wrap(self, app: Router) -> Router {
        app.merge(user_switch::routes(self.clone()))
            .layer(middleware::from_fn_with_state(self, inject_identity))
    }

    fn selected(&self, headers: &HeaderMap) -> Option<&DevUser> {
        match cookie(headers, USER_COOKIE) {
            Some(NO_USER) => None,
            Some(name) => self
                .users
                .iter()
                .find(|user| user.user_name == name)
                .or_else(|| self.users.first()),
            None => self.users.first(),
        }
    }
}

async fn inject_identity(
    State(proxy): State<DevProxy>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers_mut();
    let identity = proxy.selected(headers).map(|user| ForwardedIdentity {
        token: user.token.clone(),
        user_name: user.user_name.clone(),
        forwarded_user: format!("{}@{}", user.scim_id, proxy.workspace_id),
    });
    set_forwarded_headers(headers, identity.as_ref());
    next.run(request).await
}

/// The identity the Databricks Apps proxy forwards for a signed-in user.
pub(crate) struct ForwardedIdentity {
    pub token: String,
    pub user_name: String,
    /// `X-Forwarded-User`: `<SCIM id>@<workspace id>` on the platform.
    pub forwarded_user: String,
}

/// Removes every `X-Forwarded-*` header the client sent and, for a signed-in user, inserts the
/// token and identity headers the Apps proxy would.
pub(crate) fn set_forwarded_headers(headers: &mut HeaderMap, identity: Option<&ForwardedIdentity>) {
    let client_sent: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("x-forwarded-"))
        .cloned()
        .collect();
    for name in client_sent {
        headers.remove(name);
    }

    if let Some(identity) = identity {
        for (name, value) in [
            ("x-forwarded-access-token", identity.token.as_str()),
            ("x-forwarded-email", identity.user_name.as_str()),
            (
                "x-forwarded-preferred-username",
                identity.user_name.as_str(),
            ),
            ("x-forwarded-user", identity.forwarded_user.as_str()),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
}

/// Returns the value of cookie `name` from the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}
