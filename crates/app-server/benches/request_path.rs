//! The in-process request path up to a resolved, cached identity.
//!
//! The full router (every request layer of `app_server::http::router`, extractors, handler, JSON
//! body) is called with `tower::ServiceExt::oneshot`, with no socket and no tracing subscriber
//! installed.
//! Each token's identity is cached before measuring, and the bench panics when the workspace
//! emulator served any call while measuring, since a number that includes a network round trip
//! would not be about the cached path.
//!
//! Run with `cargo bench -p app-server --bench request_path`. After criterion's summary, the bench
//! prints median(`router/user_me_cached_jwt`) − median(`router/health`) against its target, then
//! a paired estimate of the same difference from alternating rounds of both requests.

mod support;

use std::hint::black_box;
use std::time::SystemTime;

use app_server::auth::AuthContext;
use app_server::auth::context::ACCESS_TOKEN_HEADER;
use app_server::auth::jwt;
use axum::http::{HeaderMap, HeaderValue};
use criterion::Criterion;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use tokio::runtime::Runtime;

use support::app::{BenchApp, call, get};

/// Baseline: the layers and a handler that needs no identity.
const HEALTH: &str = "router/health";

/// The same layers plus the auth context, the cached identity and the user handler.
const USER_ME_JWT: &str = "router/user_me_cached_jwt";

fn main() {
    let run_started = SystemTime::now();
    let output = support::overhead::output_directory();
    let mut criterion = Criterion::default()
        .output_directory(&output)
        .configure_from_args();
    // One thread runs the bench and, between iterations, the emulator's idle server task.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread tokio runtime builds");

    let app = runtime.block_on(async {
        let app = BenchApp::start().await;
        app.warm_cache().await;
        app
    });
    eprintln!(
        "minted JWT: {} bytes; opaque token: {} bytes",
        app.jwt.expose_secret().len(),
        app.pat.expose_secret().len()
    );
    let calls_before = runtime.block_on(app.upstream_calls());

    bench_router(&mut criterion, &runtime, &app);
    runtime.block_on(app.assert_no_upstream_calls_since(&calls_before, "the router benches"));

    bench_auth_steps(&mut criterion, &runtime, &app);
    runtime.block_on(app.assert_no_upstream_calls_since(&calls_before, "the auth step benches"));

    criterion.final_summary();
    support::overhead::report(&output, run_started, HEALTH, USER_ME_JWT);
    if is_bench_mode() {
        support::paired::report(&runtime, &app);
        runtime.block_on(app.assert_no_upstream_calls_since(&calls_before, "the paired rounds"));
    }
}

/// True under `cargo bench`, which passes `--bench`; false in criterion's test and list modes.
fn is_bench_mode() -> bool {
    let mut bench = false;
    for argument in std::env::args() {
        match argument.as_str() {
            "--bench" => bench = true,
            "--test" | "--list" => return false,
            _ => {}
        }
    }
    bench
}

/// Whole requests through the router: the baseline and `GET /api/user/me` with cached identities.
fn bench_router(criterion: &mut Criterion, runtime: &Runtime, app: &BenchApp) {
    let mut group = criterion.benchmark_group("router");
    group.bench_function("health", |bencher| {
        bencher
            .to_async(runtime)
            .iter(|| call(&app.router, get("/api/health", None)));
    });
    group.bench_function("user_me_cached_jwt", |bencher| {
        bencher
            .to_async(runtime)
            .iter(|| call(&app.router, get("/api/user/me", Some(&app.jwt))));
    });
    group.bench_function("user_me_cached_pat", |bencher| {
        bencher
            .to_async(runtime)
            .iter(|| call(&app.router, get("/api/user/me", Some(&app.pat))));
    });
    group.finish();
}

/// Measures each step of resolving a cached identity, to show where the overhead goes.
fn bench_auth_steps(criterion: &mut Criterion, runtime: &Runtime, app: &BenchApp) {
    let token = app.jwt.expose_secret();
    let mut headers = HeaderMap::new();
    headers.insert(
        ACCESS_TOKEN_HEADER,
        HeaderValue::from_str(token).expect("an emulator-minted JWT is a valid header value"),
    );

    let mut group = criterion.benchmark_group("auth");
    group.bench_function("from_headers", |bencher| {
        bencher.iter(|| AuthContext::from_headers(black_box(&headers)));
    });
    group.bench_function("token_sha256", |bencher| {
        bencher.iter(|| Sha256::digest(black_box(token.as_bytes())));
    });
    group.bench_function("jwt_expiry", |bencher| {
        bencher.iter(|| jwt::expiry(black_box(token)));
    });
    group.bench_function("resolve_cached", |bencher| {
        bencher.to_async(runtime).iter(|| async {
            app.state
                .identities
                .resolve(black_box(&app.jwt))
                .await
                .expect("a cached identity resolves")
        });
    });
    group.finish();
}
