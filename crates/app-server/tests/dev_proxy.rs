//! The development proxy layer: strips client identity headers and signs in the chosen user.

mod common;

use app_server::dev::{DevProxy, DevUser};
use common::{TestApp, json_body};

fn dev_users() -> Vec<DevUser> {
    [
        ("alice@example.com", "dapi-alice-dev"),
        ("bob@example.com", "dapi-bob-dev"),
    ]
    .into_iter()
    .enumerate()
    .map(|(index, (user_name, token))| DevUser {
        user_name: user_name.to_owned(),
        display_name: user_name.to_owned(),
        scim_id: format!("100{index}"),
        token: token.to_owned(),
        active: true,
    })
    .collect()
}

/// Serves the app behind the dev proxy and returns its base URL.
async fn serve_behind_proxy(app: &TestApp) -> String {
    let router = DevProxy::new(dev_users(), "1234".to_owned())
        .wrap(app_server::http::router(app.state.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    format!("http://{address}")
}

#[tokio::test]
async fn default_user_is_the_first_one() {
    let app = TestApp::start().await;
    let base = serve_behind_proxy(&app).await;

    let body = json_body(
        app.http
            .get(format!("{base}/api/user/me"))
            .send()
            .await
            .expect("request"),
    )
    .await;

    assert_eq!(body["user_id"], "alice@example.com");
}

#[tokio::test]
async fn cookie_selects_the_user() {
    let app = TestApp::start().await;
    let base = serve_behind_proxy(&app).await;

    let response = app
        .http
        .get(format!("{base}/api/user/me"))
        .header("cookie", "other=1; dev_user=bob@example.com")
        .send()
        .await
        .expect("request");

    assert_eq!(json_body(response).await["user_id"], "bob@example.com");
}

#[tokio::test]
async fn client_sent_token_is_replaced() {
    let app = TestApp::start().await;
    let base = serve_behind_proxy(&app).await;

    let response = app
        .http
        .get(format!("{base}/api/user/me"))
        .header("x-forwarded-access-token", "dapi-bob-dev")
        .header("x-forwarded-email", "bob@example.com")
        .send()
        .await
        .expect("request");

    assert_eq!(json_body(response).await["user_id"], "alice@example.com");
}

#[tokio::test]
async fn none_sends_no_token() {
    let app = TestApp::start().await;
    let base = serve_behind_proxy(&app).await;

    let response = app
        .http
        .get(format!("{base}/api/auth/status"))
        .header("cookie", "dev_user=none")
        .header("x-forwarded-access-token", "dapi-bob-dev")
        .send()
        .await
        .expect("request");

    assert_eq!(json_body(response).await["auth_mode"], "service_principal");
}

#[tokio::test]
async fn switch_route_sets_cookie_and_rejects_unknown_users() {
    let app = TestApp::start().await;
    let base = serve_behind_proxy(&app).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let switched = no_redirects
        .get(format!("{base}/__dev/user/bob@example.com"))
        .send()
        .await
        .expect("request");
    assert_eq!(switched.status(), 303);
    let cookie = switched.headers()["set-cookie"].to_str().expect("cookie");
    assert!(cookie.starts_with("dev_user=bob@example.com;"), "{cookie}");

    let unknown = no_redirects
        .get(format!("{base}/__dev/user/mallory@example.com"))
        .send()
        .await
        .expect("request");
    assert_eq!(unknown.status(), 404);
}
