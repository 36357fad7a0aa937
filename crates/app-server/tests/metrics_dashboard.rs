//! The Grafana dashboard, the recording rules and the observability guide refer only to metrics
//! the app exports and to rules the rules file records.

use std::collections::BTreeSet;
use std::path::PathBuf;

use app_server::telemetry::metrics;
use regex::Regex;

const APP_METRICS: [&str; 17] = [
    metrics::AUTH_REQUESTS_TOTAL,
    metrics::AUTH_RETRY_TOTAL,
    metrics::AUTH_FALLBACK_TOTAL,
    metrics::REQUEST_DURATION_SECONDS,
    metrics::AUTH_OVERHEAD_SECONDS,
    metrics::UPSTREAM_API_DURATION_SECONDS,
    metrics::ACTIVE_USERS,
    metrics::CIRCUIT_BREAKER_STATE,
    metrics::IDENTITY_CACHE_HITS_TOTAL,
    metrics::IDENTITY_CACHE_MISSES_TOTAL,
    metrics::DB_POOL_CONNECTIONS,
    metrics::DB_POOL_IDLE_CONNECTIONS,
    metrics::DB_POOL_MAX_CONNECTIONS,
    metrics::DB_POOL_ACQUIRE_SECONDS,
    metrics::LAKEBASE_CREDENTIAL_REFRESHES_TOTAL,
    metrics::MODEL_INVOCATIONS_TOTAL,
    metrics::APP_START_TIME_SECONDS,
];

const HISTOGRAMS: [&str; 4] = [
    metrics::REQUEST_DURATION_SECONDS,
    metrics::AUTH_OVERHEAD_SECONDS,
    metrics::UPSTREAM_API_DURATION_SECONDS,
    metrics::DB_POOL_ACQUIRE_SECONDS,
];

fn repository_file(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&full)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", full.display()))
}

/// Returns every series name a scrape can contain: the metrics, and three series per histogram.
fn exported_series_names() -> BTreeSet<String> {
    let mut names: BTreeSet<String> = APP_METRICS.iter().map(|name| (*name).to_owned()).collect();
    for histogram in HISTOGRAMS {
        for suffix in ["_bucket", "_count", "_sum"] {
            names.insert(format!("{histogram}{suffix}"));
        }
    }
    names
}

fn recorded_rule_names(rules: &str) -> BTreeSet<String> {
    let record = Regex::new(r"(?m)^\s*-\s*record:\s*(\S+)\s*$").expect("valid regex");
    record
        .captures_iter(rules)
        .map(|captures| captures[1].to_owned())
        .collect()
}

/// Returns every PromQL expression of the dashboard: panel targets and template variable queries.
fn dashboard_expressions(dashboard: &serde_json::Value) -> Vec<String> {
    let mut expressions = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            expressions.push(target["expr"].as_str().expect("expr").to_owned());
        }
    }
    for variable in dashboard["templating"]["list"]
        .as_array()
        .expect("variables")
    {
        if let Some(definition) = variable["definition"].as_str() {
            expressions.push(definition.to_owned());
        }
    }
    expressions
}

/// Returns the names in `expression` that look like this app's metrics or like recording rules
/// (those with a colon).
fn referenced_names(expression: &str) -> Vec<String> {
    let identifier = Regex::new(r"[A-Za-z_:][A-Za-z0-9_:]*").expect("valid regex");
    let prefixes: Vec<&str> = APP_METRICS
        .iter()
        .map(|name| name.split('_').next().unwrap_or(name))
        .collect();
    identifier
        .find_iter(expression)
        .map(|found| found.as_str())
        .filter(|name| {
            name.contains(':') || prefixes.iter().any(|p| name.starts_with(&format!("{p}_")))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn dashboard_uses_only_recorded_rules_and_metrics() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&repository_file("deploy/grafana/dashboard.json"))
            .expect("the dashboard is JSON");
    let rules = recorded_rule_names(&repository_file("deploy/prometheus/recording_rules.yml"));
    let exported = exported_series_names();

    let expressions = dashboard_expressions(&dashboard);
    assert!(expressions.len() > 20, "{expressions:?}");
    for expression in &expressions {
        for name in referenced_names(expression) {
            let known = if name.contains(':') {
                rules.contains(&name)
            } else {
                exported.contains(&name)
            };
            assert!(
                known,
                "{name} in {expression:?} is neither a rule nor a metric"
            );
        }
    }
}

#[test]
fn every_recording_rule_is_on_the_dashboard() {
    let dashboard = repository_file("deploy/grafana/dashboard.json");
    let rules = recorded_rule_names(&repository_file("deploy/prometheus/recording_rules.yml"));

    assert!(rules.len() > 10, "{rules:?}");
    for rule in &rules {
        assert!(
            dashboard.contains(rule.as_str()),
            "{rule} is not on the dashboard"
        );
    }
}

#[test]
fn recording_rules_read_only_exported_metrics() {
    let rules = repository_file("deploy/prometheus/recording_rules.yml");
    let exported = exported_series_names();
    let structure = ["#", "groups:", "rules:", "- name:", "- record:"];

    let mut checked = 0;
    for line in rules.lines() {
        let line = line.trim_start();
        if structure.iter().any(|start| line.starts_with(start)) {
            continue;
        }
        for name in referenced_names(line)
            .into_iter()
            .filter(|n| !n.contains(':'))
        {
            assert!(
                exported.contains(&name),
                "{name} in {line:?} is not exported"
            );
            checked += 1;
        }
    }
    assert!(checked > 15, "only {checked} metric references found");
}

#[test]
fn observability_guide_names_every_metric() {
    let guide = repository_file("docs/OBSERVABILITY.md");

    for name in APP_METRICS {
        assert!(
            guide.contains(&format!("`{name}")),
            "docs/OBSERVABILITY.md lacks {name}"
        );
    }
}
