//! The app database stopped and restarted under load: requests fail with 503
//! `DATABASE_UNAVAILABLE` during the outage, recover on their own after it, and every write that
//! was acknowledged with a 2xx is readable afterwards.
//!
//! The test runs its own PostgreSQL cluster, because stopping the shared test cluster would break
//! the tests running beside it.

mod common;
mod pg_cluster;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Database, TestApp, json_body};
use pg_cluster::Cluster;
use secrecy::SecretString;
use serde_json::{Value, json};

/// Concurrent writers.
const WORKERS: usize = 8;

/// The maximum time a request may take: the pool's 5 s acquire timeout plus a margin.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// How soon after the server is back requests must succeed again.
const RECOVERY_LIMIT: Duration = Duration::from_secs(10);

const TOKEN: &str = "dapi-alice-dev";

/// One request of the load and what it got; status 0 means no response in time.
#[derive(Debug, Clone)]
struct Sample {
    started: Instant,
    finished: Instant,
    status: u16,
    error_code: Option<String>,
}

#[derive(Default)]
struct Record {
    samples: Vec<Sample>,
    /// Keys and values of writes that got a 201.
    acknowledged: Vec<(String, u64)>,
}

async fn write_loop(
    app: Arc<TestApp>,
    worker: usize,
    running: Arc<AtomicBool>,
    record: Arc<Mutex<Record>>,
) {
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("client");
    let mut sequence = 0_u64;
    while running.load(Ordering::SeqCst) {
        sequence += 1;
        let key = format!("worker{worker}-{sequence}");
        let started = Instant::now();
        let result = client
            .post(app.url("/api/preferences"))
            .header("x-forwarded-access-token", TOKEN)
            .json(&json!({ "preference_key": key, "preference_value": sequence }))
            .send()
            .await;
        let sample = match result {
            Err(_) => Sample {
                started,
                finished: Instant::now(),
                status: 0,
                error_code: None,
            },
            Ok(response) => {
                let status = response.status().as_u16();
                let body = json_body(response).await;
                Sample {
                    started,
                    finished: Instant::now(),
                    status,
                    error_code: body["error_code"].as_str().map(str::to_owned),
                }
            }
        };
        {
            let mut record = record.lock().expect("record lock");
            if sample.status == 201 {
                record.acknowledged.push((key, sequence));
            }
            record.samples.push(sample);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ready_status(app: &TestApp) -> u16 {
    app.get("/api/ready", None).await.status().as_u16()
}

async fn run_blocking(cluster: &Arc<Cluster>, action: fn(&Cluster)) {
    let cluster = Arc::clone(cluster);
    tokio::task::spawn_blocking(move || action(&cluster))
        .await
        .expect("the cluster command finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restart_under_load_loses_no_acknowledged_write() {
    let cluster = Arc::new(
        tokio::task::spawn_blocking(Cluster::start)
            .await
            .expect("the cluster started"),
    );
    let app = Arc::new(
        TestApp::builder()
            .database(Database::Url(SecretString::from(cluster.url())))
            .start()
            .await,
    );
    let running = Arc::new(AtomicBool::new(true));
    let record = Arc::new(Mutex::new(Record::default()));
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            tokio::spawn(write_loop(
                Arc::clone(&app),
                worker,
                Arc::clone(&running),
                Arc::clone(&record),
            ))
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    run_blocking(&cluster, Cluster::stop_server).await;
    let outage_started = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ready_during_outage = ready_status(&app).await;

    run_blocking(&cluster, Cluster::start_server).await;
    let restarted = Instant::now();
    tokio::time::sleep(Duration::from_secs(RECOVERY_LIMIT.as_secs() + 2)).await;
    running.store(false, Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("the worker finished");
    }
    let ready_after = ready_status(&app).await;

    let record = std::mem::take(&mut *record.lock().expect("record lock"));
    let samples = &record.samples;
    for sample in samples {
        match (sample.status, sample.error_code.as_deref()) {
            (201, _) | (503, Some("DATABASE_UNAVAILABLE")) => {}
            _ => panic!("unexpected answer during the restart: {sample:?}"),
        }
    }
    let succeeded_before = samples
        .iter()
        .any(|sample| sample.status == 201 && sample.finished < outage_started);
    assert!(succeeded_before, "writes succeeded before the outage");
    let failed_during = samples.iter().filter(|sample| sample.status == 503).count();
    assert!(
        failed_during > 0,
        "writes failed with 503 during the outage"
    );
    assert_eq!(ready_during_outage, 503, "/api/ready during the outage");
    assert_eq!(ready_after, 200, "/api/ready after the outage");

    let first_success_after = samples
        .iter()
        .filter(|sample| sample.status == 201 && sample.finished > restarted)
        .map(|sample| sample.finished)
        .min()
        .expect("writes succeeded after the restart");
    let recovery = first_success_after - restarted;
    assert!(recovery < RECOVERY_LIMIT, "recovered after {recovery:?}");
    let late_failures = samples
        .iter()
        .filter(|sample| sample.status != 201 && sample.started > first_success_after)
        .count();
    assert_eq!(
        late_failures, 0,
        "requests sent after the recovery all succeeded"
    );

    let listed = json_body(app.get("/api/preferences", Some(TOKEN)).await).await;
    let saved: HashMap<String, Value> = listed
        .as_array()
        .expect("a list of preferences")
        .iter()
        .map(|row| {
            (
                row["preference_key"].as_str().expect("a key").to_owned(),
                row["preference_value"].clone(),
            )
        })
        .collect();
    for (key, value) in &record.acknowledged {
        assert_eq!(
            saved.get(key),
            Some(&json!(value)),
            "acknowledged write {key}"
        );
    }
    println!(
        "{} writes acknowledged, {failed_during} answered 503, recovery after {recovery:?}",
        record.acknowledged.len()
    );
}
