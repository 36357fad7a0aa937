//! OAuth M2M token caching and refresh against the workspace emulator.

mod common;

use std::time::Duration;

use common::{ME_CALL, SP_CLIENT_ID, TOKEN_CALL, TestEmulator};

/// The lifetime of OAuth tokens in the refresh tests. The emulator accepts them until they
/// expire. The client uses one until 2.5 s, refreshes it in the background until 3.75 s, and then
/// waits for a new one.
const SHORT_TTL_SECONDS: u64 = 5;

/// Just past the moment a [`SHORT_TTL_SECONDS`] token counts as expired for the client.
const SHORT_TOKEN_DUE: Duration = Duration::from_secs(4);

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
async fn five_second_tokens_are_refreshed_in_time() {
    let emulator = TestEmulator::start_with_short_tokens(SHORT_TTL_SECONDS);
    let client = emulator.service_principal();

    client.current_user().await.expect("first call succeeds");
    client.current_user().await.expect("second call succeeds");
    assert_eq!(
        emulator.call_count(TOKEN_CALL).await,
        1,
        "back-to-back calls share a token"
    );

    for _ in 0..28 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let user = client.current_user().await.expect("every call succeeds");
        assert_eq!(user.user_name, SP_CLIENT_ID);
    }

    let token_requests = emulator.call_count(TOKEN_CALL).await;
    assert!(token_requests > 1, "{token_requests} token requests");
    assert!(
        token_requests < 10,
        "{token_requests} token requests for 30 calls"
    );
    assert_eq!(emulator.call_count(ME_CALL).await, 30);
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
    let emulator = TestEmulator::start_with_short_tokens(SHORT_TTL_SECONDS);
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
