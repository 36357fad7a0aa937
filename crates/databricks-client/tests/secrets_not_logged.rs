//! Tracing output of the client never contains a token or secret.

mod common;

use base64::Engine as _;
use common::logs::Buffer;
use common::{ALICE, ALICE_TOKEN, ME_PATH, SP_CLIENT_ID, SP_SECRET, TestEmulator};
use databricks_client::{Credentials, SecretString};
use serde_json::json;

// A current-thread runtime keeps every client task, the background token refresh included, on
// the thread whose default subscriber is the buffer. The emulator runs on its own thread.
#[tokio::test(flavor = "current_thread")]
async fn tokens_and_secrets_not_logged() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(buffer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let emulator = TestEmulator::start();
    let minted = emulator.mint_token(ALICE, 3600).await;

    let alice = emulator.user_client(ALICE_TOKEN);
    let minted_client = emulator.user_client(&minted);
    let service_principal = emulator.service_principal();
    let credentials = Credentials::ServicePrincipal {
        client_id: SP_CLIENT_ID.to_owned(),
        client_secret: SecretString::from(SP_SECRET),
    };
    tracing::info!(
        ?alice,
        ?service_principal,
        ?credentials,
        "clients under test"
    );
    emulator
        .add_fault(json!({"path_prefix": ME_PATH, "status": 503}))
        .await;
    alice
        .current_user()
        .await
        .expect("alice's call succeeds on the retry");
    minted_client
        .current_user()
        .await
        .expect("minted token is valid");
    service_principal
        .current_user()
        .await
        .expect("service principal authenticates");
    service_principal
        .current_user()
        .await
        .expect("cached token is valid");
    let rejected = emulator
        .service_principal_with_secret("wrong-secret-value")
        .current_user()
        .await
        .expect_err("wrong secret is rejected");
    tracing::warn!(error = %rejected, ?rejected, "token request failed as expected");

    let logs = buffer.text();
    let basic_credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{SP_CLIENT_ID}:{SP_SECRET}"));
    assert!(
        logs.contains("workspace API call succeeded"),
        "the client's events were captured:\n{logs}"
    );
    assert!(
        logs.contains("retrying workspace call"),
        "the retry was logged:\n{logs}"
    );
    assert!(
        logs.contains("fetched an OAuth token"),
        "the token source's events were captured:\n{logs}"
    );
    assert!(!logs.contains(ALICE_TOKEN), "user token in logs:\n{logs}");
    assert!(!logs.contains(&minted), "minted token in logs:\n{logs}");
    assert!(!logs.contains(SP_SECRET), "client secret in logs:\n{logs}");
    assert!(
        !logs.contains("wrong-secret-value"),
        "rejected secret in logs:\n{logs}"
    );
    assert!(
        !logs.contains(&basic_credentials),
        "Basic credentials in logs:\n{logs}"
    );
    // Every access token the emulator issues is a JWT, whose base64url header starts with "eyJ".
    assert!(!logs.contains("eyJ"), "a JWT-shaped token in logs:\n{logs}");
}
