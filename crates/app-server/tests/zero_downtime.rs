//! A rolling restart under load: two `app-server serve` processes behind a loopback load
//! balancer, one of them stopped with SIGTERM and replaced while requests keep coming.

mod server_process;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use server_process::balancer::Balancer;
use server_process::{AppProcess, Control, fresh_connection_client, start_emulator};
use tokio::sync::Mutex;

/// Concurrent clients of the load.
const CLIENTS: usize = 6;

/// Each client stops after this long, so the test is bounded.
const LOAD_DURATION: Duration = Duration::from_secs(8);

/// How long the emulator delays each in-flight request's SCIM `Me` call.
const SLOW_CALL: Duration = Duration::from_secs(2);

/// The slow requests pinned to the instance that is stopped.
const SLOW_REQUESTS: u32 = 3;

/// One request of the load.
#[derive(Debug)]
struct Outcome {
    sent_at: Instant,
    status: Result<u16, String>,
    served_by: Option<String>,
}

#[derive(Default)]
struct Load {
    outcomes: Mutex<Vec<Outcome>>,
    sent: AtomicU64,
}

/// Sends `GET /api/user/me` through the balancer in a loop until the load duration ends.
async fn run_client(balancer_url: String, token: String, load: Arc<Load>) {
    let client = fresh_connection_client();
    let started = Instant::now();
    while started.elapsed() < LOAD_DURATION {
        let sent_at = Instant::now();
        load.sent.fetch_add(1, Ordering::Relaxed);
        let result = client
            .get(&balancer_url)
            .header("x-forwarded-access-token", &token)
            .send()
            .await;
        let outcome = match result {
            Ok(response) => Outcome {
                sent_at,
                status: Ok(response.status().as_u16()),
                served_by: response
                    .headers()
                    .get("x-test-served-by")
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned),
            },
            Err(error) => Outcome {
                sent_at,
                status: Err(error.to_string()),
                served_by: None,
            },
        };
        load.outcomes.lock().await.push(outcome);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Sends one slow request pinned to backend 0 and returns its status, backend and attempts.
async fn slow_request(balancer_url: String, token: String) -> (u16, String, String) {
    let response = fresh_connection_client()
        .get(balancer_url)
        .header("x-forwarded-access-token", token)
        .header("x-test-backend", "0")
        .send()
        .await
        .expect("slow request through the balancer");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    (
        response.status().as_u16(),
        header("x-test-served-by"),
        header("x-test-attempts"),
    )
}

/// Calls `/api/user/me` once on `app` directly, so its identity cache contains `token`.
async fn warm_up(app: &AppProcess, token: &str) {
    let response = fresh_connection_client()
        .get(app.url("/api/user/me"))
        .header("x-forwarded-access-token", token)
        .send()
        .await
        .expect("warm-up request");
    assert_eq!(response.status(), 200, "warm-up of {}", app.base_url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_drops_no_request() {
    let emulator = start_emulator().await;
    let control = Control::new(&emulator);
    let mut victim = AppProcess::serve(&emulator, &[]).await;
    let survivor = AppProcess::serve(&emulator, &[]).await;
    let token = control.mint_token("alice@example.com").await;
    warm_up(&victim, &token).await;
    warm_up(&survivor, &token).await;

    let balancer = Balancer::start(vec![victim.base_url.clone(), survivor.base_url.clone()]).await;
    let me_url = balancer.url("/api/user/me");
    let load = Arc::new(Load::default());
    let load_started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| tokio::spawn(run_client(me_url.clone(), token.clone(), Arc::clone(&load))))
        .collect();

    // In-flight requests on the victim: fresh tokens miss its identity cache and wait on the
    // slowed SCIM Me call.
    tokio::time::sleep(Duration::from_secs(1)).await;
    control.delay_me(SLOW_CALL, SLOW_REQUESTS).await;
    let mut slow = Vec::new();
    for user in ["alice@example.com", "bob@example.com", "carol@example.com"] {
        let slow_token = control.mint_token(user).await;
        slow.push(tokio::spawn(slow_request(me_url.clone(), slow_token)));
    }
    control
        .wait_me_in_flight(u64::from(SLOW_REQUESTS), Duration::from_secs(5))
        .await;

    victim.terminate();
    let terminated_at = Instant::now();
    let victim_status = victim.wait_exit(Duration::from_secs(14)).await;
    let victim_exited_at = Instant::now();

    // The restart: a new instance takes the stopped one's place in the balancer.
    let replacement = AppProcess::serve(&emulator, &[]).await;
    warm_up(&replacement, &token).await;
    balancer.replace(0, replacement.base_url.clone());
    let replaced_at = Instant::now();

    for client in clients {
        client.await.expect("load client");
    }
    let load_ended_at = Instant::now();

    // The victim finished its in-flight requests itself: 200 from backend 0 on the first try.
    for request in slow {
        let (status, served_by, attempts) = request.await.expect("slow request task");
        assert_eq!(status, 200, "in-flight request completed");
        assert_eq!(served_by, "0", "answered by the stopped instance");
        assert_eq!(attempts, "1", "not retried elsewhere");
    }
    assert!(
        victim_status.success(),
        "victim exit status {victim_status}"
    );
    assert!(
        victim_exited_at.duration_since(terminated_at) >= SLOW_CALL / 2,
        "the victim waited for its in-flight requests before exiting"
    );

    let outcomes = load.outcomes.lock().await;
    let failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|outcome| outcome.status != Ok(200))
        .collect();
    assert!(failed.is_empty(), "failed requests: {failed:#?}");
    assert_eq!(
        u64::try_from(outcomes.len()).expect("count fits"),
        load.sent.load(Ordering::Relaxed),
        "every request sent got an outcome"
    );

    // The load really ran across the restart.
    let count = |from: Instant, to: Instant, backend: &str| {
        outcomes
            .iter()
            .filter(|outcome| outcome.sent_at >= from && outcome.sent_at < to)
            .filter(|outcome| outcome.served_by.as_deref() == Some(backend))
            .count()
    };
    assert!(
        count(load_started, terminated_at, "0") > 0,
        "the victim served load before SIGTERM"
    );
    assert!(
        count(victim_exited_at, replaced_at, "1") > 0,
        "the survivor served load while the victim was gone"
    );
    assert!(
        count(replaced_at, load_ended_at, "0") > 0,
        "the replacement served load after the restart"
    );
    assert!(
        balancer.stats.connect_failovers.load(Ordering::Relaxed) > 0,
        "requests reached the stopped instance's port and moved on"
    );
    assert_eq!(balancer.stats.bad_gateway.load(Ordering::Relaxed), 0);
    println!(
        "{} requests, {} connect failovers, {} reset failovers",
        outcomes.len(),
        balancer.stats.connect_failovers.load(Ordering::Relaxed),
        balancer.stats.reset_failovers.load(Ordering::Relaxed)
    );
}
