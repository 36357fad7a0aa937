//! A Lakebase stand-in for tests: the workspace emulator minting credentials that are real
//! passwords, with an expiry, of a real PostgreSQL role on the test cluster.
//!
//! Each harness has a service principal with a random application id, whose role owns a fresh
//! database, so parallel tests never share a role or a password.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use std::time::Duration;

use app_server::lakebase::{
    self, CredentialTarget, LakebaseSettings, LakebaseStore, RefreshPolicy, SslMode,
};
use app_server::store::StoreOptions;
use databricks_client::{Credentials, SecretString, Workspace, WorkspaceClient, WorkspaceOptions};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Connection as _, PgConnection};
use workspace_emulator::{Emulator, Fixture};

use crate::postgres_db::{self, DatabaseGuard};

pub const SP_SECRET: &str = "lakebase-test-secret";
pub const ALICE_TOKEN: &str = "dapi-alice-lakebase";
pub const CREDENTIALS_ROUTE: &str = "POST /api/2.0/database/credentials";

pub struct Lakebase {
    pub emulator: Emulator,
    pub sp_id: String,
    pub database: DatabaseGuard,
    pub port: u16,
    pub http: reqwest::Client,
}

impl Lakebase {
    /// Starts an emulator whose credentials live `credential_ttl_seconds` and whose service
    /// principal's role owns a fresh database.
    pub async fn start(credential_ttl_seconds: u64) -> Self {
        let sp_id = uuid::Uuid::new_v4().to_string();
        let server_url = postgres_db::server_url();
        let port = url::Url::parse(&server_url)
            .expect("valid TEST_POSTGRES_URL")
            .port()
            .unwrap_or(5432);
        let fixture = Fixture::from_toml_str(&format!(
            r#"
[workspace]
workspace_id = "42"

[[users]]
user_name = "alice@example.com"
display_name = "Alice Example"
id = "1001"
token = "{ALICE_TOKEN}"

[[service_principals]]
application_id = "{sp_id}"
display_name = "Lakebase Test App"
id = "2001"
secret = "{SP_SECRET}"

[database]
admin_url = "{server_url}"
credential_ttl_seconds = {credential_ttl_seconds}

[[database.instances]]
name = "app-db"
host = "127.0.0.1"
"#
        ))
        .expect("valid fixture");
        let emulator = Emulator::start(fixture, "127.0.0.1:0".parse().expect("address"))
            .await
            .expect("emulator starts");
        let database = postgres_db::fresh_postgres_database_owned_by(&sp_id).await;
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("HTTP client");
        Self {
            emulator,
            sp_id,
            database,
            port,
            http,
        }
    }

    /// Settings as the platform would set them, with the user left to SCIM `Me`.
    pub fn settings(&self) -> LakebaseSettings {
        LakebaseSettings {
            target: CredentialTarget::Instance("app-db".to_owned()),
            host: Some("127.0.0.1".to_owned()),
            port: self.port,
            database: self.database.name().to_owned(),
            user: None,
            ssl_mode: None,
        }
    }

    /// Settings that demand TLS, which the test cluster does not offer.
    pub fn settings_requiring_tls(&self) -> LakebaseSettings {
        LakebaseSettings {
            ssl_mode: Some(SslMode::Require),
            ..self.settings()
        }
    }

    /// Builds the service principal's workspace client.
    pub fn client(&self) -> WorkspaceClient {
        let workspace = Workspace::new(&self.emulator.base_url(), WorkspaceOptions::default())
            .expect("workspace");
        workspace.client(Credentials::ServicePrincipal {
            client_id: self.sp_id.clone(),
            client_secret: SecretString::from(SP_SECRET),
        })
    }

    /// Opens the Lakebase store with `options` and `policy`.
    pub async fn connect(&self, options: &StoreOptions, policy: RefreshPolicy) -> LakebaseStore {
        lakebase::connect(&self.settings(), &self.client(), options, policy)
            .await
            .unwrap_or_else(|error| panic!("connect to Lakebase: {error}"))
    }

    /// Returns the environment of an app using this Lakebase, for `Config::from_lookup`.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("DATABRICKS_HOST", self.emulator.base_url()),
            ("DATABRICKS_CLIENT_ID", self.sp_id.clone()),
            ("DATABRICKS_CLIENT_SECRET", SP_SECRET.to_owned()),
            ("LAKEBASE_INSTANCE_NAME", "app-db".to_owned()),
            ("PGHOST", "127.0.0.1".to_owned()),
            ("PGPORT", self.port.to_string()),
            ("PGDATABASE", self.database.name().to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// Returns how often the emulator served `route`.
    pub async fn calls(&self, route: &str) -> u64 {
        let body: Value = self
            .http
            .get(format!("{}/__emulator/calls", self.emulator.base_url()))
            .send()
            .await
            .expect("call counts")
            .json()
            .await
            .expect("call counts as JSON");
        body["counts"][route].as_u64().unwrap_or(0)
    }

    /// Queues an emulator fault.
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

    pub async fn clear_faults(&self) {
        let response = self
            .http
            .delete(format!("{}/__emulator/faults", self.emulator.base_url()))
            .send()
            .await
            .expect("clear faults");
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// Changes the role's password to one the app never saw, as a rotation outside the app
    /// would, and closes the role's open connections so the pool must log in again.
    pub async fn rotate_password_behind_the_apps_back(&self) {
        self.superuser(
            "SELECT format('ALTER ROLE %I WITH PASSWORD %L', $1::TEXT, $2::TEXT)",
            &uuid::Uuid::new_v4().simple().to_string(),
        )
        .await;
        self.terminate_connections().await;
    }

    /// Closes every open connection of the role.
    pub async fn terminate_connections(&self) {
        let mut admin = PgConnection::connect(&postgres_db::server_url())
            .await
            .expect("superuser connection");
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1")
            .bind(&self.sp_id)
            .execute(&mut admin)
            .await
            .expect("terminate connections");
        admin.close().await.ok();
    }

    /// Formats a statement about the role with `format_sql` (`$1` is the role, `$2` is
    /// `argument`) and runs it as the superuser.
    async fn superuser(&self, format_sql: &'static str, argument: &str) {
        let mut admin = PgConnection::connect(&postgres_db::server_url())
            .await
            .expect("superuser connection");
        let statement: String = sqlx::query_scalar(format_sql)
            .bind(&self.sp_id)
            .bind(argument)
            .fetch_one(&mut admin)
            .await
            .expect("format the statement");
        sqlx::raw_sql(AssertSqlSafe(statement))
            .execute(&mut admin)
            .await
            .expect("run the statement");
        admin.close().await.ok();
    }
}

/// Pool settings that recycle connections quickly, so that new logins, which use the current
/// credential, happen all the time.
pub fn fast_recycling_pool() -> StoreOptions {
    StoreOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(5),
        max_lifetime: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(1),
    }
}
