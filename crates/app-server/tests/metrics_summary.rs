//! `app-server metrics-summary` against a running app, after a known mix of requests.
//!
//! Only one test of this binary starts an app, so the process-wide metrics see only its requests.

mod common;

use common::TestApp;
use serde_json::json;

async fn send_request_mix(app: &TestApp) {
    for _ in 0..3 {
        let alice = app.get("/api/user/me", Some("dapi-alice-dev")).await;
        assert_eq!(alice.status(), 200);
    }
    let bob = app.get("/api/user/me", Some("dapi-bob-dev")).await;
    assert_eq!(bob.status(), 200);

    for _ in 0..2 {
        let fallback = app.get("/api/model-serving/endpoints", None).await;
        assert_eq!(fallback.status(), 200);
    }

    let malformed = app.get("/api/user/me", Some("not a token")).await;
    assert_eq!(malformed.status(), 401);

    // A 404 from SCIM is not retried, so Carol's lookup is one failed call.
    app.inject_fault(json!({
        "path_prefix": "/api/2.0/preview/scim/v2/Me",
        "method": "GET",
        "status": 404
    }))
    .await;
    let carol = app.get("/api/user/me", Some("dapi-carol-dev")).await;
    assert_eq!(carol.status(), 502);
}

async fn run_summary(args: &[&str]) -> (bool, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_app-server"))
        .arg("metrics-summary")
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .await
        .expect("run app-server metrics-summary");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn summary_prints_known_request_mix() {
    let app = TestApp::start().await;
    send_request_mix(&app).await;

    let (success, stdout, stderr) = run_summary(&["--url", &app.url("/metrics")]).await;

    assert!(success, "metrics-summary failed: {stderr}");
    let expected_lines = [
        "requests, 66.7 % succeeded",
        "2 of 3 calls, 66.7 %",
        "Circuit breaker: closed",
        "Active users (last 5 minutes): 2",
    ];
    for expected in expected_lines {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }
    let line_of = |start: &str| {
        stdout
            .lines()
            .find(|line| line.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no line starting with {start:?} in:\n{stdout}"))
            .to_owned()
    };
    assert!(
        line_of("obo ").contains(" 6 requests, 66.7 % succeeded"),
        "{stdout}"
    );
    assert!(
        line_of("service_principal ").contains(" 2 requests, 100.0 % succeeded"),
        "{stdout}"
    );
    assert!(
        line_of("scim ").contains("2 of 3 calls, 66.7 %"),
        "{stdout}"
    );
    for percentile_line in [
        "auth overhead (obo)",
        "auth overhead (service_principal)",
        "request latency",
    ] {
        let line = line_of(percentile_line);
        assert!(
            line.contains("s / ")
                && (line.ends_with("µs") || line.ends_with("ms") || line.ends_with(" s")),
            "{line}"
        );
    }
}

#[tokio::test]
async fn summary_rejects_invalid_url() {
    let (success, _stdout, stderr) = run_summary(&["--url", "ftp://127.0.0.1/metrics"]).await;

    assert!(!success);
    assert!(
        stderr.contains("the scheme must be http or https"),
        "{stderr}"
    );
}
