//! `app-server metrics-summary`: scrapes a `/metrics` endpoint and prints request rates by
//! authentication mode, latency percentiles, upstream success rates, the circuit breaker state
//! and active users, for environments without Prometheus recording rules.

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use url::Url;

use super::exposition::{Exposition, Histogram};
use super::metrics::{
    ACTIVE_USERS, APP_START_TIME_SECONDS, AUTH_OVERHEAD_SECONDS, AUTH_REQUESTS_TOTAL,
    CIRCUIT_BREAKER_STATE, REQUEST_DURATION_SECONDS, UPSTREAM_API_DURATION_SECONDS,
};

/// The maximum window between two scrapes.
pub const MAX_WINDOW: Duration = Duration::from_hours(1);

/// The time limit of one scrape.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);

/// Scrapes `url` and returns the summary. With a zero `window` it covers everything since the app
/// started. Otherwise it scrapes again after `window` and covers what happened in between.
pub async fn collect(url: &str, window: Duration) -> anyhow::Result<Summary> {
    let url = parse_url(url)?;
    anyhow::ensure!(
        window <= MAX_WINDOW,
        "the window must be at most {} seconds, got {}",
        MAX_WINDOW.as_secs(),
        window.as_secs()
    );
    let client = reqwest::Client::builder()
        .timeout(SCRAPE_TIMEOUT)
        .build()
        .context("failed to build the HTTP client")?;

    let first = scrape(&client, &url).await?;
    if window.is_zero() {
        let uptime = uptime_seconds(&first);
        return Ok(Summary::new(&Span::since_start(first, uptime), &url));
    }
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let second = scrape(&client, &url).await?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(Summary::new(&Span::between(first, second, seconds), &url))
}

/// Checks that `text` is an `http` or `https` URL.
fn parse_url(text: &str) -> anyhow::Result<Url> {
    let url = Url::parse(text).with_context(|| {
        format!("invalid --url {text:?}: give a full URL such as http://127.0.0.1:8000/metrics")
    })?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https"),
        "invalid --url: the scheme must be http or https, got {}",
        url.scheme()
    );
    Ok(url)
}

async fn scrape(client: &reqwest::Client, url: &Url) -> anyhow::Result<Exposition> {
    let display_url = without_password(url);
    let response = client
        .get(url.clone())
        .send()
        .await
        .with_context(|| format!("failed to scrape {display_url}"))?;
    let status = response.status();
    anyhow::ensure!(
        status.is_success(),
        "failed to scrape {display_url}: the server returned {status}"
    );
    let text = response
        .text()
        .await
        .with_context(|| format!("failed to read the body of {display_url}"))?;
    text.parse()
        .with_context(|| format!("{display_url} did not return the Prometheus text format"))
}

/// Returns the URL for messages, without a password it may carry.
fn without_password(url: &Url) -> String {
    let mut display_url = url.clone();
    let _ = display_url.set_password(None);
    display_url.to_string()
}

/// Seconds since `app_start_time_seconds`, when the scrape has it.
fn uptime_seconds(exposition: &Exposition) -> Option<f64> {
    let start = exposition.sum(APP_START_TIME_SECONDS, &[])?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    Some((now - start).max(0.0))
}

/// The scrapes a summary covers: one (counts since the app started) or two (counts in between).
#[derive(Debug)]
pub struct Span {
    earlier: Option<Exposition>,
    later: Exposition,
    /// The length of the span in seconds, when known.
    seconds: Option<f64>,
}

impl Span {
    /// Covers everything the app counted since it started `uptime` seconds ago.
    pub fn since_start(scrape: Exposition, uptime: Option<f64>) -> Self {
        Self {
            earlier: None,
            later: scrape,
            seconds: uptime,
        }
    }

    /// Covers what happened between two scrapes `seconds` apart.
    pub fn between(earlier: Exposition, later: Exposition, seconds: f64) -> Self {
        Self {
            earlier: Some(earlier),
            later,
            seconds: Some(seconds),
        }
    }

    fn counter(&self, name: &str, filter: &[(&str, &str)]) -> f64 {
        let later = self.later.sum(name, filter).unwrap_or(0.0);
        let earlier = self
            .earlier
            .as_ref()
            .and_then(|earlier| earlier.sum(name, filter))
            .unwrap_or(0.0);
        later - earlier
    }

    fn histogram(&self, name: &str, filter: &[(&str, &str)]) -> Option<Histogram> {
        let later = self.later.histogram(name, filter)?;
        match self
            .earlier
            .as_ref()
            .and_then(|earlier| earlier.histogram(name, filter))
        {
            Some(earlier) => Some(later.since(&earlier)),
            None => Some(later),
        }
    }
}

/// Requests of one authentication mode.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeRequests {
    pub mode: String,
    pub requests: f64,
    pub successes: f64,
    /// Requests per second, when the span's length is known.
    pub rate: Option<f64>,
}

/// The 95th and 99th percentiles of a latency histogram, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    pub p95: f64,
    pub p99: f64,
}

/// Calls to one upstream service.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceCalls {
    pub service: String,
    pub calls: f64,
    pub successes: f64,
}

/// The figures `metrics-summary` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The scraped URL, without a password.
    pub url: String,
    /// Seconds between the two scrapes, or `None` for a single scrape.
    pub window_seconds: Option<f64>,
    /// Seconds since the app started, for a single scrape that reports it.
    pub uptime_seconds: Option<f64>,
    pub modes: Vec<ModeRequests>,
    /// Authentication overhead by mode.
    pub auth_overhead: Vec<(String, Percentiles)>,
    pub request_latency: Option<Percentiles>,
    pub services: Vec<ServiceCalls>,
    /// The `circuit_breaker_state` gauge.
    pub breaker_state: Option<f64>,
    pub active_users: Option<f64>,
}

impl Summary {
    /// Computes the figures of `span`.
    pub fn new(span: &Span, url: &Url) -> Self {
        let modes = span
            .later
            .label_values(AUTH_REQUESTS_TOTAL, "mode")
            .into_iter()
            .map(|mode| {
                let requests = span.counter(AUTH_REQUESTS_TOTAL, &[("mode", &mode)]);
                ModeRequests {
                    successes: span.counter(
                        AUTH_REQUESTS_TOTAL,
                        &[("mode", &mode), ("status", "success")],
                    ),
                    rate: span.seconds.filter(|s| *s > 0.0).map(|s| requests / s),
                    requests,
                    mode,
                }
            })
            .collect();
        let auth_overhead = span
            .later
            .label_values(&format!("{AUTH_OVERHEAD_SECONDS}_bucket"), "mode")
            .into_iter()
            .filter_map(|mode| {
                let histogram = span.histogram(AUTH_OVERHEAD_SECONDS, &[("mode", &mode)])?;
                Some((mode, percentiles(&histogram)?))
            })
            .collect();
        let services = span
            .later
            .label_values(&format!("{UPSTREAM_API_DURATION_SECONDS}_count"), "service")
            .into_iter()
            .map(|service| ServiceCalls {
                calls: span.counter(
                    &format!("{UPSTREAM_API_DURATION_SECONDS}_count"),
                    &[("service", &service)],
                ),
                successes: span.counter(
                    &format!("{UPSTREAM_API_DURATION_SECONDS}_count"),
                    &[("service", &service), ("status", "success")],
                ),
                service,
            })
            .collect();

        Self {
            url: without_password(url),
            window_seconds: span.earlier.as_ref().and(span.seconds),
            uptime_seconds: span.earlier.is_none().then_some(span.seconds).flatten(),
            modes,
            auth_overhead,
            request_latency: span
                .histogram(REQUEST_DURATION_SECONDS, &[])
                .as_ref()
                .and_then(percentiles),
            services,
            breaker_state: span.later.sum(CIRCUIT_BREAKER_STATE, &[]),
            active_users: span.later.sum(ACTIVE_USERS, &[]),
        }
    }
}

fn percentiles(histogram: &Histogram) -> Option<Percentiles> {
    Some(Percentiles {
        p95: histogram.quantile(0.95)?,
        p99: histogram.quantile(0.99)?,
    })
}

impl fmt::Display for Summary {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.window_seconds, self.uptime_seconds) {
            (Some(window), _) => writeln!(out, "{}: the last {window:.1} s", self.url)?,
            (None, Some(uptime)) => writeln!(
                out,
                "{}: since the app started {} ago",
                self.url,
                duration_text(uptime)
            )?,
            (None, None) => writeln!(out, "{}: since the app started", self.url)?,
        }

        writeln!(out, "\nRequests by authentication mode")?;
        if self.modes.is_empty() {
            writeln!(out, "  none")?;
        }
        for line in &self.modes {
            let rate = line
                .rate
                .map_or_else(String::new, |rate| format!("{rate:.2}/s, "));
            let succeeded = if line.requests > 0.0 {
                format!(", {} succeeded", percent(line.successes, line.requests))
            } else {
                String::new()
            };
            writeln!(
                out,
                "  {:<18} {rate}{} requests{succeeded}",
                line.mode, line.requests
            )?;
        }

        writeln!(out, "\nLatency (p95 / p99)")?;
        for (mode, overhead) in &self.auth_overhead {
            let label = format!("auth overhead ({mode})");
            writeln!(out, "  {label:<34} {}", percentiles_text(*overhead))?;
        }
        let latency = self
            .request_latency
            .map_or_else(|| "no requests".to_owned(), percentiles_text);
        writeln!(out, "  {:<34} {latency}", "request latency")?;

        writeln!(out, "\nUpstream success rate")?;
        if self.services.is_empty() {
            writeln!(out, "  no workspace calls")?;
        }
        for service in &self.services {
            writeln!(
                out,
                "  {:<18} {} of {} calls, {}",
                service.service,
                service.successes,
                service.calls,
                percent(service.successes, service.calls)
            )?;
        }

        writeln!(
            out,
            "\nCircuit breaker: {}",
            self.breaker_state.map_or("unknown", breaker_state_name)
        )?;
        match self.active_users {
            Some(users) => writeln!(out, "Active users (last 5 minutes): {users}"),
            None => writeln!(out, "Active users (last 5 minutes): unknown"),
        }
    }
}

/// Names a `circuit_breaker_state` value.
fn breaker_state_name(value: f64) -> &'static str {
    match value {
        0.0 => "closed",
        1.0 => "open",
        2.0 => "half-open",
        _ => "unknown",
    }
}

fn percent(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.1} %", part / whole * 100.0)
    } else {
        "n/a".to_owned()
    }
}

fn percentiles_text(percentiles: Percentiles) -> String {
    format!(
        "{} / {}",
        seconds_text(percentiles.p95),
        seconds_text(percentiles.p99)
    )
}

/// Formats seconds in the unit that suits them: µs, ms or s.
fn seconds_text(seconds: f64) -> String {
    if seconds < 0.001 {
        format!("{:.1} µs", seconds * 1_000_000.0)
    } else if seconds < 1.0 {
        format!("{:.1} ms", seconds * 1000.0)
    } else {
        format!("{seconds:.2} s")
    }
}

/// Formats an uptime as hours, minutes and seconds.
fn duration_text(seconds: f64) -> String {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "an uptime is non-negative and far below u64::MAX seconds"
    )]
    let total = seconds.max(0.0).round() as u64;
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    if hours > 0 {
        format!("{hours} h {minutes} min")
    } else if minutes > 0 {
        format!("{minutes} min {seconds} s")
    } else {
        format!("{seconds} s")
    }
}

#[cfg(test)]
#[expect(
    clippy::float_cmp,
    reason = "the expected values are exact: counts and binary fractions"
)]
mod tests {
    use super::*;

    const EARLIER: &str = r#"
auth_requests_total{endpoint="/api/user/me",mode="obo",status="success"} 10
auth_requests_total{endpoint="/api/user/me",mode="obo",status="unauthorized"} 2
request_duration_seconds_bucket{endpoint="/api/user/me",method="GET",status="200",le="0.01"} 10
request_duration_seconds_bucket{endpoint="/api/user/me",method="GET",status="200",le="1"} 12
request_duration_seconds_bucket{endpoint="/api/user/me",method="GET",status="200",le="+Inf"} 12
request_duration_seconds_count{endpoint="/api/user/me",method="GET",status="200"} 12
request_duration_seconds_sum{endpoint="/api/user/me",method="GET",status="200"} 0.5
upstream_api_duration_seconds_count{service="scim",operation="current_user",status="success"} 4
circuit_breaker_state 0
active_users 2
"#;

    const LATER: &str = r#"
auth_requests_total{endpoint="/api/user/me",mode="obo",status="success"} 28
auth_requests_total{endpoint="/api/user/me",mode="obo",status="unauthorized"} 4
auth_requests_total{endpoint="/api/unity-catalog/catalogs",mode="service_principal",status="success"} 10
auth_overhead_seconds_bucket{mode="obo",le="0.00001"} 90
auth_overhead_seconds_bucket{mode="obo",le="0.001"} 100
auth_overhead_seconds_bucket{mode="obo",le="+Inf"} 100
auth_overhead_seconds_count{mode="obo"} 100
auth_overhead_seconds_sum{mode="obo"} 0.01
request_duration_seconds_bucket{endpoint="/api/user/me",method="GET",status="200",le="0.01"} 10
request_duration_seconds_bucket{endpoint="/api/user/me",method="GET",status="200",le="1"} 32
request_duration_seconds_bucket{endpoint="/api/user/me",method="GET",status="200",le="+Inf"} 32
request_duration_seconds_count{endpoint="/api/user/me",method="GET",status="200"} 32
request_duration_seconds_sum{endpoint="/api/user/me",method="GET",status="200"} 9.5
upstream_api_duration_seconds_count{service="scim",operation="current_user",status="success"} 7
upstream_api_duration_seconds_count{service="scim",operation="current_user",status="server_error"} 1
circuit_breaker_state 1
active_users 3
"#;

    fn url() -> Url {
        Url::parse("http://user:secret@127.0.0.1:8000/metrics").expect("valid URL")
    }

    fn window_summary() -> Summary {
        let span = Span::between(
            EARLIER.parse().expect("valid text"),
            LATER.parse().expect("valid text"),
            10.0,
        );
        Summary::new(&span, &url())
    }

    #[test]
    fn window_counts_only_what_happened_between_scrapes() {
        let summary = window_summary();

        assert_eq!(
            summary.modes,
            [
                ModeRequests {
                    mode: "obo".to_owned(),
                    requests: 20.0,
                    successes: 18.0,
                    rate: Some(2.0),
                },
                ModeRequests {
                    mode: "service_principal".to_owned(),
                    requests: 10.0,
                    successes: 10.0,
                    rate: Some(1.0),
                },
            ]
        );
        assert_eq!(
            summary.services,
            [ServiceCalls {
                service: "scim".to_owned(),
                calls: 4.0,
                successes: 3.0,
            }]
        );
        assert_eq!(summary.breaker_state, Some(1.0));
        assert_eq!(summary.active_users, Some(3.0));
    }

    #[test]
    fn window_percentiles_use_only_new_observations() {
        let summary = window_summary();

        // The 20 new requests all took 10 ms to 1 s: rank 19 of 20 in (0.01, 1]. Counting the
        // 10 earlier fast requests too would give rank 30.4 of 32 and a lower p95 (0.928 s).
        let latency = summary.request_latency.expect("latency");
        assert!(
            (latency.p95 - (0.01 + 0.99 * 19.0 / 20.0)).abs() < 1e-9,
            "{}",
            latency.p95
        );
        assert!(
            (latency.p99 - (0.01 + 0.99 * 19.8 / 20.0)).abs() < 1e-9,
            "{}",
            latency.p99
        );

        let (mode, overhead) = &summary.auth_overhead[0];
        assert_eq!(mode, "obo");
        // Rank 95 of 100 lies in (10 µs, 1 ms] holding ranks 90 to 100.
        let expected = 0.000_01 + (0.001 - 0.000_01) * 0.5;
        assert!((overhead.p95 - expected).abs() < 1e-12, "{}", overhead.p95);
    }

    #[test]
    fn single_scrape_counts_since_start() {
        let span = Span::since_start(LATER.parse().expect("valid text"), Some(100.0));
        let summary = Summary::new(&span, &url());

        assert_eq!(summary.modes[0].requests, 32.0);
        assert_eq!(summary.modes[0].rate, Some(0.32));
        assert_eq!(summary.uptime_seconds, Some(100.0));
        assert_eq!(summary.window_seconds, None);
    }

    #[test]
    fn report_names_every_figure_without_the_password() {
        let text = window_summary().to_string();

        assert!(
            text.contains("http://user@127.0.0.1:8000/metrics"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
        assert!(
            text.contains("obo                2.00/s, 20 requests, 90.0 % succeeded"),
            "{text}"
        );
        assert!(
            text.contains("scim               3 of 4 calls, 75.0 %"),
            "{text}"
        );
        assert!(text.contains("auth overhead (obo)"), "{text}");
        assert!(text.contains("505.0 µs"), "{text}");
        assert!(text.contains("Circuit breaker: open"), "{text}");
        assert!(text.contains("Active users (last 5 minutes): 3"), "{text}");
    }

    #[test]
    fn urls_other_than_http_are_rejected() {
        for url in ["ftp://host/metrics", "not a url", "/metrics"] {
            assert!(parse_url(url).is_err(), "{url}");
        }
        assert!(parse_url("https://app.example.com/metrics").is_ok());
    }

    #[test]
    fn seconds_use_a_fitting_unit() {
        assert_eq!(seconds_text(0.000_004), "4.0 µs");
        assert_eq!(seconds_text(0.25), "250.0 ms");
        assert_eq!(seconds_text(2.5), "2.50 s");
        assert_eq!(duration_text(3_725.0), "1 h 2 min");
        assert_eq!(duration_text(65.0), "1 min 5 s");
    }
}
