//! The number of series in `/metrics` does not grow with the number of users, and no user's
//! email, id or token appears in it.
//!
//! This binary contains one test, so the process-wide metrics see only its requests.

mod common;

use std::collections::BTreeSet;

use app_server::telemetry::exposition::Exposition;
use common::TestApp;
use futures::StreamExt as _;
use workspace_emulator::Fixture;

const USERS: u32 = 1_000;
const FIRST_BATCH: u32 = 10;
const CONCURRENT_USERS: usize = 8;

fn user_name(index: u32) -> String {
    format!("load-user-{index:04}@example.com")
}

fn user_id(index: u32) -> String {
    format!("{}", 3_000_000_000_000_000_u64 + u64::from(index))
}

/// The default fixture plus [`USERS`] users without personal access tokens.
fn fixture_with_many_users() -> Fixture {
    let mut fixture = Fixture::default_fixture();
    let template = fixture.users[0].clone();
    for index in 0..USERS {
        let mut user = template.clone();
        user.user_name = user_name(index);
        user.display_name = format!("Load User {index}");
        user.id = user_id(index);
        user.token = None;
        user.groups = Vec::new();
        fixture.users.push(user);
    }
    fixture
}

/// Mints a token for each user and sends the same three requests with it.
async fn exercise(app: &TestApp, users: std::ops::Range<u32>) {
    futures::stream::iter(users)
        .for_each_concurrent(CONCURRENT_USERS, |index| async move {
            let token = app.mint_token(&user_name(index), 600).await;
            for path in [
                "/api/user/me",
                "/api/unity-catalog/catalogs",
                "/api/preferences",
            ] {
                let response = app.get(path, Some(&token)).await;
                assert_eq!(response.status(), 200, "{path} for user {index}");
            }
        })
        .await;
}

async fn scrape_text(app: &TestApp) -> String {
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status(), 200);
    response.text().await.expect("metrics body")
}

/// Returns each series as its name and labels, values left out.
fn series(exposition: &Exposition) -> BTreeSet<String> {
    exposition
        .samples
        .iter()
        .map(|sample| format!("{}{:?}", sample.name, sample.labels))
        .collect()
}

#[tokio::test]
async fn series_count_is_independent_of_user_count() {
    let app = TestApp::builder()
        .fixture(fixture_with_many_users())
        .start()
        .await;

    exercise(&app, 0..FIRST_BATCH).await;
    let after_few: Exposition = scrape_text(&app).await.parse().expect("valid text");
    exercise(&app, FIRST_BATCH..USERS).await;
    let text = scrape_text(&app).await;
    let after_many: Exposition = text.parse().expect("valid text");

    let few = series(&after_few);
    let many = series(&after_many);
    let added: Vec<_> = many.difference(&few).collect();
    let removed: Vec<_> = few.difference(&many).collect();
    assert!(added.is_empty(), "series added by more users: {added:?}");
    assert!(removed.is_empty(), "series gone: {removed:?}");
    assert_eq!(after_many.series_count(), after_few.series_count());

    assert_eq!(
        after_few.sum("active_users", &[]),
        Some(f64::from(FIRST_BATCH))
    );
    assert_eq!(after_many.sum("active_users", &[]), Some(f64::from(USERS)));
    let me_requests = [("endpoint", "/api/user/me"), ("status", "success")];
    assert_eq!(
        after_many.sum("auth_requests_total", &me_requests),
        Some(f64::from(USERS))
    );

    assert!(!text.contains('@'), "an email address is in /metrics");
    for index in [0, FIRST_BATCH, USERS - 1] {
        assert!(!text.contains(&user_name(index)), "{}", user_name(index));
        assert!(!text.contains(&user_id(index)), "{}", user_id(index));
    }
    assert!(!text.contains("eyJ"), "a token is in /metrics");
}
