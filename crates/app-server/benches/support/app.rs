//! The app under measurement: its router and state in process, in front of a workspace emulator on
//! a loopback port that serves the one SCIM `Me` call each token needs before it is cached.

use std::net::{Ipv4Addr, SocketAddr};

use app_server::config::Config;
use app_server::state::AppState;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tower::ServiceExt;
use workspace_emulator::{Emulator, Fixture};

/// The user whose identity the benches resolve.
const USER_NAME: &str = "alice@example.com";

/// Personal access token of `USER_NAME` in the emulator's default fixture.
const FIXTURE_PAT: &str = "dapi-alice-dev";

/// Lifetime of the minted JWT and of cache entries. The default cache TTL of 60 s is shorter than
/// a full bench run, and an entry that expires mid-run would send a SCIM call while measuring.
const CACHE_TTL_SECONDS: u64 = 3_600;

/// Largest response body the benches read, in bytes.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A running emulator, the app's state and router, and two tokens whose identities are cached.
pub struct BenchApp {
    pub router: Router,
    pub state: AppState,
    /// A JWT minted by the emulator, shaped like the tokens the Databricks Apps proxy forwards.
    pub jwt: SecretString,
    /// An opaque personal access token, which skips the JWT `exp` check.
    pub pat: SecretString,
    emulator: Emulator,
    http: reqwest::Client,
}

impl BenchApp {
    /// Starts the emulator, builds the app against it and mints a JWT for `USER_NAME`.
    pub async fn start() -> Self {
        let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let emulator = Emulator::start(Fixture::default_fixture(), loopback)
            .await
            .expect("the workspace emulator starts on a loopback port");
        let host = emulator.base_url();

        let ttl = CACHE_TTL_SECONDS.to_string();
        let config = Config::from_lookup(|name| match name {
            "DATABRICKS_HOST" => Some(host.clone()),
            "IDENTITY_CACHE_TTL_SECONDS" => Some(ttl.clone()),
            _ => None,
        })
        .expect("the bench configuration is valid");
        let state = AppState::new(config, None).expect("the app state builds");
        let router = app_server::http::router(state.clone());

        let http = reqwest::Client::new();
        let jwt = mint_token(&http, &emulator.base_url()).await;
        Self {
            router,
            state,
            jwt,
            pat: SecretString::from(FIXTURE_PAT),
            emulator,
            http,
        }
    }

    /// Resolves both tokens once through the router, so later requests hit the identity cache.
    pub async fn warm_cache(&self) {
        for token in [&self.jwt, &self.pat] {
            let response = self
                .router
                .clone()
                .oneshot(get("/api/user/me", Some(token)))
                .await
                .expect("the router is infallible");
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "warming the identity cache failed: GET /api/user/me did not return 200"
            );
        }
    }

    /// Workspace API calls the emulator has served so far, by method and route template.
    pub async fn upstream_calls(&self) -> Value {
        let body: Value = self
            .http
            .get(format!("{}/__emulator/calls", self.emulator.base_url()))
            .send()
            .await
            .expect("the emulator returns its call counts")
            .json()
            .await
            .expect("the emulator's call counts are JSON");
        body["counts"].clone()
    }

    /// Panics when the emulator served any workspace call since `before` was read, because then
    /// the numbers measured a network round trip instead of the cached path.
    pub async fn assert_no_upstream_calls_since(&self, before: &Value, measured: &str) {
        let after = self.upstream_calls().await;
        assert_eq!(
            &after, before,
            "{measured} called the workspace emulator while measuring (calls before: {before}, \
             after: {after}); the identity was not served from the cache, so these numbers are \
             invalid"
        );
    }
}

/// Builds `GET path`, with `X-Forwarded-Access-Token` when a token is given.
pub fn get(path: &str, token: Option<&SecretString>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header("x-forwarded-access-token", token.expose_secret());
    }
    request
        .body(Body::empty())
        .expect("a GET with a static path and an ASCII token header is a valid request")
}

async fn mint_token(http: &reqwest::Client, emulator_url: &str) -> SecretString {
    let body: Value = http
        .post(format!("{emulator_url}/__emulator/tokens"))
        .json(&json!({ "user_name": USER_NAME, "ttl_seconds": CACHE_TTL_SECONDS }))
        .send()
        .await
        .expect("the emulator mints a token")
        .json()
        .await
        .expect("the minted token is JSON");
    let token = body["token"]
        .as_str()
        .expect("the emulator's response has a token field");
    SecretString::from(token)
}

/// Sends one request through a clone of the router (an `Arc` clone) and reads the whole body.
pub async fn call(router: &Router, request: Request<Body>) -> Bytes {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the benched route must succeed, or the bench measures an error path"
    );
    axum::body::to_bytes(response.into_body(), MAX_RESPONSE_BYTES)
        .await
        .expect("the response body is shorter than the limit")
}
