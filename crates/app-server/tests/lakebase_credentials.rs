//! The credential provider against failures: an outage of the credential API, credentials with
//! a bad expiry, and a password rotated behind the app's back. Needs `TEST_POSTGRES_URL`.

#[path = "common/logs.rs"]
mod logs;

#[path = "common/postgres.rs"]
mod postgres_db;

#[path = "lakebase/harness.rs"]
mod harness;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use app_server::domain::UserId;
use app_server::lakebase::{
    CredentialProvider, CredentialSource, MintError, MintedCredential, RefreshPolicy,
    RotatingPassword,
};
use app_server::store::{CredentialHealth, Store};
use secrecy::SecretString;
use serde_json::json;
use sqlx::postgres::PgConnectOptions;

use harness::{CREDENTIALS_ROUTE, Lakebase, fast_recycling_pool};
use logs::CapturedLogs;

static LOGS: LazyLock<CapturedLogs> = LazyLock::new(CapturedLogs::install_global);

fn alice() -> UserId {
    UserId::verified("alice@example.com")
}

/// Saves and reads a preference through the store, returning the first error.
async fn use_store(store: &dyn Store, round: u64) -> Result<(), String> {
    store
        .upsert_preference(&alice(), "round", &json!(round))
        .await
        .map_err(|error| format!("upsert {round}: {error}"))?;
    let loaded = store
        .get_preference(&alice(), "round")
        .await
        .map_err(|error| format!("get {round}: {error}"))?;
    match loaded {
        Some(preference) if preference.preference_value == json!(round) => Ok(()),
        other => Err(format!("get {round} returned {other:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_outage_keeps_serving_on_old_credential() {
    LazyLock::force(&LOGS);
    let lakebase = Lakebase::start(20).await;
    // Refresh after 5 of the 20 seconds, so the outage below starts well before expiry.
    let policy = RefreshPolicy {
        refresh_at_percent: 25,
        min_backoff: Duration::from_millis(300),
        max_backoff: Duration::from_secs(1),
        ..RefreshPolicy::default()
    };
    let connected = lakebase.connect(&fast_recycling_pool(), policy).await;
    let store = connected.store.clone();
    store.migrate_up().await.expect("migrate");
    let provider = connected.rotation.provider().clone();
    let first_expiry = provider.current().expires_at.expect("expiry");

    lakebase
        .inject_fault(json!({
            "path_prefix": "/api/2.0/database/credentials",
            "status": 503,
            "body": {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "down for a test"},
            "times": null,
        }))
        .await;
    // Requests for 9 s: the refresh is due after 5 s and fails until the faults are cleared.
    let started = Instant::now();
    let mut round = 0;
    while started.elapsed() < Duration::from_secs(9) {
        round += 1;
        use_store(store.as_ref(), round)
            .await
            .expect("requests succeed on the old credential");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        provider.mints(),
        1,
        "no credential arrived during the outage"
    );
    assert_eq!(provider.current().expires_at, Some(first_expiry));
    let warnings = LOGS
        .lines()
        .into_iter()
        .filter(|line| {
            line["level"] == "WARN"
                && line["message"].as_str().is_some_and(|message| {
                    message.starts_with("database credential refresh failed")
                })
        })
        .count();
    assert!(warnings >= 2, "{warnings} refresh warnings logged");
    assert!(
        !LOGS.text().contains(&lakebase_secret(&provider)),
        "a log line contains the credential"
    );

    lakebase.clear_faults().await;
    let recovered = Instant::now();
    while provider.mints() == 1 && recovered.elapsed() < Duration::from_secs(5) {
        round += 1;
        use_store(store.as_ref(), round).await.expect("request");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        provider.mints(),
        2,
        "a credential arrived once the API was back"
    );
    assert!(provider.current().expires_at > Some(first_expiry));
    assert!(
        matches!(store.credential_health(), CredentialHealth::Ok { .. }),
        "{:?}",
        store.credential_health()
    );
    use_store(store.as_ref(), round + 1)
        .await
        .expect("requests succeed on the new credential");
}

fn lakebase_secret(provider: &CredentialProvider) -> String {
    use secrecy::ExposeSecret as _;
    provider.current().token.expose_secret().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_degrades_near_expiry_during_outage() {
    let lakebase = Lakebase::start(6).await;
    let policy = RefreshPolicy {
        refresh_at_percent: 30,
        degraded_at_percent: 60,
        min_backoff: Duration::from_millis(300),
        max_backoff: Duration::from_millis(600),
    };
    let connected = lakebase.connect(&fast_recycling_pool(), policy).await;
    let store = connected.store.clone();
    assert!(
        matches!(
            store.credential_health(),
            CredentialHealth::Ok {
                expires_at: Some(_)
            }
        ),
        "{:?}",
        store.credential_health()
    );
    lakebase
        .inject_fault(json!({
            "path_prefix": "/api/2.0/database/credentials",
            "status": 503,
            "times": null,
        }))
        .await;

    let started = Instant::now();
    let mut health = store.credential_health();
    while !matches!(health, CredentialHealth::Degraded { .. })
        && started.elapsed() < Duration::from_secs(6)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
        health = store.credential_health();
    }
    let CredentialHealth::Degraded { reason, expires_at } = health else {
        panic!("readiness did not degrade: {health:?}");
    };
    assert!(expires_at.is_some());
    assert!(reason.contains("503"), "{reason}");
    let degraded_after = started.elapsed();
    assert!(
        degraded_after >= Duration::from_millis(2_500),
        "degraded after {degraded_after:?}, before 60 % of the lifetime"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_login_mints_once_and_connects() {
    let lakebase = Lakebase::start(600).await;
    let connected = lakebase
        .connect(&fast_recycling_pool(), RefreshPolicy::default())
        .await;
    let store = connected.store.clone();
    store.migrate_up().await.expect("migrate");
    use_store(store.as_ref(), 1).await.expect("first request");
    let provider = connected.rotation.provider().clone();
    let calls_before = lakebase.calls(CREDENTIALS_ROUTE).await;
    assert_eq!(provider.mints(), 1);

    lakebase.rotate_password_behind_the_apps_back().await;
    // Several requests at once, each of which may open a connection that is rejected.
    let mut requests = Vec::new();
    for round in 2..6 {
        let store = store.clone();
        requests.push(tokio::spawn(async move {
            store
                .get_preference(&alice(), "round")
                .await
                .map_err(|error| format!("request {round}: {error}"))
        }));
    }
    for request in requests {
        request
            .await
            .expect("task")
            .expect("request after rotation");
    }

    assert_eq!(provider.mints(), 2, "exactly one new credential");
    assert_eq!(lakebase.calls(CREDENTIALS_ROUTE).await, calls_before + 1);
    use_store(store.as_ref(), 7).await.expect("later request");
}

/// A credential API whose expiry is always `expiration_time`, counting its calls.
#[derive(Debug)]
struct FixedExpirySource {
    expiration_time: Option<String>,
    calls: AtomicU64,
}

#[async_trait::async_trait]
impl CredentialSource for FixedExpirySource {
    async fn mint(&self) -> Result<MintedCredential, MintError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(MintedCredential {
            token: SecretString::from("unused-password"),
            expiration_time: self.expiration_time.clone(),
        })
    }
}

/// Runs the refresh task for 3 s with credentials whose expiry is `expiration_time` and returns
/// how many were minted.
async fn mints_in_three_seconds(expiration_time: Option<String>) -> u64 {
    let source = Arc::new(FixedExpirySource {
        expiration_time,
        calls: AtomicU64::new(0),
    });
    let policy = RefreshPolicy {
        min_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(5),
        ..RefreshPolicy::default()
    };
    let provider = Arc::new(
        CredentialProvider::start(source.clone(), policy)
            .await
            .expect("first credential"),
    );
    // The pool never connects: port 1 on loopback has no server, and nothing acquires.
    let options = PgConnectOptions::new_without_pgpass()
        .host("127.0.0.1")
        .port(1);
    let pool = sqlx::postgres::PgPoolOptions::new().connect_lazy_with(options.clone());
    let rotation = RotatingPassword::start(provider.clone(), pool, options);
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(rotation);
    assert_eq!(source.calls.load(Ordering::Relaxed), provider.mints());
    provider.mints()
}

#[tokio::test]
async fn past_expiry_backs_off() {
    let past = (chrono::Utc::now() - chrono::TimeDelta::hours(1)).to_rfc3339();
    let mints = mints_in_three_seconds(Some(past)).await;
    // Waits of 0.2, 0.4, 0.8 and 1.6 s fit 4 refreshes after the first credential, at most.
    assert!(
        (2..=5).contains(&mints),
        "{mints} credentials minted in 3 s"
    );
}

#[tokio::test]
async fn unparseable_expiry_backs_off() {
    let mints = mints_in_three_seconds(Some("next tuesday".to_owned())).await;
    assert!(
        (2..=5).contains(&mints),
        "{mints} credentials minted in 3 s"
    );
}

#[tokio::test]
async fn missing_expiry_backs_off() {
    let mints = mints_in_three_seconds(None).await;
    assert!(
        (2..=5).contains(&mints),
        "{mints} credentials minted in 3 s"
    );
}

#[tokio::test]
async fn valid_expiry_waits_for_refresh_point() {
    let in_an_hour = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let mints = mints_in_three_seconds(Some(in_an_hour)).await;
    assert_eq!(mints, 1);
}
