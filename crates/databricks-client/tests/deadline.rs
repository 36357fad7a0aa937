//! The request timeout bounds a whole logical call, and a dropped call closes its request.

mod common;

use std::time::{Duration, Instant};

use common::{ALICE_TOKEN, ME_CALL, ME_PATH, TestEmulator};
use databricks_client::{Credentials, ErrorKind, SecretString, WorkspaceOptions};
use serde_json::json;

const SHORT_TIMEOUT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn hanging_workspace_times_out_at_deadline() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "hang": true, "times": null}))
        .await;
    let workspace = emulator.workspace_with(WorkspaceOptions {
        request_timeout: SHORT_TIMEOUT,
        ..WorkspaceOptions::default()
    });
    let client = workspace.client(Credentials::UserToken(SecretString::from(ALICE_TOKEN)));

    let started = Instant::now();
    let error = client.current_user().await.expect_err("nothing answers");
    let elapsed = started.elapsed();

    assert_eq!(error.kind, ErrorKind::Timeout, "{error}");
    assert_eq!(error.status, None);
    assert!(elapsed >= SHORT_TIMEOUT, "took {elapsed:?}");
    // Four attempts of 300 ms each with waits in between would take about 1.9 s.
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}

#[tokio::test]
async fn slow_retries_stop_at_deadline() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 503, "delay_ms": 200, "times": null}))
        .await;
    let workspace = emulator.workspace_with(WorkspaceOptions {
        request_timeout: Duration::from_millis(500),
        ..WorkspaceOptions::default()
    });
    let client = workspace.client(Credentials::UserToken(SecretString::from(ALICE_TOKEN)));

    let started = Instant::now();
    let error = client
        .current_user()
        .await
        .expect_err("every attempt fails");
    let elapsed = started.elapsed();

    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    assert!(
        emulator.call_count(ME_CALL).await < 4,
        "the deadline cut the retries short"
    );
    assert!(
        error.kind == ErrorKind::Timeout || error.status.is_some_and(|status| status == 503),
        "{error}"
    );
}

#[tokio::test]
async fn dropped_call_closes_its_request() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "hang": true}))
        .await;
    let client = emulator.user_client(ALICE_TOKEN);

    let call = tokio::spawn(async move { client.current_user().await });
    assert_eq!(emulator.wait_for_in_flight(ME_CALL, 1).await, 1);

    call.abort();
    assert!(call.await.is_err_and(|error| error.is_cancelled()));

    assert_eq!(
        emulator.wait_for_in_flight(ME_CALL, 0).await,
        0,
        "the emulator saw the connection close"
    );
    assert_eq!(emulator.call_count(ME_CALL).await, 1);
}

#[test]
fn default_request_timeout_is_30_seconds() {
    assert_eq!(
        WorkspaceOptions::default().request_timeout,
        Duration::from_secs(30)
    );
    assert_eq!(
        WorkspaceOptions::default().connect_timeout,
        Duration::from_secs(5)
    );
}
