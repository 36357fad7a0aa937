//! The retry policy against the workspace emulator: what is retried, how often, and how long
//! the waits are. The emulator counts the attempts.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::logs::LogCapture;
use common::metrics::CapturedMetrics;
use common::{ALICE, ALICE_TOKEN, ME_CALL, ME_PATH, TestEmulator};
use databricks_client::{
    ApiError, Credentials, ErrorKind, SecretString, Workspace, WorkspaceOptions,
};
use serde_json::json;

fn status_of(error: &ApiError) -> Option<u16> {
    error.status.map(|status| status.as_u16())
}

async fn alice_fails(emulator: &TestEmulator) -> ApiError {
    emulator
        .user_client(ALICE_TOKEN)
        .current_user()
        .await
        .expect_err("the call fails")
}

#[tokio::test]
async fn three_retries_back_off_then_succeed() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 503, "times": 3}))
        .await;
    let client = emulator.user_client(ALICE_TOKEN);

    let started = Instant::now();
    let user = client
        .current_user()
        .await
        .expect("the fourth attempt succeeds");
    let elapsed = started.elapsed();

    assert_eq!(user.user_name, ALICE);
    assert_eq!(emulator.call_count(ME_CALL).await, 4);
    // Waits of 100, 200 and 400 ms, each within 10 % jitter.
    assert!(elapsed >= Duration::from_millis(600), "took {elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

#[tokio::test]
async fn persistent_503_fails_after_four_attempts() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 503, "times": null}))
        .await;

    let started = Instant::now();
    let error = alice_fails(&emulator).await;
    let elapsed = started.elapsed();

    assert_eq!(status_of(&error), Some(503));
    assert_eq!(emulator.call_count(ME_CALL).await, 4);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[tokio::test]
async fn two_503_then_success() {
    let emulator = TestEmulator::start();
    for _ in 0..2 {
        emulator
            .add_fault(json!({"path_prefix": ME_PATH, "status": 503}))
            .await;
    }

    let user = emulator
        .user_client(ALICE_TOKEN)
        .current_user()
        .await
        .expect("the third attempt succeeds");

    assert_eq!(user.user_name, ALICE);
    assert_eq!(emulator.call_count(ME_CALL).await, 3);
}

#[tokio::test]
async fn rate_limit_with_seconds_not_retried() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 429, "headers": {"Retry-After": "7"}}))
        .await;

    let error = alice_fails(&emulator).await;

    assert_eq!(status_of(&error), Some(429));
    assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
    assert_eq!(emulator.call_count(ME_CALL).await, 1);
}

#[tokio::test]
async fn rate_limit_with_date_not_retried() {
    let emulator = TestEmulator::start();
    let retry_at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(10));
    emulator
        .add_fault(
            json!({"path_prefix": ME_PATH, "status": 429, "headers": {"Retry-After": retry_at}}),
        )
        .await;

    let error = alice_fails(&emulator).await;

    assert_eq!(status_of(&error), Some(429));
    let retry_after = error.retry_after.expect("the date is parsed");
    // The date has whole seconds, and some time passes before the client reads it.
    assert!(
        (Duration::from_secs(8)..=Duration::from_secs(10)).contains(&retry_after),
        "retry_after {retry_after:?}"
    );
    assert_eq!(emulator.call_count(ME_CALL).await, 1);
}

#[tokio::test]
async fn rate_limit_without_header_not_retried() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 429}))
        .await;

    let error = alice_fails(&emulator).await;

    assert_eq!(status_of(&error), Some(429));
    assert_eq!(error.retry_after, None);
    assert_eq!(emulator.call_count(ME_CALL).await, 1);
}

#[tokio::test]
async fn not_found_and_bad_request_are_not_retried() {
    for status in [404, 400] {
        let emulator = TestEmulator::start();
        emulator
            .add_fault(json!({"path_prefix": ME_PATH, "status": status, "times": null}))
            .await;

        let error = alice_fails(&emulator).await;

        assert_eq!(status_of(&error), Some(status));
        assert_eq!(emulator.call_count(ME_CALL).await, 1, "status {status}");
    }
}

#[tokio::test]
async fn dropped_connection_is_retried() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "drop_connection": true}))
        .await;

    let user = emulator
        .user_client(ALICE_TOKEN)
        .current_user()
        .await
        .expect("the second attempt succeeds");

    assert_eq!(user.user_name, ALICE);
    assert_eq!(emulator.call_count(ME_CALL).await, 2);
}

#[tokio::test]
async fn identity_lookup_retries_401_with_user_token() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 401}))
        .await;

    let user = emulator
        .user_client(ALICE_TOKEN)
        .current_user()
        .await
        .expect("the second attempt succeeds");

    assert_eq!(user.user_name, ALICE);
    assert_eq!(emulator.call_count(ME_CALL).await, 2);
}

#[tokio::test]
async fn unknown_user_token_makes_four_attempts() {
    let emulator = TestEmulator::start();

    let error = emulator
        .user_client("dapi-not-a-real-token")
        .current_user()
        .await
        .expect_err("the token is rejected");

    assert_eq!(status_of(&error), Some(403));
    assert_eq!(emulator.call_count(ME_CALL).await, 4);
}

#[tokio::test]
async fn identity_lookup_keeps_401_of_service_principal() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 401}))
        .await;

    let error = emulator
        .service_principal()
        .current_user()
        .await
        .expect_err("401 is final for a service principal");

    assert_eq!(status_of(&error), Some(401));
    assert_eq!(emulator.call_count(ME_CALL).await, 1);
}

#[tokio::test]
async fn retry_after_of_503_is_honoured() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 503, "headers": {"Retry-After": "1"}}))
        .await;

    let started = Instant::now();
    emulator
        .user_client(ALICE_TOKEN)
        .current_user()
        .await
        .expect("the retry succeeds");
    let elapsed = started.elapsed();

    assert!(elapsed >= Duration::from_secs(1), "took {elapsed:?}");
    assert_eq!(emulator.call_count(ME_CALL).await, 2);
}

#[tokio::test]
async fn long_503_retry_after_not_waited() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 503, "headers": {"Retry-After": "30"}}))
        .await;

    let error = alice_fails(&emulator).await;

    assert_eq!(status_of(&error), Some(503));
    assert_eq!(error.retry_after, Some(Duration::from_secs(30)));
    assert_eq!(emulator.call_count(ME_CALL).await, 1);
}

#[tokio::test]
async fn parallel_calls_retry_independently() {
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 503, "times": null}))
        .await;
    let client = emulator.user_client(ALICE_TOKEN);

    let calls = (0..5).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.current_user().await })
    });
    let results = futures::future::join_all(calls).await;

    for result in results {
        let error = result
            .expect("task finishes")
            .expect_err("every attempt fails");
        assert_eq!(status_of(&error), Some(503));
    }
    assert_eq!(emulator.call_count(ME_CALL).await, 20);
}

/// Returns a loopback address on which nothing listens.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let address = listener.local_addr().expect("bound address");
    drop(listener);
    format!("http://{address}")
}

#[tokio::test]
async fn refused_connection_is_retried() {
    let logs = LogCapture::start();
    let workspace =
        Workspace::new(&closed_port_url(), WorkspaceOptions::default()).expect("valid URL");
    let client = workspace.client(Credentials::UserToken(SecretString::from(ALICE_TOKEN)));

    let started = Instant::now();
    let error = client.current_user().await.expect_err("nothing listens");
    let elapsed = started.elapsed();

    assert_eq!(error.kind, ErrorKind::Connect);
    let retries = logs.events("auth.retry_attempt");
    assert_eq!(retries.len(), 3, "{retries:?}");
    for retry in &retries {
        assert_eq!(retry["reason"], "connect_failed");
    }
    assert!(elapsed >= Duration::from_millis(600), "took {elapsed:?}");
    logs.assert_free_of(&[ALICE_TOKEN]);
}

#[tokio::test]
async fn retries_are_logged_and_counted() {
    let logs = LogCapture::start();
    let metrics = CapturedMetrics::default();
    let _recorder = metrics::set_default_local_recorder(&metrics);
    let emulator = TestEmulator::start();
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 503, "times": 2}))
        .await;

    emulator
        .user_client(ALICE_TOKEN)
        .current_user()
        .await
        .expect("the third attempt succeeds");

    let retries = logs.events("auth.retry_attempt");
    assert_eq!(retries.len(), 2, "{}", logs.text());
    for (index, retry) in retries.iter().enumerate() {
        assert_eq!(retry["attempt"], index + 1);
        assert_eq!(retry["reason"], "service_unavailable");
        assert_eq!(retry["route"], ME_CALL);
        assert_eq!(retry["http.status_code"], 503);
        assert_eq!(retry["message"], "retrying workspace call");
    }
    for attempt in ["1", "2"] {
        let count = metrics.counter(
            "auth_retry_total",
            &[("endpoint", ME_CALL), ("attempt_number", attempt)],
        );
        assert_eq!(count, 1, "attempt {attempt}: {:?}", metrics.keys());
    }
    let third = metrics.counter(
        "auth_retry_total",
        &[("endpoint", ME_CALL), ("attempt_number", "3")],
    );
    assert_eq!(third, 0);
    logs.assert_free_of(&[ALICE_TOKEN]);
}
