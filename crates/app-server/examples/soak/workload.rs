//! The emulated workspace with generated users, and the mix of requests they send.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use workspace_emulator::{Emulator, Fixture};

const DEFAULT_FIXTURE: &str = include_str!("../../../workspace-emulator/fixtures/default.toml");

/// Maximum wait for one response. The app's own upstream timeout is 30 s.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(40);

/// First SCIM id of the generated users, above the default fixture's ids.
const FIRST_USER_ID: u64 = 3_000_000_000_000_000;

/// Returns the name of generated user `index`.
pub fn user_name(index: usize) -> String {
    format!("soak-{index:03}@example.com")
}

fn token(index: usize) -> String {
    format!("dapi-soak-{index:03}")
}

/// Starts the emulator with the default fixture plus `users` generated users. Every user sees the
/// `samples` catalog and may query the `echo` and `chat` endpoints, as all account users do.
pub async fn start_emulator(users: usize) -> anyhow::Result<Emulator> {
    let mut fixture = DEFAULT_FIXTURE.to_owned();
    for index in 0..users {
        let id = FIRST_USER_ID + u64::try_from(index)?;
        write!(
            fixture,
            "\n[[users]]\nuser_name = \"{}\"\ndisplay_name = \"Soak User {index}\"\n\
             id = \"{id}\"\ntoken = \"{}\"\n",
            user_name(index),
            token(index)
        )?;
    }
    let fixture = Fixture::from_toml_str(&fixture).context("the generated fixture is invalid")?;
    Emulator::start(fixture, ([127, 0, 0, 1], 0).into())
        .await
        .context("failed to start the workspace emulator")
}

/// One kind of request of the mix, with its share of the traffic.
#[derive(Debug, Clone, Copy)]
pub enum Operation {
    AuthStatus,
    UserMe,
    Workspace,
    ListPreferences,
    GetPreference,
    SavePreference,
    DeletePreference,
    Catalogs,
    Schemas,
    Tables,
    Table,
    Endpoints,
    Endpoint,
    Invoke,
    Logs,
    OrphanedRecords,
    Health,
    /// The retention job's dry run, sent once per report rather than as part of the mix.
    CleanupDryRun,
}

/// The mix, as (operation, weight) pairs; the weights add up to 100.
const MIX: [(Operation, usize); 17] = [
    (Operation::AuthStatus, 5),
    (Operation::UserMe, 8),
    (Operation::Workspace, 4),
    (Operation::ListPreferences, 12),
    (Operation::GetPreference, 10),
    (Operation::SavePreference, 10),
    (Operation::DeletePreference, 5),
    (Operation::Catalogs, 8),
    (Operation::Schemas, 6),
    (Operation::Tables, 6),
    (Operation::Table, 4),
    (Operation::Endpoints, 5),
    (Operation::Endpoint, 3),
    (Operation::Invoke, 6),
    (Operation::Logs, 4),
    (Operation::OrphanedRecords, 1),
    (Operation::Health, 3),
];

impl Operation {
    /// Returns the operation of request number `sequence`. The mix repeats every 100 requests.
    pub fn nth(sequence: u64) -> Self {
        let mut slot = usize::try_from(sequence % 100).unwrap_or_default();
        for (operation, weight) in MIX {
            if slot < weight {
                return operation;
            }
            slot -= weight;
        }
        Self::Health
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::AuthStatus => "GET /api/auth/status",
            Self::UserMe => "GET /api/user/me",
            Self::Workspace => "GET /api/user/me/workspace",
            Self::ListPreferences => "GET /api/preferences",
            Self::GetPreference => "GET /api/preferences/{key}",
            Self::SavePreference => "POST /api/preferences",
            Self::DeletePreference => "DELETE /api/preferences/{key}",
            Self::Catalogs => "GET /api/unity-catalog/catalogs",
            Self::Schemas => "GET /api/unity-catalog/catalogs/{catalog}/schemas",
            Self::Tables => "GET /api/unity-catalog/catalogs/{catalog}/schemas/{schema}/tables",
            Self::Table => "GET /api/unity-catalog/tables/{full_name}",
            Self::Endpoints => "GET /api/model-serving/endpoints",
            Self::Endpoint => "GET /api/model-serving/endpoints/{name}",
            Self::Invoke => "POST /api/model-serving/invoke",
            Self::Logs => "GET /api/model-serving/logs",
            Self::OrphanedRecords => "GET /api/admin/orphaned-records",
            Self::Health => "GET /api/health",
            Self::CleanupDryRun => "POST /api/admin/cleanup?dry_run=true",
        }
    }
}

/// The result of one request.
#[derive(Debug)]
pub struct Outcome {
    pub operation: Operation,
    pub latency: Duration,
    /// `None` for the expected status, else the status or the transport error.
    pub failure: Option<String>,
}

/// Sends the mix for `users` users to the app at `base_url`.
#[derive(Debug, Clone)]
pub struct Load {
    base_url: String,
    users: usize,
    http: reqwest::Client,
}

impl Load {
    pub fn new(base_url: String, users: usize) -> Self {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(256)
            .build()
            .expect("a reqwest client with a timeout builds");
        Self {
            base_url,
            users,
            http,
        }
    }

    /// Saves each user's `home` preference, which the mix reads back, and resolves every
    /// identity once.
    pub async fn warm_up(&self) -> anyhow::Result<()> {
        for user in 0..self.users {
            let body = json!({ "preference_key": "home", "preference_value": { "user": user } });
            let (status, _) = self
                .send(user, Method::POST, "/api/preferences", Some(&body))
                .await
                .map_err(anyhow::Error::msg)?;
            anyhow::ensure!(
                status == StatusCode::CREATED,
                "warm-up for user {user} got {status}"
            );
        }
        Ok(())
    }

    /// Sends request number `sequence` of the mix, as user `sequence % users`.
    pub async fn run(&self, sequence: u64) -> Outcome {
        let user = usize::try_from(sequence % u64::try_from(self.users).unwrap_or(1)).unwrap_or(0);
        let operation = Operation::nth(sequence);
        let started = Instant::now();
        let failure = self.perform(operation, user, sequence).await.err();
        Outcome {
            operation,
            latency: started.elapsed(),
            failure,
        }
    }

    async fn perform(
        &self,
        operation: Operation,
        user: usize,
        sequence: u64,
    ) -> Result<(), String> {
        let (method, path, body, expected) = match operation {
            Operation::AuthStatus => get("/api/auth/status"),
            Operation::UserMe => get("/api/user/me"),
            Operation::Workspace => get("/api/user/me/workspace"),
            Operation::ListPreferences => get("/api/preferences"),
            Operation::GetPreference => get("/api/preferences/home"),
            Operation::SavePreference => {
                let key = format!("recent-{}", sequence % 5);
                let body = json!({ "preference_key": key, "preference_value": sequence });
                (
                    Method::POST,
                    "/api/preferences".to_owned(),
                    Some(body),
                    StatusCode::CREATED,
                )
            }
            Operation::DeletePreference => return self.save_then_delete(user, sequence).await,
            Operation::Catalogs => get("/api/unity-catalog/catalogs?max_results=10"),
            Operation::Schemas => get("/api/unity-catalog/catalogs/samples/schemas"),
            Operation::Tables => get("/api/unity-catalog/catalogs/samples/schemas/tpch/tables"),
            Operation::Table => get("/api/unity-catalog/tables/samples.tpch.region"),
            Operation::Endpoints => get("/api/model-serving/endpoints"),
            Operation::Endpoint => get("/api/model-serving/endpoints/echo"),
            Operation::Invoke => {
                let body = json!({
                    "endpoint_name": "echo",
                    "inputs": { "dataframe_records": [{ "sequence": sequence }] }
                });
                (
                    Method::POST,
                    "/api/model-serving/invoke".to_owned(),
                    Some(body),
                    StatusCode::OK,
                )
            }
            Operation::Logs => get("/api/model-serving/logs?limit=10"),
            Operation::OrphanedRecords => {
                return self.admin_listing().await;
            }
            Operation::Health => get("/api/health"),
            Operation::CleanupDryRun => {
                let (status, _) = self
                    .send(0, Method::POST, "/api/admin/cleanup?dry_run=true", None)
                    .await?;
                return check(status, StatusCode::OK);
            }
        };
        let (status, _) = self.send(user, method, &path, body.as_ref()).await?;
        check(status, expected)
    }

    /// Saves a preference and deletes it again, as the same user.
    async fn save_then_delete(&self, user: usize, sequence: u64) -> Result<(), String> {
        let key = format!("scratch-{sequence}");
        let body = json!({ "preference_key": key, "preference_value": true });
        let (status, _) = self
            .send(user, Method::POST, "/api/preferences", Some(&body))
            .await?;
        check(status, StatusCode::CREATED)?;
        let (status, _) = self
            .send(
                user,
                Method::DELETE,
                &format!("/api/preferences/{key}"),
                None,
            )
            .await?;
        check(status, StatusCode::NO_CONTENT)
    }

    /// Lists orphaned records as user 0, the one admin.
    async fn admin_listing(&self) -> Result<(), String> {
        let (status, _) = self
            .send(
                0,
                Method::GET,
                "/api/admin/orphaned-records?page_size=10",
                None,
            )
            .await?;
        check(status, StatusCode::OK)
    }

    /// Runs the retention job without deleting, as user 0, the one admin.
    pub async fn cleanup_dry_run(&self) -> Outcome {
        let started = Instant::now();
        let failure = self.perform(Operation::CleanupDryRun, 0, 0).await.err();
        Outcome {
            operation: Operation::CleanupDryRun,
            latency: started.elapsed(),
            failure,
        }
    }

    async fn send(
        &self,
        user: usize,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), String> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header("x-forwarded-access-token", token(user));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|error| format!("transport: {error}"))?;
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }
}

fn get(path: &str) -> (Method, String, Option<Value>, StatusCode) {
    (Method::GET, path.to_owned(), None, StatusCode::OK)
}

fn check(status: StatusCode, expected: StatusCode) -> Result<(), String> {
    if status == expected {
        Ok(())
    } else {
        Err(format!("status {}", status.as_u16()))
    }
}
