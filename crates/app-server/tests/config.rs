//! Configuration from the environment: defaults, ranges and the error that lists every problem.

use std::time::Duration;

use app_server::config::Config;

fn config(pairs: &[(&str, &str)]) -> Result<Config, app_server::config::ConfigError> {
    Config::from_lookup(|name| {
        pairs
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })
}

#[test]
fn defaults_apply_with_only_the_host() {
    let config = config(&[("DATABRICKS_HOST", "adb-1.azuredatabricks.net")]).expect("valid");

    assert_eq!(config.port, 8000);
    assert_eq!(config.bind_address.to_string(), "0.0.0.0");
    assert_eq!(config.upstream_timeout, Duration::from_secs(30));
    assert_eq!(config.identity_cache_ttl, Duration::from_mins(1));
    assert_eq!(config.database_max_connections, 10);
    assert!(config.service_principal.is_none());
    assert!(config.database_url.is_none());
}

#[test]
fn every_problem_is_listed_once() {
    let error = config(&[
        ("DATABRICKS_APP_PORT", "65536"),
        ("DATABASE_MAX_CONNECTIONS", "0"),
        ("IDENTITY_CACHE_TTL_SECONDS", "18446744073709551615"),
        ("UPSTREAM_TIMEOUT_SECONDS", "soon"),
        ("DATABRICKS_CLIENT_ID", "abc"),
        ("BIND_ADDRESS", "everywhere"),
    ])
    .expect_err("invalid");

    let message = error.to_string();
    for variable in [
        "DATABRICKS_HOST",
        "DATABRICKS_APP_PORT",
        "DATABASE_MAX_CONNECTIONS",
        "IDENTITY_CACHE_TTL_SECONDS",
        "UPSTREAM_TIMEOUT_SECONDS",
        "DATABRICKS_CLIENT_SECRET",
        "BIND_ADDRESS",
    ] {
        assert!(
            message.contains(variable),
            "{variable} missing from: {message}"
        );
    }
    assert_eq!(error.problems.len(), 7, "{message}");
}

#[test]
fn secret_is_not_in_debug_output() {
    let config = config(&[
        ("DATABRICKS_HOST", "https://example.cloud.databricks.com"),
        ("DATABRICKS_CLIENT_ID", "client"),
        ("DATABRICKS_CLIENT_SECRET", "very-secret-value"),
        ("DATABASE_URL", "postgres://app:db-password@localhost/app"),
    ])
    .expect("valid");

    let debug = format!("{config:?}");
    assert!(!debug.contains("very-secret-value"));
    assert!(!debug.contains("db-password"));
}

#[test]
fn ttl_zero_is_allowed() {
    let config = config(&[
        ("DATABRICKS_HOST", "h.example.com"),
        ("IDENTITY_CACHE_TTL_SECONDS", "0"),
    ])
    .expect("valid");

    assert_eq!(config.identity_cache_ttl, Duration::ZERO);
}

#[test]
fn port_zero_is_allowed() {
    let config = config(&[
        ("DATABRICKS_HOST", "h.example.com"),
        ("DATABRICKS_APP_PORT", "0"),
    ])
    .expect("valid");

    assert_eq!(config.port, 0);
}

#[test]
fn shutdown_timing_defaults_to_fourteen_seconds() {
    let config = config(&[("DATABRICKS_HOST", "h.example.com")]).expect("valid");

    assert_eq!(config.shutdown_drain, Duration::from_secs(14));
    assert_eq!(config.shutdown_readiness_delay, Duration::ZERO);
}

#[test]
fn shutdown_drain_must_stay_below_fifteen_seconds() {
    for value in ["15", "0", "soon"] {
        let error = config(&[
            ("DATABRICKS_HOST", "h.example.com"),
            ("SHUTDOWN_DRAIN_SECONDS", value),
        ])
        .expect_err("invalid");

        assert!(
            error.to_string().contains("SHUTDOWN_DRAIN_SECONDS"),
            "{value}: {error}"
        );
    }
}

#[test]
fn readiness_delay_must_end_before_drain() {
    let error = config(&[
        ("DATABRICKS_HOST", "h.example.com"),
        ("SHUTDOWN_DRAIN_SECONDS", "2"),
        ("SHUTDOWN_READINESS_DELAY_MS", "2000"),
    ])
    .expect_err("invalid");
    assert!(error.to_string().contains("SHUTDOWN_READINESS_DELAY_MS"));

    let config = config(&[
        ("DATABRICKS_HOST", "h.example.com"),
        ("SHUTDOWN_DRAIN_SECONDS", "2"),
        ("SHUTDOWN_READINESS_DELAY_MS", "1500"),
    ])
    .expect("valid");
    assert_eq!(config.shutdown_readiness_delay, Duration::from_millis(1500));
}
