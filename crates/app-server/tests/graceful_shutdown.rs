//! `app-server serve` as a process: HTTP/1.1 and h2c, the start-up time, and SIGTERM with
//! requests in flight.

mod server_process;

use std::time::{Duration, Instant};

use reqwest::Version;
use server_process::{AppProcess, Control, fresh_connection_client, start_emulator};

/// The drain deadline the shutdown tests configure.
const DRAIN: Duration = Duration::from_secs(10);

/// How long the emulator delays each slow SCIM `Me` call.
const SLOW_CALL: Duration = Duration::from_secs(5);

fn h2c_client() -> reqwest::Client {
    reqwest::Client::builder()
        .http2_prior_knowledge()
        .pool_max_idle_per_host(0)
        .build()
        .expect("h2c client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_http1_and_h2c() {
    let emulator = start_emulator().await;
    let app = AppProcess::serve(&emulator, &[]).await;

    let http1 = fresh_connection_client()
        .get(app.url("/api/health"))
        .send()
        .await
        .expect("HTTP/1.1 request");
    assert_eq!(http1.status(), 200);
    assert_eq!(http1.version(), Version::HTTP_11);

    let h2c = h2c_client()
        .get(app.url("/api/health"))
        .send()
        .await
        .expect("h2c request");
    assert_eq!(h2c.status(), 200);
    assert_eq!(h2c.version(), Version::HTTP_2);
    let body: serde_json::Value = h2c.json().await.expect("JSON body");
    assert_eq!(body["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_logs_startup_time() {
    let spawned = Instant::now();
    let emulator = start_emulator().await;
    let app = AppProcess::serve(&emulator, &[]).await;
    let until_listening = spawned.elapsed();

    let startup_ms = app.listening["startup_ms"]
        .as_u64()
        .expect("startup_ms is a whole number");
    assert!(
        u128::from(startup_ms) <= until_listening.as_millis(),
        "startup_ms {startup_ms} is at most the {until_listening:?} the test waited"
    );
    let ready = fresh_connection_client()
        .get(app.url("/api/ready"))
        .send()
        .await
        .expect("readiness request");
    assert_eq!(ready.status(), 200, "ready once listening");
    println!("start-up to listening: {startup_ms} ms (the test waited {until_listening:?})");
}

/// Sends `GET /api/user/me` with `token` and returns the status and the `user_id`.
async fn get_me(client: reqwest::Client, url: String, token: String) -> (u16, String) {
    let response = client
        .get(url)
        .header("x-forwarded-access-token", token)
        .send()
        .await
        .expect("slow request");
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.expect("JSON body");
    (
        status,
        body["user_id"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Polls `/api/ready` on new connections until it returns 503, and returns that body.
async fn wait_not_ready(app: &AppProcess, timeout: Duration) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    loop {
        let response = fresh_connection_client()
            .get(app.url("/api/ready"))
            .send()
            .await
            .expect("readiness request during the readiness delay");
        if response.status() == 503 {
            return response.json().await.expect("JSON body");
        }
        assert_eq!(
            response.status(),
            200,
            "readiness before the signal is handled"
        );
        assert!(
            Instant::now() < deadline,
            "/api/ready still 200 {timeout:?} after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests() {
    let emulator = start_emulator().await;
    let control = Control::new(&emulator);
    let mut app = AppProcess::serve(
        &emulator,
        &[
            ("SHUTDOWN_DRAIN_SECONDS", "10"),
            ("SHUTDOWN_READINESS_DELAY_MS", "1500"),
        ],
    )
    .await;

    // Fresh tokens, so both requests miss the identity cache and call the slowed SCIM Me.
    control.delay_me(SLOW_CALL, 2).await;
    let over_http1 = tokio::spawn(get_me(
        fresh_connection_client(),
        app.url("/api/user/me"),
        control.mint_token("alice@example.com").await,
    ));
    let over_h2c = tokio::spawn(get_me(
        h2c_client(),
        app.url("/api/user/me"),
        control.mint_token("bob@example.com").await,
    ));
    control.wait_me_in_flight(2, Duration::from_secs(10)).await;

    app.terminate();
    let terminated_at = Instant::now();

    // During the readiness delay, new connections are served and readiness turns 503 as soon
    // as the process has handled the signal.
    let body = wait_not_ready(&app, Duration::from_secs(1)).await;
    assert_eq!(body["checks"]["draining"], true);

    // After the delay, new connections are refused while the slow requests still run.
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    let refused = fresh_connection_client()
        .get(app.url("/api/health"))
        .send()
        .await
        .expect_err("no new connection after the readiness delay");
    assert!(refused.is_connect(), "connection refused: {refused}");
    assert!(
        terminated_at.elapsed() < SLOW_CALL,
        "the refusal was checked while the slow calls were still held"
    );

    assert_eq!(
        over_http1.await.expect("HTTP/1.1 task"),
        (200, "alice@example.com".to_owned())
    );
    assert_eq!(
        over_h2c.await.expect("h2c task"),
        (200, "bob@example.com".to_owned())
    );

    let status = app.wait_exit(DRAIN + Duration::from_secs(2)).await;
    let shutdown_time = terminated_at.elapsed();
    assert!(status.success(), "exit status {status}");
    assert!(
        shutdown_time < DRAIN,
        "exited {shutdown_time:?} after SIGTERM, deadline {DRAIN:?}"
    );
    for message in [
        "shutdown started: /api/ready returns 503",
        "stopped accepting connections: waiting for in-flight requests and background tasks",
        "in-flight requests and background tasks finished",
        "database pool closed",
        "stopped",
    ] {
        assert!(
            app.output.find(message).is_some(),
            "log line {message:?}; output:\n{}",
            app.output.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_at_drain_deadline_with_request_stuck() {
    let emulator = start_emulator().await;
    let control = Control::new(&emulator);
    let mut app = AppProcess::serve(&emulator, &[("SHUTDOWN_DRAIN_SECONDS", "2")]).await;

    control.delay_me(Duration::from_secs(30), 1).await;
    let stuck = tokio::spawn(get_me(
        fresh_connection_client(),
        app.url("/api/user/me"),
        control.mint_token("alice@example.com").await,
    ));
    control.wait_me_in_flight(1, Duration::from_secs(10)).await;

    app.terminate();
    let terminated_at = Instant::now();
    let status = app.wait_exit(Duration::from_secs(5)).await;
    let shutdown_time = terminated_at.elapsed();

    assert!(status.success(), "exit status {status}");
    assert!(
        shutdown_time < Duration::from_secs(3),
        "exited {shutdown_time:?} after SIGTERM with a 2 s deadline"
    );
    assert!(
        app.output
            .find("drain deadline reached: dropping the requests and tasks still running")
            .is_some(),
        "deadline warning; output:\n{}",
        app.output.text()
    );
    stuck.abort();
}
