//! Helpers for the tests that run against the workspace emulator.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of these helpers"
)]

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;

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

    /// Starts the default fixture with OAuth tokens that live `ttl_seconds`.
    pub fn start_with_token_ttl(ttl_seconds: u64) -> TestEmulator {
        let mut fixture = Fixture::default_fixture();
        fixture.workspace.oauth_token_ttl_seconds = ttl_seconds;
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
        let response = control_client()
            .get(format!("{}/__emulator/calls", self.base_url))
            .send()
            .await
            .expect("control plane answers");
        let body: Value = response.json().await.expect("call counts are JSON");
        body["counts"][call].as_u64().unwrap_or(0)
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
