//! A round-robin HTTP load balancer on loopback for restart tests.
//!
//! Each request goes to the next backend over a new connection. When a GET fails before any
//! response header arrived (connection refused, or reset before the response), it is retried on
//! the next backend, as nginx does with `proxy_next_upstream error` for idempotent requests. A
//! failure after the response started is returned as 502 and never retried, so a request that a
//! backend dropped mid-response shows up as a failure.
//!
//! Requests may pin their first backend with `x-test-backend: <index>`. Responses carry
//! `x-test-served-by` (the index of the backend that sent the response) and `x-test-attempts`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// Request headers the balancer forwards to the backend.
const FORWARDED_HEADERS: [&str; 2] = ["x-forwarded-access-token", "accept"];

/// What the balancer saw.
#[derive(Debug, Default)]
pub struct Stats {
    /// Attempts that failed to connect and moved to the next backend.
    pub connect_failovers: AtomicU64,
    /// Attempts that connected but failed before a response header, then moved on.
    pub reset_failovers: AtomicU64,
    /// Requests that got 502 because every backend failed or a response broke off.
    pub bad_gateway: AtomicU64,
}

struct Shared {
    backends: RwLock<Vec<String>>,
    next: AtomicUsize,
    http: reqwest::Client,
    stats: Arc<Stats>,
}

/// A running balancer.
pub struct Balancer {
    pub base_url: String,
    pub stats: Arc<Stats>,
    shared: Arc<Shared>,
}

impl Balancer {
    /// Starts the balancer on a free loopback port in front of `backends` (base URLs).
    pub async fn start(backends: Vec<String>) -> Self {
        let stats = Arc::new(Stats::default());
        let shared = Arc::new(Shared {
            backends: RwLock::new(backends),
            next: AtomicUsize::new(0),
            http: super::fresh_connection_client(),
            stats: Arc::clone(&stats),
        });
        let router = Router::new()
            .fallback(forward)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the balancer");
        let address = listener.local_addr().expect("balancer address");
        tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("serve the balancer");
        });
        Self {
            base_url: format!("http://{address}"),
            stats,
            shared,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Points backend `index` at `base_url`, as a restarted instance on a new port.
    pub fn replace(&self, index: usize, base_url: String) {
        self.shared.backends.write().expect("backends lock")[index] = base_url;
    }
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let backends = shared.backends.read().expect("backends lock").clone();
    let count = backends.len();
    let first = request
        .headers()
        .get("x-test-backend")
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok())
        .unwrap_or_else(|| shared.next.fetch_add(1, Ordering::Relaxed))
        % count;
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |path| path.as_str())
        .to_owned();
    let retry_allowed = request.method() == Method::GET;

    for attempt in 0..count {
        let index = (first + attempt) % count;
        let mut upstream = shared.http.request(
            request.method().clone(),
            format!("{}{path}", backends[index]),
        );
        for name in FORWARDED_HEADERS {
            if let Some(value) = request.headers().get(name) {
                upstream = upstream.header(name, value);
            }
        }

        match upstream.send().await {
            Ok(response) => return relay(response, index, attempt + 1, &shared.stats).await,
            Err(error) if retry_allowed && attempt + 1 < count => {
                let counter = if error.is_connect() {
                    &shared.stats.connect_failovers
                } else {
                    &shared.stats.reset_failovers
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => return bad_gateway(&shared.stats, &format!("backend {index}: {error}")),
        }
    }
    bad_gateway(&shared.stats, "no backend answered")
}

async fn relay(
    response: reqwest::Response,
    index: usize,
    attempts: usize,
    stats: &Stats,
) -> Response {
    let code = StatusCode::from_u16(response.status().as_u16()).expect("valid status");
    let content_type = response.headers().get("content-type").cloned();
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(error) => {
            return bad_gateway(
                stats,
                &format!("backend {index} broke off its response: {error}"),
            );
        }
    };

    let mut relayed = (code, Body::from(body)).into_response();
    let headers = relayed.headers_mut();
    if let Some(content_type) = content_type {
        headers.insert("content-type", content_type);
    }
    headers.insert("x-test-served-by", HeaderValue::from(index));
    headers.insert("x-test-attempts", HeaderValue::from(attempts));
    relayed
}

fn bad_gateway(stats: &Stats, reason: &str) -> Response {
    stats.bad_gateway.fetch_add(1, Ordering::Relaxed);
    (StatusCode::BAD_GATEWAY, reason.to_owned()).into_response()
}
