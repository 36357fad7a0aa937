//! The workspace's circuit breaker against the emulator: it opens after a run of failed calls,
//! turns calls into single attempts, and closes after a successful probe.

mod common;

use std::time::Duration;

use common::logs::LogCapture;
use common::metrics::CapturedMetrics;
use common::{ALICE, ALICE_TOKEN, ME_CALL, ME_PATH, TestEmulator};
use databricks_client::{
    BreakerOptions, BreakerState, Credentials, RetryOptions, SecretString, Workspace,
    WorkspaceClient, WorkspaceOptions,
};
use serde_json::{Value, json};

const THRESHOLD: u32 = 10;
const COOLDOWN: Duration = Duration::from_millis(500);
const INVALID_TOKEN: &str = "dapi-not-a-real-token";

/// Builds a workspace with the default threshold, a short cool-down and short retry waits.
fn workspace(emulator: &TestEmulator) -> Workspace {
    emulator.workspace_with(WorkspaceOptions {
        retry: RetryOptions {
            initial_backoff: Duration::from_millis(10),
            ..RetryOptions::default()
        },
        breaker: BreakerOptions {
            failure_threshold: THRESHOLD,
            cooldown: COOLDOWN,
        },
        ..WorkspaceOptions::default()
    })
}

fn user(workspace: &Workspace, token: &str) -> WorkspaceClient {
    workspace.client(Credentials::UserToken(SecretString::from(token)))
}

async fn fail_calls(client: &WorkspaceClient, calls: u32) {
    for _ in 0..calls {
        client.current_user().await.expect_err("the call fails");
    }
}

fn assert_state_change(change: &Value, old_state: &str, new_state: &str) {
    assert_eq!(change["old_state"], old_state, "{change}");
    assert_eq!(change["new_state"], new_state, "{change}");
    let cooldown = change["cooldown_seconds"]
        .as_f64()
        .expect("cooldown_seconds is a number");
    assert!((cooldown - COOLDOWN.as_secs_f64()).abs() < 1e-9, "{change}");
}

#[tokio::test]
async fn opens_after_ten_failed_calls() {
    let logs = LogCapture::start();
    let metrics = CapturedMetrics::default();
    let _recorder = metrics::set_default_local_recorder(&metrics);
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 503, "times": null}))
        .await;
    let workspace = workspace(&emulator);
    let alice = user(&workspace, ALICE_TOKEN);

    fail_calls(&alice, THRESHOLD - 1).await;
    assert_eq!(workspace.breaker_state(), BreakerState::Closed);
    assert!(logs.events("auth.circuit_breaker_state_change").is_empty());

    fail_calls(&alice, 1).await;

    assert_eq!(workspace.breaker_state(), BreakerState::Open);
    assert_eq!(
        emulator.call_count(ME_CALL).await,
        u64::from(THRESHOLD) * 4,
        "each failed call made four attempts"
    );
    let changes = logs.events("auth.circuit_breaker_state_change");
    assert_eq!(changes.len(), 1, "{}", logs.text());
    assert_state_change(&changes[0], "closed", "open");
    assert_eq!(changes[0]["consecutive_failures"], THRESHOLD);
    assert_eq!(metrics.gauge("circuit_breaker_state"), Some(1.0));
    logs.assert_free_of(&[ALICE_TOKEN]);
}

#[tokio::test]
async fn open_breaker_then_probe_closes() {
    let logs = LogCapture::start();
    let metrics = CapturedMetrics::default();
    let _recorder = metrics::set_default_local_recorder(&metrics);
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 503, "times": null}))
        .await;
    let workspace = workspace(&emulator);
    let alice = user(&workspace, ALICE_TOKEN);
    fail_calls(&alice, THRESHOLD).await;
    let calls_before = emulator.call_count(ME_CALL).await;

    fail_calls(&alice, 1).await;

    assert_eq!(
        emulator.call_count(ME_CALL).await,
        calls_before + 1,
        "an open breaker allows a single attempt"
    );
    assert_eq!(workspace.breaker_state(), BreakerState::Open);

    emulator.clear_faults().await;
    tokio::time::sleep(COOLDOWN + Duration::from_millis(100)).await;
    let user = alice.current_user().await.expect("the probe succeeds");

    assert_eq!(user.user_name, ALICE);
    assert_eq!(workspace.breaker_state(), BreakerState::Closed);
    assert_eq!(emulator.call_count(ME_CALL).await, calls_before + 2);
    let changes = logs.events("auth.circuit_breaker_state_change");
    assert_eq!(changes.len(), 3, "{}", logs.text());
    assert_state_change(&changes[0], "closed", "open");
    assert_state_change(&changes[1], "open", "half_open");
    assert_state_change(&changes[2], "half_open", "closed");
    assert_eq!(changes[2]["consecutive_failures"], 0);
    assert_eq!(metrics.gauge("circuit_breaker_state"), Some(0.0));
    logs.assert_free_of(&[ALICE_TOKEN]);
}

#[tokio::test]
async fn failed_probe_reopens_breaker() {
    let logs = LogCapture::start();
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 503, "times": null}))
        .await;
    let workspace = workspace(&emulator);
    let alice = user(&workspace, ALICE_TOKEN);
    fail_calls(&alice, THRESHOLD).await;
    tokio::time::sleep(COOLDOWN + Duration::from_millis(100)).await;
    let calls_before = emulator.call_count(ME_CALL).await;

    fail_calls(&alice, 1).await;

    assert_eq!(emulator.call_count(ME_CALL).await, calls_before + 1);
    assert_eq!(workspace.breaker_state(), BreakerState::Open);
    let changes = logs.events("auth.circuit_breaker_state_change");
    let states: Vec<(&str, &str)> = changes
        .iter()
        .map(|change| {
            (
                change["old_state"].as_str().unwrap_or_default(),
                change["new_state"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("closed", "open"),
            ("open", "half_open"),
            ("half_open", "open")
        ]
    );
}

#[tokio::test]
async fn invalid_tokens_do_not_lock_out_other_users() {
    let emulator = TestEmulator::start();
    let workspace = workspace(&emulator);
    let intruder = user(&workspace, INVALID_TOKEN);
    fail_calls(&intruder, THRESHOLD).await;
    assert_eq!(workspace.breaker_state(), BreakerState::Open);

    let user = user(&workspace, ALICE_TOKEN)
        .current_user()
        .await
        .expect("a valid token still works while the breaker is open");

    assert_eq!(user.user_name, ALICE);
}

#[tokio::test]
async fn client_errors_do_not_open_breaker() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 404, "times": null}))
        .await;
    let workspace = workspace(&emulator);
    let alice = user(&workspace, ALICE_TOKEN);

    fail_calls(&alice, THRESHOLD + 2).await;

    assert_eq!(workspace.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn workspaces_have_separate_breakers() {
    let emulator = TestEmulator::start();
    let first = workspace(&emulator);
    let second = workspace(&emulator);

    fail_calls(&user(&first, INVALID_TOKEN), THRESHOLD).await;

    assert_eq!(first.breaker_state(), BreakerState::Open);
    assert_eq!(second.breaker_state(), BreakerState::Closed);
    assert_eq!(
        first.clone().breaker_state(),
        BreakerState::Open,
        "clones share the breaker"
    );
}
