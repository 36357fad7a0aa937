//! `app-server lakebase check` and the start-up errors of a wrong Lakebase configuration. Needs
//! `TEST_POSTGRES_URL`.

#[path = "common/postgres.rs"]
mod postgres_db;

#[path = "lakebase/harness.rs"]
mod harness;

use app_server::config::Config;
use app_server::lakebase::{self, RefreshPolicy, Severity};
use app_server::store::{Store as _, StoreOptions};
use secrecy::ExposeSecret as _;
use sqlx::{AssertSqlSafe, Connection as _, PgConnection};

use harness::Lakebase;

#[tokio::test]
async fn sslmode_require_without_tls_names_pgsslmode() {
    let lakebase = Lakebase::start(600).await;
    let error = lakebase::connect(
        &lakebase.settings_requiring_tls(),
        &lakebase.client(),
        &StoreOptions::default(),
        RefreshPolicy::default(),
    )
    .await
    .expect_err("the test cluster does not offer TLS");
    let message = error.to_string();
    assert!(message.contains("PGSSLMODE"), "{message}");
    assert!(message.contains("require"), "{message}");
    assert!(message.contains("127.0.0.1"), "{message}");
}

#[tokio::test]
async fn check_reports_settings_and_pending_migrations() {
    let lakebase = Lakebase::start(600).await;
    let report = lakebase::check(
        &lakebase.settings(),
        &lakebase.client(),
        &StoreOptions::default(),
    )
    .await;
    let text = report.to_string();

    for expected in [
        "host: 127.0.0.1 (from PGHOST)".to_owned(),
        format!("port: {}", lakebase.port),
        format!("database: {}", lakebase.database.name()),
        format!(
            "user: {} (the service principal's SCIM userName)",
            lakebase.sp_id
        ),
        "sslmode: prefer (default for this host)".to_owned(),
        "credential: minted for instance app-db (LAKEBASE_INSTANCE_NAME)".to_owned(),
        "credential expires at".to_owned(),
        "ok  login succeeded".to_owned(),
        "FAILED  migrations: pending 0001 initial, 0002 row level security".to_owned(),
        "fix: run `app-server migrate up`".to_owned(),
    ] {
        assert!(
            text.contains(&expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(!report.is_ok());
    assert!(!text.contains("password"), "{text}");
}

#[tokio::test]
async fn check_passes_once_migrated() {
    let lakebase = Lakebase::start(600).await;
    let connected = lakebase
        .connect(&StoreOptions::default(), RefreshPolicy::default())
        .await;
    connected.store.migrate_up().await.expect("migrate");
    let token = connected
        .rotation
        .provider()
        .current()
        .token
        .expose_secret()
        .to_owned();

    let report = lakebase::check(
        &lakebase.settings(),
        &lakebase.client(),
        &StoreOptions::default(),
    )
    .await;
    let text = report.to_string();
    assert!(report.is_ok(), "{text}");
    assert!(text.contains("migrations: all 2 applied"), "{text}");
    assert!(
        text.contains("can read and write every app table"),
        "{text}"
    );
    assert!(!text.contains(&token), "the report shows a credential");
}

#[tokio::test]
async fn check_names_missing_privilege_with_fix() {
    let lakebase = Lakebase::start(600).await;
    let connected = lakebase
        .connect(&StoreOptions::default(), RefreshPolicy::default())
        .await;
    connected.store.migrate_up().await.expect("migrate");
    let mut admin = PgConnection::connect(&postgres_db::superuser_url(lakebase.database.name()))
        .await
        .expect("superuser connection");
    let revoke: String =
        sqlx::query_scalar("SELECT format('REVOKE DELETE ON model_inference_logs FROM %I', $1)")
            .bind(&lakebase.sp_id)
            .fetch_one(&mut admin)
            .await
            .expect("format REVOKE");
    sqlx::raw_sql(AssertSqlSafe(revoke))
        .execute(&mut admin)
        .await
        .expect("revoke");

    let report = lakebase::check(
        &lakebase.settings(),
        &lakebase.client(),
        &StoreOptions::default(),
    )
    .await;
    let failure = report
        .findings
        .iter()
        .find(|finding| finding.severity == Severity::Failed)
        .unwrap_or_else(|| panic!("no failure in:\n{report}"));
    assert_eq!(
        failure.text,
        "privileges: missing DELETE on model_inference_logs"
    );
    assert_eq!(
        failure.fix.as_deref(),
        Some(
            format!(
                "GRANT DELETE ON public.model_inference_logs TO \"{}\";",
                lakebase.sp_id
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn check_with_tls_required_names_pgsslmode() {
    let lakebase = Lakebase::start(600).await;
    let report = lakebase::check(
        &lakebase.settings_requiring_tls(),
        &lakebase.client(),
        &StoreOptions::default(),
    )
    .await;
    let text = report.to_string();
    assert!(!report.is_ok());
    assert!(text.contains("sslmode: require (from PGSSLMODE)"), "{text}");
    assert!(text.contains("FAILED  TLS connection"), "{text}");
}

#[test]
fn contradictory_configuration_lists_every_problem() {
    let env = [
        ("DATABRICKS_HOST", "https://adb-1.example.com"),
        ("DATABASE_URL", "postgres://app:pw@127.0.0.1/app"),
        ("LAKEBASE_INSTANCE_NAME", "app-db"),
        ("PGHOST", "instance-1.database.example.com"),
        ("PGSSLMODE", "disable"),
        ("PGPORT", "99999"),
    ];
    let error = Config::from_lookup(|name| {
        env.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })
    .expect_err("contradictory configuration");
    let message = error.to_string();
    for expected in [
        "DATABASE_URL and Lakebase",
        "DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET",
        "PGPORT is invalid",
        "PGSSLMODE=disable is not allowed",
    ] {
        assert!(
            message.contains(expected),
            "{expected:?} missing from:\n{message}"
        );
    }
    assert!(!message.contains("pw@"), "{message}");
}
