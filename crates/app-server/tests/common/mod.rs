//! `TestApp`: the real app on a loopback port, in front of a real workspace emulator and a real
//! database (a fresh SQLite file by default, or a fresh PostgreSQL database).

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

pub mod logs;
pub mod postgres;

use std::net::SocketAddr;
use std::sync::Arc;

use app_server::config::Config;
use app_server::state::AppState;
use app_server::store::{self, Store, StoreOptions};
use secrecy::SecretString;
use serde_json::Value;
use workspace_emulator::{Emulator, Fixture};

/// Which database a `TestApp` uses.
pub enum Database {
    Sqlite,
    Postgres,
    /// The database at this URL, as it is: a server the test controls itself.
    Url(SecretString),
    None,
}

/// A running app, its emulator and the handles that keep its resources alive.
pub struct TestApp {
    pub base_url: String,
    pub emulator: Emulator,
    pub http: reqwest::Client,
    pub state: AppState,
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres: Option<postgres::DatabaseGuard>,
}

impl TestApp {
    /// Starts the app on SQLite with the default fixture.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            database: Database::Sqlite,
            fixture: Fixture::default_fixture(),
            service_principal: true,
            env: Vec::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// `GET path` with an optional `X-Forwarded-Access-Token`.
    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.header("x-forwarded-access-token", token);
        }
        request.send().await.expect("request to the app failed")
    }

    /// `POST path` with a JSON body and an optional token.
    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = self.http.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.header("x-forwarded-access-token", token);
        }
        request.send().await.expect("request to the app failed")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.delete(self.url(path));
        if let Some(token) = token {
            request = request.header("x-forwarded-access-token", token);
        }
        request.send().await.expect("request to the app failed")
    }

    /// How often the emulator served `route` (e.g. `GET /api/2.0/preview/scim/v2/Me`).
    pub async fn upstream_calls(&self, route: &str) -> u64 {
        let body: Value = self
            .http
            .get(format!("{}/__emulator/calls", self.emulator.base_url()))
            .send()
            .await
            .expect("emulator call counts")
            .json()
            .await
            .expect("emulator call counts as JSON");
        body["counts"][route].as_u64().unwrap_or(0)
    }

    /// Mints a JWT-shaped token for `user_name` that expires after `ttl_seconds` (may be negative).
    pub async fn mint_token(&self, user_name: &str, ttl_seconds: i64) -> String {
        let body: Value = self
            .http
            .post(format!("{}/__emulator/tokens", self.emulator.base_url()))
            .json(&serde_json::json!({ "user_name": user_name, "ttl_seconds": ttl_seconds }))
            .send()
            .await
            .expect("mint a token")
            .json()
            .await
            .expect("minted token as JSON");
        body["token"].as_str().expect("token field").to_owned()
    }

    /// Queues an emulator fault (see the emulator's README for the fields).
    pub async fn inject_fault(&self, fault: Value) {
        let response = self
            .http
            .post(format!("{}/__emulator/faults", self.emulator.base_url()))
            .json(&fault)
            .send()
            .await
            .expect("inject a fault");
        assert_eq!(response.status(), 201, "fault accepted: {fault}");
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store.clone().expect("this TestApp has a store")
    }
}

pub struct TestAppBuilder {
    database: Database,
    fixture: Fixture,
    service_principal: bool,
    env: Vec<(String, String)>,
}

impl TestAppBuilder {
    pub fn database(mut self, database: Database) -> Self {
        self.database = database;
        self
    }

    pub fn fixture(mut self, fixture: Fixture) -> Self {
        self.fixture = fixture;
        self
    }

    pub fn without_service_principal(mut self) -> Self {
        self.service_principal = false;
        self
    }

    /// Sets a configuration variable as if it were in the environment.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    pub async fn start(self) -> TestApp {
        let emulator = Emulator::start(self.fixture, loopback())
            .await
            .expect("start the workspace emulator");

        let (store, sqlite_dir, postgres) = open_database(self.database).await;

        let mut env = self.env;
        env.push(("DATABRICKS_HOST".into(), emulator.base_url()));
        if self.service_principal {
            env.push((
                "DATABRICKS_CLIENT_ID".into(),
                workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_ID.into(),
            ));
            env.push((
                "DATABRICKS_CLIENT_SECRET".into(),
                workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_SECRET.into(),
            ));
        }
        let config = Config::from_lookup(|name| {
            env.iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        })
        .expect("test configuration is valid");
        let state = AppState::new(config, store).expect("build the app state");

        let listener = tokio::net::TcpListener::bind(loopback())
            .await
            .expect("bind the app");
        let address = listener.local_addr().expect("app address");
        let router = app_server::http::router(state.clone());
        tokio::spawn(async move {
            app_server::http::server::serve(listener, router, std::future::pending())
                .await
                .expect("serve the app");
        });

        TestApp {
            base_url: format!("http://{address}"),
            emulator,
            http: reqwest::Client::new(),
            state,
            _sqlite_dir: sqlite_dir,
            _postgres: postgres,
        }
    }
}

async fn open_database(
    database: Database,
) -> (
    Option<Arc<dyn Store>>,
    Option<tempfile::TempDir>,
    Option<postgres::DatabaseGuard>,
) {
    match database {
        Database::None => (None, None, None),
        Database::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}", dir.path().join("app.db").display());
            let store = connect_and_migrate(&SecretString::from(url)).await;
            (Some(store), Some(dir), None)
        }
        Database::Postgres => {
            let (url, guard) = postgres::fresh_postgres_database().await;
            let store = connect_and_migrate(&url).await;
            (Some(store), None, Some(guard))
        }
        Database::Url(url) => (Some(connect_and_migrate(&url).await), None, None),
    }
}

async fn connect_and_migrate(url: &SecretString) -> Arc<dyn Store> {
    let store = store::connect(url, &StoreOptions::default())
        .await
        .expect("connect to the test database");
    store.migrate_up().await.expect("apply migrations");
    store
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Reads a JSON body, failing with the raw text when it is not JSON.
pub async fn json_body(response: reqwest::Response) -> Value {
    let text = response.text().await.expect("response body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("body is not JSON: {text}"))
}

/// Asserts status and `error_code` of an error response and returns its body.
pub async fn assert_error(response: reqwest::Response, status: u16, error_code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let body = json_body(response).await;
    assert_eq!(body["error_code"], error_code, "error_code in {body}");
    assert!(
        body["correlation_id"].is_string(),
        "correlation_id in {body}"
    );
    body
}
