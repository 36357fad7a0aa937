//! The app serving requests for a minute while its database credential, which lives 10 seconds,
//! rotates many times. Needs `TEST_POSTGRES_URL` (see `tests/common/postgres.rs`).

#[path = "common/postgres.rs"]
mod postgres_db;

#[path = "lakebase/harness.rs"]
mod harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use app_server::config::Config;
use app_server::lakebase::RefreshPolicy;
use app_server::state::AppState;
use app_server::store::Store;
use serde_json::json;

use harness::{ALICE_TOKEN, CREDENTIALS_ROUTE, Lakebase, fast_recycling_pool};

const RUN_FOR: Duration = Duration::from_mins(1);
const WORKERS: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_survive_a_minute_of_rotations() {
    let lakebase = Lakebase::start(10).await;
    let policy = RefreshPolicy {
        min_backoff: Duration::from_millis(200),
        ..RefreshPolicy::default()
    };
    let connected = lakebase.connect(&fast_recycling_pool(), policy).await;
    connected.store.migrate_up().await.expect("migrate");
    let store: Arc<dyn Store> = connected.store.clone();

    let env = lakebase.env();
    let config = Config::from_lookup(|name| {
        env.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    })
    .expect("valid configuration");
    assert!(config.lakebase.is_some(), "Lakebase is configured");
    let state = AppState::new(config, Some(store)).expect("app state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        axum::serve(listener, app_server::http::router(state))
            .await
            .expect("serve");
    });

    let succeeded = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let base_url = base_url.clone();
        let succeeded = succeeded.clone();
        workers.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client");
            let mut failures = Vec::new();
            let mut round = 0_u64;
            while started.elapsed() < RUN_FOR {
                round += 1;
                let key = format!("worker-{worker}");
                let save = http
                    .post(format!("{base_url}/api/preferences"))
                    .header("x-forwarded-access-token", ALICE_TOKEN)
                    .json(&json!({"preference_key": key, "preference_value": round}))
                    .send()
                    .await;
                let load = http
                    .get(format!("{base_url}/api/preferences/{key}"))
                    .header("x-forwarded-access-token", ALICE_TOKEN)
                    .send()
                    .await;
                for (what, response) in [("save", save), ("load", load)] {
                    match response {
                        Ok(response) if response.status().is_success() => {
                            succeeded.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(response) => failures.push(format!(
                            "{what} at {:?}: {} {}",
                            started.elapsed(),
                            response.status(),
                            response.text().await.unwrap_or_default()
                        )),
                        Err(error) => failures.push(format!("{what}: {error}")),
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for worker in workers {
        failures.extend(worker.await.expect("worker"));
    }

    let mints = connected.rotation.provider().mints();
    let succeeded = succeeded.load(Ordering::Relaxed);
    assert_eq!(
        failures,
        Vec::<String>::new(),
        "after {succeeded} successes"
    );
    assert!(succeeded > 200, "only {succeeded} requests succeeded");
    // 60 s of 10 s credentials refreshed at 75 % of their life is 8 rotations.
    assert!(mints >= 6, "only {mints} credentials minted in a minute");
    assert!(
        mints <= 12,
        "{mints} credentials minted: refreshes are too frequent"
    );
    assert_eq!(lakebase.calls(CREDENTIALS_ROUTE).await, mints);
}
