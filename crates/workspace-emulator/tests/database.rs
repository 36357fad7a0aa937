//! The Lakebase database API: instances, both credential calls, and the passwords they set on a
//! real local PostgreSQL server.
//!
//! Tests that log in need `TEST_POSTGRES_URL` (a superuser URL, set by `scripts/test.sh`) and a
//! server that checks passwords of roles other than that superuser. Each test uses a service
//! principal with a random application id, so parallel tests never share a role.

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _, PgConnection};
use workspace_emulator::{Emulator, Fixture};

const SP_SECRET: &str = "database-test-secret";

/// A running emulator whose fixture has one instance, one endpoint and a fresh service principal.
struct Workspace {
    emulator: Emulator,
    sp_id: String,
    http: reqwest::Client,
}

fn server_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .expect("TEST_POSTGRES_URL is not set: run the tests with scripts/test.sh")
}

impl Workspace {
    /// Starts an emulator; `server` adds `admin_url` pointing at the test server.
    async fn start(credential_ttl_seconds: u64, server: bool) -> Self {
        let sp_id = uuid::Uuid::new_v4().to_string();
        let admin_url = if server {
            format!("admin_url = \"{}\"\n", server_url())
        } else {
            String::new()
        };
        let fixture = Fixture::from_toml_str(&format!(
            r#"
[workspace]
workspace_id = "42"

[[service_principals]]
application_id = "{sp_id}"
display_name = "Database Test App"
id = "7001"
secret = "{SP_SECRET}"

[database]
{admin_url}credential_ttl_seconds = {credential_ttl_seconds}

[[database.instances]]
name = "app-db"
host = "127.0.0.1"

[[database.endpoints]]
name = "projects/p1/branches/main/endpoints/ep-1"
host = "127.0.0.1"
"#
        ))
        .expect("valid fixture");
        let emulator = Emulator::start(fixture, "127.0.0.1:0".parse().expect("address"))
            .await
            .expect("emulator starts");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("HTTP client");
        Self {
            emulator,
            sp_id,
            http,
        }
    }

    /// An OAuth token of the service principal, from the control plane.
    async fn sp_token(&self) -> String {
        let body: Value = self
            .http
            .post(format!("{}/__emulator/tokens", self.emulator.base_url()))
            .json(&json!({"user_name": self.sp_id, "ttl_seconds": 600}))
            .send()
            .await
            .expect("control plane answers")
            .json()
            .await
            .expect("JSON body");
        body["token"].as_str().expect("token").to_owned()
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.emulator.base_url()))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("emulator answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.emulator.base_url()))
            .bearer_auth(token)
            .send()
            .await
            .expect("emulator answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// Mints a Provisioned credential for `app-db` and returns `(token, expiration_time)`.
    async fn mint(&self, sp_token: &str) -> (String, String) {
        let (status, body) = self
            .post(
                "/api/2.0/database/credentials",
                Some(sp_token),
                &json!({"instance_names": ["app-db"], "request_id": uuid::Uuid::new_v4()}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        (
            body["token"].as_str().expect("token").to_owned(),
            body["expiration_time"]
                .as_str()
                .expect("expiration_time")
                .to_owned(),
        )
    }

    /// Logs in to the test server as the service principal's role with `password`.
    async fn login(&self, password: &str) -> Result<PgConnection, sqlx::Error> {
        let server: PgConnectOptions = server_url().parse().expect("valid TEST_POSTGRES_URL");
        server
            .username(&self.sp_id)
            .password(password)
            .database("postgres")
            .connect()
            .await
    }

    /// Drops the role the emulator created.
    async fn drop_role(&self) {
        let mut admin = PgConnection::connect(&server_url())
            .await
            .expect("superuser connection");
        let statement: String = sqlx::query_scalar("SELECT format('DROP ROLE IF EXISTS %I', $1)")
            .bind(&self.sp_id)
            .fetch_one(&mut admin)
            .await
            .expect("format DROP ROLE");
        sqlx::raw_sql(AssertSqlSafe(statement))
            .execute(&mut admin)
            .await
            .expect("drop role");
    }
}

fn assert_invalid_password(result: Result<PgConnection, sqlx::Error>) {
    match result {
        Err(sqlx::Error::Database(error)) => {
            assert_eq!(error.code().as_deref(), Some("28P01"), "{error}");
        }
        Err(other) => panic!("expected SQLSTATE 28P01, got {other}"),
        Ok(_) => panic!("expected SQLSTATE 28P01, but the login succeeded"),
    }
}

#[tokio::test]
async fn credential_logs_in_until_it_expires() {
    let workspace = Workspace::start(2, true).await;
    let sp_token = workspace.sp_token().await;

    let (token, expiration_time) = workspace.mint(&sp_token).await;
    let expires_at =
        chrono::DateTime::parse_from_rfc3339(&expiration_time).expect("RFC 3339 expiration_time");
    let lifetime = expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(
        lifetime <= chrono::TimeDelta::seconds(2) && lifetime > chrono::TimeDelta::zero(),
        "{lifetime}"
    );
    let mut connection = workspace.login(&token).await.expect("login before expiry");
    let user: String = sqlx::query_scalar("SELECT current_user::TEXT")
        .fetch_one(&mut connection)
        .await
        .expect("query");
    assert_eq!(user, workspace.sp_id);

    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_invalid_password(workspace.login(&token).await);
    let still_open: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut connection)
        .await
        .expect("an open connection outlives its password");
    assert_eq!(still_open, 1);

    connection.close().await.expect("close");
    workspace.drop_role().await;
}

#[tokio::test]
async fn new_credential_replaces_the_previous_password() {
    let workspace = Workspace::start(60, true).await;
    let sp_token = workspace.sp_token().await;

    let (first, _) = workspace.mint(&sp_token).await;
    let (second, _) = workspace.mint(&sp_token).await;
    assert_ne!(first, second);
    assert_invalid_password(workspace.login(&first).await);
    let connection = workspace.login(&second).await.expect("login");

    connection.close().await.expect("close");
    workspace.drop_role().await;
}

#[tokio::test]
async fn autoscaling_credential_logs_in() {
    let workspace = Workspace::start(60, true).await;
    let sp_token = workspace.sp_token().await;

    let (status, body) = workspace
        .post(
            "/api/2.0/postgres/credentials",
            Some(&sp_token),
            &json!({"endpoint": "projects/p1/branches/main/endpoints/ep-1"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["expire_time"].is_string(), "{body}");
    assert!(body.get("expiration_time").is_none(), "{body}");
    let token = body["token"].as_str().expect("token");
    let connection = workspace.login(token).await.expect("login");

    connection.close().await.expect("close");
    workspace.drop_role().await;
}

#[tokio::test]
async fn credential_without_server_is_still_minted() {
    let workspace = Workspace::start(60, false).await;
    let sp_token = workspace.sp_token().await;

    let (token, expiration_time) = workspace.mint(&sp_token).await;
    assert!(token.len() >= 32, "{token}");
    assert!(
        chrono::DateTime::parse_from_rfc3339(&expiration_time).is_ok(),
        "{expiration_time}"
    );
}

#[tokio::test]
async fn instance_reports_fixture_host() {
    let workspace = Workspace::start(60, false).await;
    let sp_token = workspace.sp_token().await;

    let (status, body) = workspace
        .get("/api/2.0/database/instances/app-db", &sp_token)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "app-db");
    assert_eq!(body["state"], "AVAILABLE");
    assert_eq!(body["read_write_dns"], "127.0.0.1");
    assert!(
        body["uid"].as_str().is_some_and(|uid| uid.len() == 36),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_instance_or_endpoint_is_not_found() {
    let workspace = Workspace::start(60, false).await;
    let sp_token = workspace.sp_token().await;

    let (status, body) = workspace
        .get("/api/2.0/database/instances/missing-db", &sp_token)
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error_code"], "RESOURCE_DOES_NOT_EXIST");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("missing-db")),
        "{body}"
    );

    let (status, body) = workspace
        .post(
            "/api/2.0/database/credentials",
            Some(&sp_token),
            &json!({"instance_names": ["app-db", "missing-db"]}),
        )
        .await;
    assert_eq!(status, 404, "{body}");

    let (status, body) = workspace
        .post(
            "/api/2.0/postgres/credentials",
            Some(&sp_token),
            &json!({"endpoint": "projects/p1/branches/main/endpoints/other"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error_code"], "RESOURCE_DOES_NOT_EXIST");
}

#[tokio::test]
async fn credential_request_needs_a_target() {
    let workspace = Workspace::start(60, false).await;
    let sp_token = workspace.sp_token().await;

    let (status, body) = workspace
        .post("/api/2.0/database/credentials", Some(&sp_token), &json!({}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "INVALID_PARAMETER_VALUE");

    let (status, body) = workspace
        .post("/api/2.0/postgres/credentials", Some(&sp_token), &json!({}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("endpoint")),
        "{body}"
    );
}

#[tokio::test]
async fn credential_requires_a_bearer_token() {
    let workspace = Workspace::start(60, false).await;

    let (status, body) = workspace
        .post(
            "/api/2.0/database/credentials",
            None,
            &json!({"instance_names": ["app-db"]}),
        )
        .await;
    assert_eq!(status, 401, "{body}");
}

#[test]
fn zero_lifetime_fixture_is_rejected() {
    let error = Fixture::from_toml_str(
        "[workspace]\nworkspace_id = \"42\"\n[database]\ncredential_ttl_seconds = 0\n",
    )
    .expect_err("zero lifetime");
    assert!(
        error.to_string().contains("credential_ttl_seconds"),
        "{error}"
    );
}
