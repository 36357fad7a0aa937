//! Helpers shared by the integration tests: start an emulator on a loopback port and talk to it.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of these helpers"
)]

use std::net::SocketAddr;

use serde_json::Value;
use workspace_emulator::{Emulator, Fixture};

pub const ALICE_TOKEN: &str = "dapi-alice-dev";
pub const WORKSPACE_ID: &str = "1234567890123456";
pub const ME_PATH: &str = "/api/2.0/preview/scim/v2/Me";
pub const USERS_PATH: &str = "/api/2.0/preview/scim/v2/Users";

pub fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub async fn start() -> Emulator {
    start_with(Fixture::default_fixture()).await
}

pub async fn start_with(fixture: Fixture) -> Emulator {
    Emulator::start(fixture, loopback())
        .await
        .expect("emulator starts on a loopback port")
}

/// Builds a client that never goes through a proxy, so traffic stays on loopback.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

pub async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

/// POSTs JSON to the control plane and returns status and body (`Null` when empty).
pub async fn control_post(emulator: &Emulator, path: &str, body: &Value) -> (u16, Value) {
    let response = client()
        .post(format!("{}/__emulator{path}", emulator.base_url()))
        .json(body)
        .send()
        .await
        .expect("control plane answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("control plane answers JSON")
    };
    (status, body)
}

/// Mints a token through the control plane.
pub async fn mint(emulator: &Emulator, body: Value) -> String {
    let (status, body) = control_post(emulator, "/tokens", &body).await;
    assert_eq!(status, 200, "mint failed: {body}");
    body["token"].as_str().expect("token string").to_owned()
}

/// GETs a workspace path with a bearer token.
pub async fn get_with_token(emulator: &Emulator, path: &str, token: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", emulator.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("emulator answers")
}

pub async fn call_counts(emulator: &Emulator) -> Value {
    let response = client()
        .get(format!("{}/__emulator/calls", emulator.base_url()))
        .send()
        .await
        .expect("control plane answers");
    json_of(response).await["counts"].clone()
}
