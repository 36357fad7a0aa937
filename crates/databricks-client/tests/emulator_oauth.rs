//! OAuth M2M token caching and refresh against the workspace emulator.

mod common;

use std::time::Duration;

use common::{ME_CALL, SP_CLIENT_ID, TOKEN_CALL, TestEmulator};

/// A token lifetime for which refresh happens within seconds: the client counts it as expired
/// 40 s before expiry (after 5 s), while the emulator, like the platform, rejects it only within
/// 30 s of expiry (after 15 s).
const SHORT_TTL_SECONDS: u64 = 45;

/// Just past the moment a [`SHORT_TTL_SECONDS`] token counts as expired for the client.
const SHORT_TOKEN_DUE: Duration = Duration::from_millis(5_200);

#[tokio::test]
async fn two_calls_one_token_request() {
    let emulator = TestEmulator::start();
    let client = emulator.service_principal();

    client.current_user().await.expect("first call succeeds");
    client
        .clone()
        .current_user()
        .await
        .expect("second call succeeds");

    assert_eq!(emulator.call_count(TOKEN_CALL).await, 1);
    assert_eq!(emulator.call_count(ME_CALL).await, 2);
}

#[tokio::test]
async fn short_token_is_refreshed_before_rejection() {
    let emulator = TestEmulator::start_with_token_ttl(SHORT_TTL_SECONDS);
    let client = emulator.service_principal();

    for _ in 0..14 {
        let user = client.current_user().await.expect("every call succeeds");
        assert_eq!(user.user_name, SP_CLIENT_ID);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // One token at the start, a refresh once it counts as expired (after 5 s), and no request
    // per call.
    let token_requests = emulator.call_count(TOKEN_CALL).await;
    assert!(token_requests >= 2, "{token_requests} token requests");
    assert!(
        token_requests < 14,
        "{token_requests} token requests for 14 calls"
    );
    assert_eq!(emulator.call_count(ME_CALL).await, 14);
}

#[tokio::test]
async fn concurrent_first_calls_one_token_request() {
    let emulator = TestEmulator::start();
    let client = emulator.service_principal();

    let calls = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.current_user().await })
    });
    let results = futures::future::join_all(calls).await;

    for result in results {
        let user = result.expect("task finishes").expect("call succeeds");
        assert_eq!(user.user_name, SP_CLIENT_ID);
    }
    assert_eq!(emulator.call_count(TOKEN_CALL).await, 1);
}

#[tokio::test]
async fn concurrent_calls_at_expiry_one_token_request() {
    let emulator = TestEmulator::start_with_token_ttl(SHORT_TTL_SECONDS);
    let client = emulator.service_principal();
    client.current_user().await.expect("first call succeeds");
    tokio::time::sleep(SHORT_TOKEN_DUE).await;

    let calls = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.current_user().await })
    });
    let results = futures::future::join_all(calls).await;

    for result in results {
        result.expect("task finishes").expect("call succeeds");
    }
    assert_eq!(emulator.call_count(TOKEN_CALL).await, 2);
    assert_eq!(emulator.call_count(ME_CALL).await, 51);
}
