//! The `/__dev` routes of the emulator's dev proxy: `GET /__dev/users` lists the users it can sign
//! in, and `GET /__dev/user/{user_name}` sets the `dev_user` cookie and redirects to `/`.
//!
//! These routes sit outside the app's router, so they add the app's security headers,
//! `Cache-Control: no-store` and the correlation ID themselves. Their errors use the app's JSON
//! error body.

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;

use super::{DevProxy, NO_USER, USER_COOKIE};
use crate::error::{AppError, ErrorCode};
use crate::http::csrf::{SEC_FETCH_SITE, is_fetched_by_another_site};
use crate::http::{correlation, security_headers};

/// Builds the `/__dev` routes for `proxy`, with the security headers on every response.
pub(super) fn routes(proxy: DevProxy) -> Router {
    Router::new()
        .route("/__dev/users", get(list_users).fallback(method_not_allowed))
        .route(
            "/__dev/user/{user_name}",
            get(select_user).fallback(method_not_allowed),
        )
        .with_state(proxy)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(middleware::from_fn(correlation::layer))
        .layer(middleware::from_fn(security_headers::layer))
}

async fn list_users(State(proxy): State<DevProxy>, headers: HeaderMap) -> impl IntoResponse {
    let selected = proxy.selected(&headers).map(|user| user.user_name.clone());
    axum::Json(serde_json::json!({ "users": *proxy.users, "selected": selected }))
}

/// Sets the `dev_user` cookie to a known user name, or to `none`, and redirects to `/`.
///
/// A request that another site started (`Sec-Fetch-Site` other than `same-origin` or `none`) is
/// rejected, so that a link or image on another page cannot switch the developer's user. A
/// request without `Sec-Fetch-Site` (curl, older browsers) passes.
async fn select_user(
    State(proxy): State<DevProxy>,
    headers: HeaderMap,
    user_name: Result<Path<String>, PathRejection>,
) -> Response {
    if is_fetched_by_another_site(&headers) {
        tracing::warn!(
            sec_fetch_site = headers
                .get(SEC_FETCH_SITE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or(""),
            "dev user switch rejected as cross-site"
        );
        return AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::CsrfRejected,
            "Cross-site request rejected: only a page of this app, or a URL typed in the address \
             bar, can switch the dev user",
        )
        .into_response();
    }

    let known = user_name
        .ok()
        .map(|Path(name)| name)
        .filter(|name| name == NO_USER || proxy.users.iter().any(|user| user.user_name == *name));
    let Some(user_name) = known else {
        return unknown_user(&proxy).into_response();
    };

    let cookie = format!("{USER_COOKIE}={user_name}; Path=/; HttpOnly; SameSite=Lax");
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Builds the 404 for an unknown user name. It lists the valid names and leaves out the requested
/// one, so that no input is reflected in the response.
fn unknown_user(proxy: &DevProxy) -> AppError {
    let names: Vec<&str> = proxy
        .users
        .iter()
        .map(|user| user.user_name.as_str())
        .chain([NO_USER])
        .collect();
    AppError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("Unknown dev user: use one of {}", names.join(", ")),
    )
}

async fn method_not_allowed(method: Method) -> AppError {
    AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!("The /__dev routes accept GET and HEAD, not {method}"),
    )
}
