//! `GET /metrics` after scripted runs: every metric with its labels, counter deltas, bounded
//! labels, no personal data, `promtool check metrics`, and the access-log line's fields.
//!
//! The metrics recorder is global to the test binary, so each test locks [`SERIAL`] while it runs
//! and compares scrapes taken before and after its own requests.

#![expect(
    clippy::float_cmp,
    reason = "metric values here are counts, exact in an f64"
)]

mod common;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use app_server::telemetry::exposition::Exposition;
use common::logs::CapturedLogs;
use common::{Database, TestApp, json_body};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use workspace_emulator::Fixture;

static SERIAL: Mutex<()> = Mutex::const_new(());

const SCIM_ME_PATH: &str = "/api/2.0/preview/scim/v2/Me";
const SCIM_ME_ROUTE: &str = "GET /api/2.0/preview/scim/v2/Me";

fn logs() -> &'static CapturedLogs {
    static LOGS: OnceLock<CapturedLogs> = OnceLock::new();
    LOGS.get_or_init(CapturedLogs::install_global)
}

async fn scrape_text(app: &TestApp) -> String {
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status(), 200, "GET /metrics");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    response.text().await.expect("metrics body")
}

async fn scrape(app: &TestApp) -> Exposition {
    scrape_text(app)
        .await
        .parse()
        .expect("the Prometheus text format")
}

/// Returns how much the sum of `name` over the series matching `filter` grew between scrapes.
fn delta(before: &Exposition, after: &Exposition, name: &str, filter: &[(&str, &str)]) -> f64 {
    after.sum(name, filter).unwrap_or(0.0) - before.sum(name, filter).unwrap_or(0.0)
}

/// Asserts that `name` has a series with exactly the label names `labels`.
fn assert_labels(exposition: &Exposition, name: &str, labels: &[&str]) {
    let expected: BTreeSet<&str> = labels.iter().copied().collect();
    let found: Vec<BTreeSet<&str>> = exposition
        .select(name, &[])
        .map(|sample| sample.labels.keys().map(String::as_str).collect())
        .collect();
    assert!(!found.is_empty(), "no series of {name}");
    assert!(
        found.iter().all(|names| *names == expected),
        "{name}: label names {found:?}, expected {expected:?}"
    );
}

/// Sends the scripted requests: two users, one retried lookup, one fallback, one invocation, one
/// database read and one malformed token.
async fn scripted_run(app: &TestApp) {
    let me = app.get("/api/user/me", Some("dapi-alice-dev")).await;
    assert_eq!(me.status(), 200);
    let cached = app.get("/api/user/me", Some("dapi-alice-dev")).await;
    assert_eq!(cached.status(), 200);

    let fallback = app.get("/api/model-serving/endpoints", None).await;
    assert_eq!(fallback.status(), 200);

    for _ in 0..3 {
        app.inject_fault(json!({"path_prefix": SCIM_ME_PATH, "method": "GET", "status": 503}))
            .await;
    }
    let retried = app.get("/api/user/me", Some("dapi-bob-dev")).await;
    assert_eq!(retried.status(), 200);

    let invocation = app
        .post_json(
            "/api/model-serving/invoke",
            Some("dapi-alice-dev"),
            &json!({"endpoint_name": "echo", "inputs": {"instances": [[1, 2]]}}),
        )
        .await;
    assert_eq!(invocation.status(), 200, "{}", json_body(invocation).await);

    let preferences = app.get("/api/preferences", Some("dapi-alice-dev")).await;
    assert_eq!(preferences.status(), 200);

    let malformed = app.get("/api/user/me", Some("not a token")).await;
    assert_eq!(malformed.status(), 401);
}

#[tokio::test]
async fn scripted_run_emits_every_metric() {
    let _serial = SERIAL.lock().await;
    let app = TestApp::builder()
        .database(Database::Postgres)
        .start()
        .await;

    scripted_run(&app).await;
    let after = scrape(&app).await;

    assert_labels(
        &after,
        "auth_requests_total",
        &["endpoint", "mode", "status"],
    );
    assert_labels(&after, "auth_retry_total", &["endpoint", "attempt_number"]);
    assert_labels(&after, "auth_fallback_total", &["reason"]);
    assert_labels(
        &after,
        "request_duration_seconds_bucket",
        &["endpoint", "method", "status", "le"],
    );
    assert_labels(&after, "auth_overhead_seconds_bucket", &["mode", "le"]);
    assert_labels(
        &after,
        "upstream_api_duration_seconds_bucket",
        &["service", "operation", "status", "le"],
    );
    assert_labels(&after, "model_invocations_total", &["endpoint", "status"]);
    assert_labels(&after, "db_pool_acquire_seconds_bucket", &["le"]);
    for unlabelled in [
        "active_users",
        "circuit_breaker_state",
        "identity_cache_hits_total",
        "identity_cache_misses_total",
        "db_pool_connections",
        "db_pool_idle_connections",
        "db_pool_max_connections",
        "app_start_time_seconds",
    ] {
        assert_labels(&after, unlabelled, &[]);
    }

    assert_eq!(after.sum("circuit_breaker_state", &[]), Some(0.0));
    assert!(after.sum("active_users", &[]).unwrap_or(0.0) >= 2.0);
    assert_eq!(after.sum("db_pool_max_connections", &[]), Some(10.0));
    assert!(after.sum("db_pool_connections", &[]).unwrap_or(0.0) >= 1.0);
}

#[tokio::test]
async fn counters_move_by_the_expected_amounts() {
    let _serial = SERIAL.lock().await;
    let app = TestApp::builder()
        .database(Database::Postgres)
        .start()
        .await;
    let before = scrape(&app).await;

    scripted_run(&app).await;
    let after = scrape(&app).await;
    let moved = |name: &str, filter: &[(&str, &str)]| delta(&before, &after, name, filter);

    assert_eq!(
        moved("auth_fallback_total", &[("reason", "no_user_token")]),
        1.0
    );
    assert_eq!(moved("auth_retry_total", &[]), 3.0);
    for attempt in ["1", "2", "3"] {
        let filter = [("endpoint", SCIM_ME_ROUTE), ("attempt_number", attempt)];
        assert_eq!(moved("auth_retry_total", &filter), 1.0, "attempt {attempt}");
    }
    assert_eq!(moved("identity_cache_misses_total", &[]), 2.0);
    assert_eq!(moved("identity_cache_hits_total", &[]), 3.0);

    let requests = [
        ("/api/user/me", "obo", "success", 3.0),
        ("/api/user/me", "obo", "unauthorized", 1.0),
        (
            "/api/model-serving/endpoints",
            "service_principal",
            "success",
            1.0,
        ),
        ("/api/model-serving/invoke", "obo", "success", 1.0),
        ("/api/preferences", "obo", "success", 1.0),
    ];
    for (endpoint, mode, status, count) in requests {
        let filter = [("endpoint", endpoint), ("mode", mode), ("status", status)];
        assert_eq!(moved("auth_requests_total", &filter), count, "{filter:?}");
    }
    assert_eq!(moved("auth_requests_total", &[]), 7.0);

    let me_ok = [
        ("endpoint", "/api/user/me"),
        ("method", "GET"),
        ("status", "200"),
    ];
    assert_eq!(moved("request_duration_seconds_count", &me_ok), 3.0);
    assert_eq!(
        moved("auth_overhead_seconds_count", &[("mode", "obo")]),
        5.0
    );
    assert_eq!(
        moved(
            "auth_overhead_seconds_count",
            &[("mode", "service_principal")]
        ),
        1.0
    );

    let scim_ok = [
        ("service", "scim"),
        ("operation", "current_user"),
        ("status", "success"),
    ];
    assert_eq!(moved("upstream_api_duration_seconds_count", &scim_ok), 2.0);
    let invoke_ok = [
        ("service", "model_serving"),
        ("operation", "invoke"),
        ("status", "success"),
    ];
    assert_eq!(
        moved("upstream_api_duration_seconds_count", &invoke_ok),
        1.0
    );
    assert_eq!(
        moved(
            "model_invocations_total",
            &[("endpoint", "echo"), ("status", "success")]
        ),
        1.0
    );
    assert!(moved("db_pool_acquire_seconds_count", &[]) >= 1.0);
}

#[tokio::test]
async fn catalog_and_serving_calls_are_timed_by_operation() {
    let _serial = SERIAL.lock().await;
    let app = TestApp::builder().database(Database::None).start().await;
    let before = scrape(&app).await;

    let alice = Some("dapi-alice-dev");
    let calls = [
        (
            "/api/unity-catalog/catalogs",
            "unity_catalog",
            "list_catalogs",
        ),
        (
            "/api/unity-catalog/catalogs/main/schemas",
            "unity_catalog",
            "list_schemas",
        ),
        (
            "/api/unity-catalog/catalogs/main/schemas/sales/tables",
            "unity_catalog",
            "list_tables",
        ),
        (
            "/api/model-serving/endpoints",
            "model_serving",
            "list_endpoints",
        ),
        (
            "/api/model-serving/endpoints/echo",
            "model_serving",
            "get_endpoint",
        ),
    ];
    for (path, _, _) in calls {
        let response = app.get(path, alice).await;
        assert_eq!(
            response.status(),
            200,
            "{path}: {}",
            json_body(response).await
        );
    }
    let missing = app
        .get("/api/unity-catalog/tables/main.sales.absent", alice)
        .await;
    assert_eq!(missing.status(), 404);
    let as_app = app.get("/api/user/me", None).await;
    assert_eq!(as_app.status(), 200);
    let after = scrape(&app).await;

    for (path, service, operation) in calls {
        let filter = [
            ("service", service),
            ("operation", operation),
            ("status", "success"),
        ];
        let moved = delta(
            &before,
            &after,
            "upstream_api_duration_seconds_count",
            &filter,
        );
        assert_eq!(moved, 1.0, "{path}: {filter:?}");
    }
    let not_found = [
        ("service", "unity_catalog"),
        ("operation", "get_table"),
        ("status", "client_error"),
    ];
    assert_eq!(
        delta(
            &before,
            &after,
            "upstream_api_duration_seconds_count",
            &not_found
        ),
        1.0
    );
    // Only the service principal's own lookup: the catalog and serving routes pass Alice's token
    // on to the workspace without looking her up.
    let scim = [
        ("service", "scim"),
        ("operation", "current_user"),
        ("status", "success"),
    ];
    assert_eq!(
        delta(
            &before,
            &after,
            "upstream_api_duration_seconds_count",
            &scim
        ),
        1.0
    );
}

#[tokio::test]
async fn scrapes_are_not_counted() {
    let _serial = SERIAL.lock().await;
    let app = TestApp::start().await;
    let before = scrape(&app).await;

    scrape(&app).await;
    let after = scrape(&app).await;

    assert_eq!(
        delta(
            &before,
            &after,
            "request_duration_seconds_count",
            &[("endpoint", "/metrics")]
        ),
        0.0
    );
    assert!(
        after
            .label_values("request_duration_seconds_count", "endpoint")
            .iter()
            .all(|e| e != "/metrics")
    );
}

#[tokio::test]
async fn raw_paths_and_methods_never_become_labels() {
    let _serial = SERIAL.lock().await;
    let app = TestApp::start().await;
    let marker = uuid::Uuid::new_v4().simple().to_string();

    let unknown_api = app.get(&format!("/api/{marker}"), None).await;
    assert_eq!(unknown_api.status(), 404);
    // The static file service serves the single-page app or a 404 for unknown paths.
    app.get(&format!("/assets/{marker}.js"), None).await;
    let preference = app
        .get(
            &format!("/api/preferences/{marker}"),
            Some("dapi-alice-dev"),
        )
        .await;
    assert_eq!(preference.status(), 404);
    let method = reqwest::Method::from_bytes(format!("X{marker}").as_bytes()).expect("method");
    let custom = app
        .http
        .request(method, app.url("/api/user/me"))
        .send()
        .await
        .expect("request");
    assert_eq!(custom.status(), 405);
    let missing_endpoint = app
        .post_json(
            "/api/model-serving/invoke",
            Some("dapi-alice-dev"),
            &json!({"endpoint_name": format!("e{marker}"), "inputs": {"instances": [[1]]}}),
        )
        .await;
    assert_eq!(missing_endpoint.status(), 404);

    let text = scrape_text(&app).await;
    assert!(
        !text.contains(&marker),
        "a request's own text is in a label"
    );
    let exposition: Exposition = text.parse().expect("valid text");
    let endpoints = exposition.label_values("request_duration_seconds_count", "endpoint");
    for expected in [
        "/api/{*rest}",
        "unmatched",
        "/api/preferences/{preference_key}",
    ] {
        assert!(endpoints.contains(expected), "{expected} in {endpoints:?}");
    }
    let methods = exposition.label_values("request_duration_seconds_count", "method");
    assert!(methods.contains("other"), "{methods:?}");
}

#[tokio::test]
async fn metrics_hold_no_personal_data() {
    let _serial = SERIAL.lock().await;
    let app = TestApp::start().await;
    let users = Fixture::default_fixture().users;
    let mut tokens = Vec::new();
    for user in users.iter().filter(|user| user.active) {
        tokens.push(app.mint_token(&user.user_name, 600).await);
    }
    tokens.extend(["dapi-alice-dev", "dapi-bob-dev", "dapi-carol-dev"].map(str::to_owned));

    for token in &tokens {
        for path in [
            "/api/user/me",
            "/api/unity-catalog/catalogs",
            "/api/preferences",
        ] {
            let response = app.get(path, Some(token)).await;
            assert_eq!(response.status(), 200, "{path}");
        }
        let invocation = app
            .post_json(
                "/api/model-serving/invoke",
                Some(token),
                &json!({"endpoint_name": "echo", "inputs": {"instances": [[1]]}}),
            )
            .await;
        assert_eq!(invocation.status(), 200);
    }
    let text = scrape_text(&app).await;

    for user in &users {
        assert!(
            !text.contains(&user.user_name),
            "{} in /metrics",
            user.user_name
        );
        assert!(!text.contains(&user.id), "user id {} in /metrics", user.id);
    }
    for token in &tokens {
        assert!(!text.contains(token.as_str()), "a token is in /metrics");
    }
    for forbidden in ["dapi-", "eyJ", "@"] {
        assert!(!text.contains(forbidden), "{forbidden:?} in /metrics");
    }
}

#[tokio::test]
async fn promtool_accepts_the_metrics() {
    let _serial = SERIAL.lock().await;
    let app = TestApp::builder()
        .database(Database::Postgres)
        .start()
        .await;
    scripted_run(&app).await;
    let text = scrape_text(&app).await;

    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "promtool is missing: install Debian's prometheus package or run scripts/test.sh, \
             which installs it",
        );
    child
        .stdin
        .take()
        .expect("promtool stdin")
        .write_all(text.as_bytes())
        .expect("write the metrics to promtool");
    let output = child.wait_with_output().expect("promtool finished");

    assert!(
        output.status.success(),
        "promtool check metrics failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn access_log_has_auth_mode_and_user_hash() {
    logs();
    let _serial = SERIAL.lock().await;
    let app = TestApp::start().await;

    let response = app
        .http
        .get(app.url("/api/user/me"))
        .header("x-correlation-id", "metrics-access-log-1")
        .header("x-forwarded-access-token", "dapi-alice-dev")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);

    let lines: Vec<_> = logs()
        .lines()
        .into_iter()
        .filter(|line| line["span"]["correlation_id"] == "metrics-access-log-1")
        .filter(|line| line["message"] == "request completed")
        .collect();
    assert_eq!(lines.len(), 1, "one access-log line: {lines:?}");
    let line = &lines[0];
    let expected_hash = &format!("{:x}", Sha256::digest(b"alice@example.com"))[..12];
    assert_eq!(line["span"]["auth.mode"], "obo", "{line}");
    assert_eq!(line["span"]["user.id_hash"], expected_hash, "{line}");
    assert_eq!(line["span"]["http.route"], "/api/user/me", "{line}");
    assert_eq!(line["http.status_code"], 200, "{line}");
    assert!(line["duration_ms"].is_number(), "{line}");
    let text = line.to_string();
    for personal in ["alice@example.com", "dapi-alice-dev", "1000000000000001"] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
}

#[tokio::test]
async fn access_log_without_user_has_no_hash() {
    logs();
    let _serial = SERIAL.lock().await;
    let app = TestApp::start().await;

    let response = app
        .http
        .get(app.url("/api/model-serving/endpoints"))
        .header("x-correlation-id", "metrics-access-log-2")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);

    let line = logs()
        .lines()
        .into_iter()
        .find(|line| {
            line["span"]["correlation_id"] == "metrics-access-log-2"
                && line["message"] == "request completed"
        })
        .expect("the access-log line");
    assert_eq!(line["span"]["auth.mode"], "service_principal", "{line}");
    assert!(line["span"].get("user.id_hash").is_none(), "{line}");
}
