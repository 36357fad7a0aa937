//! A paired estimate of the auth overhead that tolerates a shared, busy machine.
//!
//! Criterion measures one benchmark after the other, so load from other processes that changes
//! between the two shifts their difference. Here short rounds of both requests alternate, and the
//! estimate is the median of the per-round differences, so slow phases affect both sides alike.

use std::time::{Duration, Instant};

use axum::Router;
use tokio::runtime::Runtime;

use super::app::{BenchApp, call, get};

/// Rounds of the comparison. Each round times `CALLS_PER_ROUND` requests to each route.
const ROUNDS: usize = 300;
const CALLS_PER_ROUND: u32 = 200;

/// Prints the median per-request time of both routes and the median of per-round differences.
pub fn report(runtime: &Runtime, app: &BenchApp) {
    let mut health = Vec::with_capacity(ROUNDS);
    let mut user_me = Vec::with_capacity(ROUNDS);
    let mut differences = Vec::with_capacity(ROUNDS);

    runtime.block_on(async {
        for round in 0..ROUNDS {
            // Alternating which route goes first cancels a steady drift within a round.
            let (health_time, user_me_time) = if round.is_multiple_of(2) {
                let health_time = time_health(&app.router).await;
                (health_time, time_user_me(app).await)
            } else {
                let user_me_time = time_user_me(app).await;
                (time_health(&app.router).await, user_me_time)
            };
            let health_nanos = per_call_nanos(health_time);
            let user_me_nanos = per_call_nanos(user_me_time);
            health.push(health_nanos);
            user_me.push(user_me_nanos);
            differences.push(user_me_nanos - health_nanos);
        }
    });

    println!(
        "auth overhead, paired ({ROUNDS} alternating rounds of {CALLS_PER_ROUND} requests): \
         median router/user_me_cached_jwt {:.2} µs, median router/health {:.2} µs, \
         median difference {:.2} µs",
        median(&mut user_me) / 1_000.0,
        median(&mut health) / 1_000.0,
        median(&mut differences) / 1_000.0,
    );
}

async fn time_health(router: &Router) -> Duration {
    let started = Instant::now();
    for _ in 0..CALLS_PER_ROUND {
        call(router, get("/api/health", None)).await;
    }
    started.elapsed()
}

async fn time_user_me(app: &BenchApp) -> Duration {
    let started = Instant::now();
    for _ in 0..CALLS_PER_ROUND {
        call(&app.router, get("/api/user/me", Some(&app.jwt))).await;
    }
    started.elapsed()
}

fn per_call_nanos(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e9 / f64::from(CALLS_PER_ROUND)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        f64::midpoint(values[middle - 1], values[middle])
    } else {
        values[middle]
    }
}
