//! `current_user` against the workspace emulator: users, the service principal and the
//! platform's authentication failures.

mod common;

use common::{ALICE, ALICE_TOKEN, DAVE_TOKEN, ME_CALL, SP_CLIENT_ID, TOKEN_CALL, TestEmulator};
use databricks_client::{AuthType, ErrorKind};
use workspace_emulator::Fixture;

#[tokio::test]
async fn user_token_returns_alice() {
    let emulator = TestEmulator::start();
    let expected_workspace_id = Fixture::default_fixture().workspace.workspace_id;
    let client = emulator.user_client(ALICE_TOKEN);

    let user = client.current_user().await.expect("alice's token is valid");

    assert_eq!(client.auth_type(), AuthType::Pat);
    assert_eq!(user.user_name, ALICE);
    assert_eq!(user.display_name.as_deref(), Some("Alice Example"));
    assert!(user.active);
    assert!(!user.id.is_empty());
    assert_eq!(user.workspace_id, Some(expected_workspace_id));
}

#[tokio::test]
async fn user_token_makes_no_token_request() {
    let emulator = TestEmulator::start();
    let client = emulator.user_client(ALICE_TOKEN);

    client.current_user().await.expect("first call succeeds");
    client.current_user().await.expect("second call succeeds");

    assert_eq!(emulator.call_count(ME_CALL).await, 2);
    assert_eq!(emulator.call_count(TOKEN_CALL).await, 0);
    assert_eq!(
        emulator
            .call_count("GET /.well-known/databricks-config")
            .await,
        0
    );
}

#[tokio::test]
async fn service_principal_returns_application_id() {
    let emulator = TestEmulator::start();
    let client = emulator.service_principal();

    let user = client
        .current_user()
        .await
        .expect("service principal authenticates");

    assert_eq!(client.auth_type(), AuthType::OAuthM2m);
    assert_eq!(user.user_name, SP_CLIENT_ID);
    assert!(user.workspace_id.is_some());
    assert_eq!(emulator.call_count(TOKEN_CALL).await, 1);
}

#[tokio::test]
async fn unknown_token_is_403() {
    let emulator = TestEmulator::start();

    let error = emulator
        .user_client("dapi-not-a-real-token")
        .current_user()
        .await
        .expect_err("unknown token is rejected");

    assert_eq!(error.kind, ErrorKind::Http);
    assert_eq!(error.status.map(|status| status.as_u16()), Some(403));
    assert_eq!(error.error_code.as_deref(), Some("403"));
    assert_eq!(error.message, "Invalid access token.");
}

#[tokio::test]
async fn deactivated_user_is_403() {
    let emulator = TestEmulator::start();

    let error = emulator
        .user_client(DAVE_TOKEN)
        .current_user()
        .await
        .expect_err("deactivated user's token is rejected");

    assert_eq!(error.status.map(|status| status.as_u16()), Some(403));
    assert_eq!(error.error_code.as_deref(), Some("403"));
}

#[tokio::test]
async fn expiring_token_is_403() {
    let emulator = TestEmulator::start();
    let token = emulator.mint_token(ALICE, 10).await;

    let error = emulator
        .user_client(&token)
        .current_user()
        .await
        .expect_err("a token within 30 s of expiry is rejected");

    assert_eq!(error.status.map(|status| status.as_u16()), Some(403));
    assert_eq!(error.error_code.as_deref(), Some("403"));
    assert!(error.message.contains("expiring"), "{}", error.message);
}

#[tokio::test]
async fn minted_token_returns_its_user() {
    let emulator = TestEmulator::start();
    let token = emulator.mint_token(ALICE, 3600).await;

    let user = emulator
        .user_client(&token)
        .current_user()
        .await
        .expect("minted token is valid");

    assert_eq!(user.user_name, ALICE);
}

#[tokio::test]
async fn empty_token_is_rejected_locally() {
    let emulator = TestEmulator::start();

    let error = emulator
        .user_client("")
        .current_user()
        .await
        .expect_err("empty token");

    assert_eq!(error.kind, ErrorKind::InvalidCredentials);
    assert_eq!(error.status, None);
    assert_eq!(emulator.call_count(ME_CALL).await, 0);
}

#[tokio::test]
async fn wrong_secret_is_invalid_client() {
    let emulator = TestEmulator::start();

    let error = emulator
        .service_principal_with_secret("not-the-secret")
        .current_user()
        .await
        .expect_err("the token endpoint rejects the client");

    assert_eq!(error.kind, ErrorKind::TokenEndpoint);
    assert_eq!(error.status.map(|status| status.as_u16()), Some(401));
    assert_eq!(error.error_code.as_deref(), Some("invalid_client"));
    assert_eq!(emulator.call_count(ME_CALL).await, 0);
}
