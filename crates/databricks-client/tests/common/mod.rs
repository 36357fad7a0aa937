//! Helpers for the tests that run against the workspace emulator.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of these helpers"
)]

pub mod logs;
pub mod metrics;

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use databricks_client::{Credentials, SecretString, Workspace, WorkspaceClient, WorkspaceOptions};
use serde_json::Value;
use workspace_emulator::{Emulator, Fixture};

pub const ALICE_TOKEN: &str = "dapi-alice-dev";
pub const ALICE: &str = "alice@example.com";
pub const DAVE_TOKEN: &str = "dapi-dave-dev";
pub const SP_CLIENT_ID: &str = "6f1c2a3e-0000-4000-8000-000000000001";
pub const SP_SECRET: &str = "dev-sp-secret";
pub const TOKEN_CALL: &str = "POST /oidc/v1/token";
pub const ME_CALL: &str = "GET /api/2.0/preview/scim/v2/Me";
pub const ME_PATH: &str = "/api/2.0/preview/scim/v2/Me";

/// An emulator on a loopback port, served by its own thread and Tokio runtime so that the
/// test's runtime (and any tracing subscriber set on the test thread) runs only client code.
pub struct TestEmulator {
    base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestEmulator {
    pub fn start() -> TestEmulator {
        TestEmulator::start_with(Fixture::default_fixture())
    }

    /// Starts the default fixture with OAuth tokens that live `ttl_seconds` and are accepted
    /// until they expire.
    pub fn start_with_short_tokens(ttl_seconds: u64) -> TestEmulator {
        let mut fixture = Fixture::default_fixture();
        fixture.workspace.oauth_token_ttl_seconds = ttl_seconds;
        fixture.workspace.token_rejection_window_seconds = 0;
        TestEmulator::start_with(fixture)
    }

    pub fn start_with(fixture: Fixture) -> TestEmulator {
        let (ready_sender, ready_receiver) = mpsc::channel();
        let (stop_sender, stop_receiver) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("emulator runtime builds");
            runtime.block_on(async move {
                let emulator = Emulator::start(fixture, SocketAddr::from(([127, 0, 0, 1], 0)))
                    .await
                    .expect("emulator starts on a loopback port");
                ready_sender
                    .send(emulator.base_url())
                    .expect("test thread waits for the URL");
                // The sender is dropped or used when the test ends; either way, stop.
                let _ = stop_receiver.await;
                emulator.shutdown().await;
            });
        });
        let base_url = ready_receiver
            .recv()
            .expect("emulator thread sends its URL");
        TestEmulator {
            base_url,
            stop: Some(stop_sender),
            thread: Some(thread),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn workspace(&self) -> Workspace {
        Workspace::new(&self.base_url, WorkspaceOptions::default()).expect("emulator URL is valid")
    }

    pub fn workspace_with(&self, options: WorkspaceOptions) -> Workspace {
        Workspace::new(&self.base_url, options).expect("emulator URL is valid")
    }

    pub fn user_client(&self, token: &str) -> WorkspaceClient {
        self.workspace()
            .client(Credentials::UserToken(SecretString::from(token)))
    }

    pub fn service_principal(&self) -> WorkspaceClient {
        self.service_principal_with_secret(SP_SECRET)
    }

    pub fn service_principal_with_secret(&self, secret: &str) -> WorkspaceClient {
        self.workspace().client(Credentials::ServicePrincipal {
            client_id: SP_CLIENT_ID.to_owned(),
            client_secret: SecretString::from(secret),
        })
    }

    /// Returns how often the emulator served `call` (such as `"POST /oidc/v1/token"`).
    pub async fn call_count(&self, call: &str) -> u64 {
        self.calls().await["counts"][call].as_u64().unwrap_or(0)
    }

    /// Returns how many `call` requests the emulator is handling now.
    pub async fn in_flight(&self, call: &str) -> u64 {
        self.calls().await["in_flight"][call].as_u64().unwrap_or(0)
    }

    /// Polls until `in_flight(call)` is `expected`, for at most five seconds, and returns the
    /// last value read.
    pub async fn wait_for_in_flight(&self, call: &str, expected: u64) -> u64 {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let value = self.in_flight(call).await;
            if value == expected || tokio::time::Instant::now() >= deadline {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn calls(&self) -> Value {
        let response = control_client()
            .get(format!("{}/__emulator/calls", self.base_url))
            .send()
            .await
            .expect("control plane answers");
        response.json().await.expect("call counts are JSON")
    }

    /// Queues a fault (the JSON body of `POST /__emulator/faults`).
    pub async fn add_fault(&self, fault: Value) {
        let response = control_client()
            .post(format!("{}/__emulator/faults", self.base_url))
            .json(&fault)
            .send()
            .await
            .expect("control plane answers");
        assert_eq!(response.status().as_u16(), 201, "fault {fault} rejected");
    }

    /// Removes every queued fault.
    pub async fn clear_faults(&self) {
        let response = control_client()
            .delete(format!("{}/__emulator/faults", self.base_url))
            .send()
            .await
            .expect("control plane answers");
        assert!(response.status().is_success(), "{}", response.status());
    }

    /// Mints a token for `user_name` through the control plane.
    pub async fn mint_token(&self, user_name: &str, ttl_seconds: u64) -> String {
        let response = control_client()
            .post(format!("{}/__emulator/tokens", self.base_url))
            .json(&serde_json::json!({"user_name": user_name, "ttl_seconds": ttl_seconds}))
            .send()
            .await
            .expect("control plane answers");
        assert!(
            response.status().is_success(),
            "minting failed: {}",
            response.status()
        );
        let body: Value = response.json().await.expect("minted token is JSON");
        body["token"]
            .as_str()
            .expect("token is a string")
            .to_owned()
    }
}

impl Drop for TestEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn control_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("control-plane client builds")
}
