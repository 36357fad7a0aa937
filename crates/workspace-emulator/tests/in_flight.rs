//! The in-flight gauge of `GET /__emulator/calls`: requests being handled now, per route.

mod common;

use std::time::Duration;

use common::{ALICE_TOKEN, ME_PATH, client, control_post, start};
use serde_json::{Value, json};
use workspace_emulator::Emulator;

const ME_CALL: &str = "GET /api/2.0/preview/scim/v2/Me";

/// How long a test waits for the gauge to reach a value before failing.
const GAUGE_WAIT: Duration = Duration::from_secs(5);

async fn add_fault(emulator: &Emulator, fault: Value) {
    let (status, body) = control_post(emulator, "/faults", &fault).await;
    assert_eq!(status, 201, "fault {fault} rejected: {body}");
}

async fn in_flight(emulator: &Emulator) -> Value {
    let response = client()
        .get(format!("{}/__emulator/calls", emulator.base_url()))
        .send()
        .await
        .expect("control plane answers");
    let body: Value = response.json().await.expect("JSON body");
    body["in_flight"].clone()
}

/// Polls the gauge of `call` until it equals `expected`, and returns the last value read.
async fn wait_for_in_flight(emulator: &Emulator, call: &str, expected: u64) -> Value {
    let deadline = tokio::time::Instant::now() + GAUGE_WAIT;
    loop {
        let value = in_flight(emulator).await[call].clone();
        if value == expected || tokio::time::Instant::now() >= deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn me_request(emulator: &Emulator) -> reqwest::RequestBuilder {
    client()
        .get(format!("{}{ME_PATH}", emulator.base_url()))
        .bearer_auth(ALICE_TOKEN)
}

#[tokio::test]
async fn hanging_call_is_in_flight_until_client_leaves() {
    let emulator = start().await;
    add_fault(&emulator, json!({"path_prefix": ME_PATH, "hang": true})).await;

    let request = tokio::spawn(me_request(&emulator).send());
    assert_eq!(wait_for_in_flight(&emulator, ME_CALL, 1).await, 1);

    request.abort();
    let _ = request.await;
    assert_eq!(
        wait_for_in_flight(&emulator, ME_CALL, 0).await,
        0,
        "the hanging call ends when its connection closes"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn delayed_call_is_in_flight_until_answered() {
    let emulator = start().await;
    add_fault(&emulator, json!({"path_prefix": ME_PATH, "delay_ms": 1500})).await;

    let request = tokio::spawn(me_request(&emulator).send());
    assert_eq!(wait_for_in_flight(&emulator, ME_CALL, 1).await, 1);

    let response = request
        .await
        .expect("request task finishes")
        .expect("delayed call is answered");
    assert_eq!(response.status(), 200);
    assert_eq!(wait_for_in_flight(&emulator, ME_CALL, 0).await, 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn parallel_hanging_calls_add_up() {
    let emulator = start().await;
    add_fault(
        &emulator,
        json!({"path_prefix": ME_PATH, "hang": true, "times": null}),
    )
    .await;

    let requests: Vec<_> = (0..3)
        .map(|_| tokio::spawn(me_request(&emulator).send()))
        .collect();
    assert_eq!(wait_for_in_flight(&emulator, ME_CALL, 3).await, 3);

    for request in &requests {
        request.abort();
    }
    assert_eq!(wait_for_in_flight(&emulator, ME_CALL, 0).await, 0);
    emulator.shutdown().await;
}

#[tokio::test]
async fn answered_call_leaves_zero_in_flight() {
    let emulator = start().await;
    assert_eq!(in_flight(&emulator).await, json!({}));

    let response = me_request(&emulator).send().await.expect("answered");

    assert_eq!(response.status(), 200);
    assert_eq!(in_flight(&emulator).await, json!({ME_CALL: 0}));
    emulator.shutdown().await;
}

#[tokio::test]
async fn dropped_connection_fault_leaves_zero_in_flight() {
    let emulator = start().await;
    add_fault(
        &emulator,
        json!({"path_prefix": ME_PATH, "drop_connection": true}),
    )
    .await;

    let result = me_request(&emulator).send().await;

    assert!(
        result.is_err(),
        "the connection is closed without a response"
    );
    assert_eq!(wait_for_in_flight(&emulator, ME_CALL, 0).await, 0);
    emulator.shutdown().await;
}
