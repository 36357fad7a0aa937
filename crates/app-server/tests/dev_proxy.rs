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

fn client_without_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn header_text<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|value| value.to_str().expect("ASCII header"))
}

#[tokio::test]
async fn dev_routes_carry_security_headers() {
    let app = TestApp::start().await;
    let base = serve_behind_proxy(&app).await;
    let client = client_without_redirects();

    for (path, status) in [
        ("/__dev/users", 200),
        ("/__dev/user/bob@example.com", 303),
        ("/__dev/user/mallory@example.com", 404),
    ] {
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            header_text(&response, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header_text(&response, "content-security-policy"),
            Some(app_server::http::security_headers::CONTENT_SECURITY_POLICY),
            "{path}"
        );
        assert_eq!(
            header_text(&response, "referrer-policy"),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(
            header_text(&response, "cache-control"),
            Some("no-store"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn unknown_user_is_json_without_the_input() {
    let app = TestApp::start().await;
    let base = serve_behind_proxy(&app).await;

    for path in [
        "/__dev/user/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/__dev/user/%FF%FE",
    ] {
        let response = client_without_redirects()
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            header_text(&response, "content-type"),
            Some("application/json"),
            "{path}"
        );
        assert!(header_text(&response, "set-cookie").is_none(), "{path}");
        let text = response.text().await.expect("body");
        let body: serde_json::Value = serde_json::from_str(&text).expect("JSON body");
        assert_eq!(body["error_code"], "NOT_FOUND", "{path}");
        let detail = body["detail"].as_str().expect("detail");
        assert!(detail.contains("alice@example.com"), "{detail}");
        assert!(detail.contains("none"), "{detail}");
        assert!(!text.contains("script"), "input echoed: {text}");
    }
}

#[tokio::test]
async fn cross_site_switch_is_rejected() {
    let app = TestApp::start().await;
    let base = serve_behind_proxy(&app).await;

    for site in ["cross-site", "same-site"] {
        let response = client_without_redirects()
            .get(format!("{base}/__dev/user/bob@example.com"))
            .header("sec-fetch-site", site)
            .send()
            .await
            .expect("request");
        assert!(header_text(&response, "set-cookie").is_none(), "{site}");
        assert_eq!(
            header_text(&response, "cache-control"),
            Some("no-store"),
            "{site}"
        );
        common::assert_error(response, 403, "CSRF_REJECTED").await;
    }
}

#[tokio::test]
async fn same_origin_or_typed_switch_passes() {
    let app = TestApp::start().await;
    let base = serve_behind_proxy(&app).await;

    for site in [Some("same-origin"), Some("none"), None] {
        let mut request = client_without_redirects().get(format!("{base}/__dev/user/none"));
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), 303, "{site:?}");
        let cookie = header_text(&response, "set-cookie").expect("cookie");
        assert!(cookie.starts_with("dev_user=none;"), "{site:?}: {cookie}");
    }
}

#[tokio::test]
async fn dev_route_rejects_post_as_json() {
    let app = TestApp::start().await;
    let base = serve_behind_proxy(&app).await;

    for path in ["/__dev/users", "/__dev/user/bob@example.com"] {
        let response = app
            .http
            .post(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        assert_eq!(
            header_text(&response, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        common::assert_error(response, 405, "METHOD_NOT_ALLOWED").await;
    }
}
