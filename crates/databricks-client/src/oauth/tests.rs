//! Refresh timing of [`TokenSource`] with short tokens and a one-second expiry margin.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{RefreshPolicy, TokenSource};
use crate::workspace::{Workspace, WorkspaceOptions};

/// Token lifetime in the stub's responses: stale after 3 s, expired after 5 s with the policy
/// below.
const LIFETIME_SECONDS: u64 = 6;

/// Just past the moment a token turns stale.
const STALE: Duration = Duration::from_millis(3_200);

/// Just past the moment a token counts as expired.
const EXPIRED: Duration = Duration::from_millis(5_200);

/// Returns `token-n` for the n-th token request, or 503 once `fail_after` tokens were issued.
struct NumberedTokens {
    issued: AtomicUsize,
    fail_after: usize,
    delay: Duration,
}

impl Respond for NumberedTokens {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let number = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        if number > self.fail_after {
            return ResponseTemplate::new(503).set_body_string("unavailable");
        }
        ResponseTemplate::new(200)
            .set_body_json(json!({
                "access_token": format!("token-{number}"),
                "token_type": "Bearer",
                "expires_in": LIFETIME_SECONDS
            }))
            .set_delay(self.delay)
    }
}

async fn stub_server(fail_after: usize, delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oidc/v1/token"))
        .respond_with(NumberedTokens {
            issued: AtomicUsize::new(0),
            fail_after,
            delay,
        })
        .mount(&server)
        .await;
    server
}

fn token_source(server: &MockServer) -> Arc<TokenSource> {
    let workspace = Workspace::new(&server.uri(), WorkspaceOptions::default()).expect("valid host");
    let policy = RefreshPolicy {
        expiry_margin: Duration::from_secs(1),
        ..RefreshPolicy::default()
    };
    Arc::new(TokenSource::with_policy(
        workspace,
        "client".to_owned(),
        SecretString::from("secret"),
        policy,
    ))
}

async fn token_requests(server: &MockServer) -> usize {
    let requests = server.received_requests().await.expect("recording is on");
    requests
        .iter()
        .filter(|request| request.url.path() == "/oidc/v1/token")
        .count()
}

async fn wait_for_token_requests(server: &MockServer, expected: usize) {
    for _ in 0..100 {
        if token_requests(server).await >= expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn token_text(source: &Arc<TokenSource>) -> String {
    let token = source.token().await.expect("token request succeeds");
    token.expose_secret().to_owned()
}

#[tokio::test]
async fn fresh_token_is_reused() {
    let server = stub_server(usize::MAX, Duration::ZERO).await;
    let source = token_source(&server);

    assert_eq!(token_text(&source).await, "token-1");
    assert_eq!(token_text(&source).await, "token-1");
    assert_eq!(token_requests(&server).await, 1);
}

#[tokio::test]
async fn stale_token_refreshes_in_background() {
    let server = stub_server(usize::MAX, Duration::ZERO).await;
    let source = token_source(&server);
    assert_eq!(token_text(&source).await, "token-1");

    tokio::time::sleep(STALE).await;
    assert_eq!(
        token_text(&source).await,
        "token-1",
        "a stale token is still served"
    );
    wait_for_token_requests(&server, 2).await;

    assert_eq!(token_requests(&server).await, 2);
    assert_eq!(token_text(&source).await, "token-2");
}

#[tokio::test]
async fn expired_token_refreshes_before_use() {
    let server = stub_server(usize::MAX, Duration::ZERO).await;
    let source = token_source(&server);
    assert_eq!(token_text(&source).await, "token-1");

    tokio::time::sleep(EXPIRED).await;

    assert_eq!(token_text(&source).await, "token-2");
    assert_eq!(token_requests(&server).await, 2);
}

#[tokio::test]
async fn concurrent_first_callers_share_one_request() {
    let server = stub_server(usize::MAX, Duration::from_millis(200)).await;
    let source = token_source(&server);

    let callers = (0..50).map(|_| {
        let source = Arc::clone(&source);
        tokio::spawn(async move { token_text(&source).await })
    });
    let tokens = futures::future::join_all(callers).await;

    for token in tokens {
        assert_eq!(token.expect("caller task finishes"), "token-1");
    }
    assert_eq!(token_requests(&server).await, 1);
}

#[tokio::test]
async fn concurrent_callers_at_expiry_share_one_request() {
    let server = stub_server(usize::MAX, Duration::from_millis(200)).await;
    let source = token_source(&server);
    assert_eq!(token_text(&source).await, "token-1");
    tokio::time::sleep(EXPIRED).await;

    let callers = (0..50).map(|_| {
        let source = Arc::clone(&source);
        tokio::spawn(async move { token_text(&source).await })
    });
    let tokens = futures::future::join_all(callers).await;

    for token in tokens {
        assert_eq!(token.expect("caller task finishes"), "token-2");
    }
    assert_eq!(token_requests(&server).await, 2);
}

#[tokio::test]
async fn failed_background_refresh_keeps_stale_token() {
    let server = stub_server(1, Duration::ZERO).await;
    let source = token_source(&server);
    assert_eq!(token_text(&source).await, "token-1");
    tokio::time::sleep(STALE).await;

    assert_eq!(token_text(&source).await, "token-1");
    wait_for_token_requests(&server, 2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    assert_eq!(
        token_text(&source).await,
        "token-1",
        "the stale token is still served"
    );
    assert_eq!(
        token_requests(&server).await,
        2,
        "no second background attempt within the retry delay"
    );
}
