//! The daily schedule of the retention job: started as a background task only when it can run,
//! and stopped by shutdown.

mod common;

use std::time::Duration;

use app_server::retention::schedule;
use common::{Database, TestApp};

#[tokio::test]
async fn schedule_runs_as_background_task() {
    let app = TestApp::start().await;

    schedule::start(&app.state);

    assert_eq!(app.state.background.len(), 1);
    tokio::time::timeout(Duration::from_secs(5), app.state.background.shutdown())
        .await
        .expect("shutdown stops the schedule");
    assert!(app.state.background.is_empty());
}

#[tokio::test]
async fn schedule_off_starts_nothing() {
    let app = TestApp::builder()
        .env("CLEANUP_SCHEDULE_UTC", "off")
        .start()
        .await;

    schedule::start(&app.state);

    assert!(app.state.background.is_empty());
}

#[tokio::test]
async fn schedule_needs_service_principal() {
    let app = TestApp::builder().without_service_principal().start().await;

    schedule::start(&app.state);

    assert!(app.state.background.is_empty());
}

#[tokio::test]
async fn schedule_needs_database() {
    let app = TestApp::builder().database(Database::None).start().await;

    schedule::start(&app.state);

    assert!(app.state.background.is_empty());
}
