//! Liveness and readiness answers.

mod common;

use common::{Database, TestApp, json_body};

#[tokio::test]
async fn ready_with_a_reachable_database() {
    let app = TestApp::start().await;

    let response = app.get("/api/ready", None).await;

    assert_eq!(response.status(), 200);
    let body = json_body(response).await;
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["database_credential"], "static");
    assert_eq!(body["checks"]["draining"], false);
}

#[tokio::test]
async fn ready_without_a_database() {
    let app = TestApp::builder().database(Database::None).start().await;

    let body = json_body(app.get("/api/ready", None).await).await;

    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], "not_configured");
}

#[tokio::test]
async fn draining_is_not_ready() {
    let app = TestApp::start().await;
    app.state.start_draining();

    let response = app.get("/api/ready", None).await;

    assert_eq!(response.status(), 503);
    assert_eq!(json_body(response).await["status"], "not_ready");
    let health = app.get("/api/health", None).await;
    assert_eq!(health.status(), 200, "liveness stays up while draining");
}
