//! Lakebase credential refreshes in the metrics: counted by result, and timed as Lakebase calls.
//! Needs `TEST_POSTGRES_URL` (see `tests/common/postgres.rs`).

#![expect(
    clippy::float_cmp,
    reason = "metric values here are counts, exact in an f64"
)]

#[path = "common/postgres.rs"]
mod postgres_db;

#[path = "lakebase/harness.rs"]
mod harness;

use app_server::lakebase::RefreshPolicy;
use app_server::store::StoreOptions;
use app_server::telemetry::exposition::Exposition;
use serde_json::json;

use harness::Lakebase;

const REFRESHES: &str = "lakebase_credential_refreshes_total";
const CALLS: &str = "upstream_api_duration_seconds_count";

fn scrape() -> Exposition {
    app_server::telemetry::metrics::install()
        .render()
        .parse()
        .expect("the Prometheus text format")
}

fn value(exposition: &Exposition, name: &str, filter: &[(&str, &str)]) -> f64 {
    exposition.sum(name, filter).unwrap_or(0.0)
}

#[tokio::test]
async fn credential_refreshes_are_counted_by_result() {
    app_server::telemetry::metrics::install();
    let lakebase = Lakebase::start(3600).await;
    let before = scrape();

    let connected = lakebase
        .connect(&StoreOptions::default(), RefreshPolicy::default())
        .await;
    let provider = connected.rotation.provider();
    provider.refresh("test").await.expect("refresh succeeds");

    let response = lakebase
        .http
        .post(format!(
            "{}/__emulator/faults",
            lakebase.emulator.base_url()
        ))
        .json(&json!({"path_prefix": "/api/2.0/database/credentials", "status": 400}))
        .send()
        .await
        .expect("inject a fault");
    assert_eq!(response.status(), 201);
    provider
        .refresh("test")
        .await
        .expect_err("the workspace rejects the request");
    let after = scrape();

    let moved = |name: &str, filter: &[(&str, &str)]| {
        value(&after, name, filter) - value(&before, name, filter)
    };
    // The first credential is minted when the store opens, which is not a refresh.
    assert_eq!(moved(REFRESHES, &[("result", "success")]), 1.0);
    assert_eq!(moved(REFRESHES, &[("result", "failure")]), 1.0);
    let minted = [
        ("service", "lakebase"),
        ("operation", "generate_database_credential"),
    ];
    assert_eq!(
        moved(CALLS, &[minted[0], minted[1], ("status", "success")]),
        2.0,
        "the first credential and the refresh"
    );
    assert_eq!(
        moved(CALLS, &[minted[0], minted[1], ("status", "client_error")]),
        1.0
    );
}
